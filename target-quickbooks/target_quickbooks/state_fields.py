"""What :class:`~target_quickbooks.state.SyncState` holds for one realm, and its constants.

Why a module of its own: loading an entry (:mod:`target_quickbooks.state_load`) and
using it (:mod:`target_quickbooks.state`) work on the same fields; declaring them
once here lets each part be read, and type-checked, on its own.
"""

from __future__ import annotations

import logging
from typing import Any

from target_quickbooks.idmap import IdMap

__all__ = ["DELETED_IN_QUICKBOOKS", "STATE_VERSION", "STREAM_KINDS", "SYNCED_OUTCOMES",
           "StateFields"]

STATE_VERSION = 1
#: The ID map kind of each stream's records (pending records are kept by stream).
STREAM_KINDS = {"products": "items", "customers": "customers", "invoices": "invoices",
                "credit_memos": "credit_memos", "payments": "payments"}
#: Pending status of a document deleted in QuickBooks, waiting for its source record
#: (its key is listed under ``resend`` for the tap; see :mod:`target_quickbooks.drift`).
DELETED_IN_QUICKBOOKS = "deleted_in_quickbooks"
#: Product outcomes that need no ``products`` entry: the items map says it is synced.
SYNCED_OUTCOMES = frozenset({"created", "updated", "unchanged"})


class StateFields:
    """The ID map, pending records and results of one realm, as plain fields."""

    def __init__(self, realm_id: str, *, logger: logging.Logger | None = None) -> None:
        self.realm_id = str(realm_id)
        self.logger = logger or logging.getLogger("target_quickbooks.state")
        self.idmap = IdMap()
        self.suffixed: set[str] = set()
        self.voided: set[str] = set()
        #: Credit memos in QuickBooks per invoice source id (writer/refunds.py).
        self.refunded: dict[str, dict[str, str]] = {}
        #: Inactive items and customers made active for a document write, to be made
        #: inactive again (``writer/inactive.py``): ``"Entity:Id"`` → SyncTokens.
        self.reactivated: dict[str, dict[str, str]] = {}
        self.refs: dict[str, dict[str, str]] = {}
        #: VAT rates of the documents handled so far (:mod:`target_quickbooks.rates_seen`).
        self.rates_seen: set[str] = set()
        #: Entries of other realms, written back unchanged (a realm switch loses nothing).
        self.other_realms: dict[str, dict[str, Any]] = {}
        self.products: dict[str, list[str]] = {}
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}
        self.results: dict[str, dict[str, int]] = {}
        self.last_run: str | None = None
        #: Where the next check of QuickBooks' changes starts (ISO UTC), None: not yet.
        self.changes_checked: str | None = None
        #: stream → key → documents edited in QuickBooks after the target wrote them.
        self.drift: dict[str, dict[str, dict[str, Any]]] = {}
        self.loaded = False
        #: Whether this run touched anything before an entry was loaded; what it touched
        #: is marked in the ID map's file (``_merge_late_entry``), not held in memory.
        self._early = False
        #: Bumped on every change of the maps or pending records, so the target emits a
        #: progress state only when there is something new to keep.
        self.revision = 0
