"""Twins: two source documents with one number, total, date and customer.

QuickBooks holds nothing that tells such twins apart (the target writes no source id
into the document), so a DocNumber lookup finds the same QuickBooks document for
both. Mapping both to it would silently drop one of them from the books. The rules:

- a QuickBooks Id the ID map already holds for another source document is never
  adopted (reverse lookup in the map, :meth:`SyncState.keys_of`);
- when several unmapped twins find one document in the same batch, the smallest
  source id adopts it (source ids grow with time: the first one sold is the one any
  feed most likely wrote first), the same choice in every feed that sees both;
- the other twin is rejected (field ``increment_id``) with the fix, kept in pending
  and retried every run: once the source gives it its own number, it is written.

The limit, stated in the README: two feeds with separate states that each see only
one twin (or see them in separate batches) may each map a different twin to the one
document. Neither state ever maps both, and every feed that sees both reports one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from target_quickbooks.state import ENTITY_OF_KIND
from target_quickbooks.writer.base import WriterBase
from target_quickbooks.writer.jobs import KIND

TWIN_HINT = (
    "if these are two real sales, give this one its own increment_id at the source: it is "
    "then written under the new number on the next run; if it is the same sale exported "
    "twice under a new id, cancel or delete the duplicate at the source. The record stays "
    "in pending and is checked again on every run"
)


def source_order(key: str) -> tuple[int, int, str]:
    """Sort key of source ids: numbers by value (``"999"`` before ``"1000"``), then text."""
    text = key.strip()
    return (0, int(text), text) if text.isdigit() else (1, 0, text)


def claim_order(keys: Iterable[str]) -> list[str]:
    """Source keys in the order they may claim a QuickBooks document: smallest id first."""
    return sorted(keys, key=source_order)


class TwinGuard(WriterBase):
    """Refuses to map a second source document to a QuickBooks document."""

    def _holder_of(self, kind: str, qbo_id: object, key: str, entity: str = "") -> str | None:
        """Another source key the ID map holds for QuickBooks ``entity`` Id ``qbo_id``, if any.

        ``entity`` defaults to the map's own; a ``credit_memos`` entry names the entity it
        is (CreditMemo or RefundReceipt), so an Id of the other entity is not a holder.
        """
        if qbo_id in (None, ""):
            return None
        entity = entity or ENTITY_OF_KIND[kind]
        return next((other for other in self.state.keys_of(kind, str(qbo_id))
                     if other != key and self.state.entity_of(kind, other) == entity), None)

    def _reject_twin(self, stream: str, key: str, record: Mapping[str, Any], *, holder: str,
                     qbo_id: object, number: object, entity: str = "") -> None:
        entity = entity or ENTITY_OF_KIND[KIND[stream]]
        self._reject(
            stream, key, record,
            f"source document {key!r} has the same number {number!r}, total, date and "
            f"customer as source document {holder!r}, which QuickBooks {entity} Id {qbo_id} "
            f"already books: mapping both to it would drop one of them from the books, so "
            f"this one is not written",
            field_name="increment_id", hint=TWIN_HINT,
        )
