"""``reconcile``: prove that QuickBooks holds what the source holds.

The source records themselves (read in full by the tap, without bookmarks) are
compared with the documents QuickBooks holds, never with the target's state: the
state says what the target believes it wrote, the question is what the books say.

Data path: source records → :mod:`.source` (expected documents) ; QuickBooks →
:mod:`.quickbooks` (batched, read-only queries) ; both → :mod:`.compare` (a
:class:`~.model.Report`) → :mod:`.render` (text or JSON). :mod:`.target` is the
Singer target that ties them together (``target-quickbooks-reconcile``).
"""
