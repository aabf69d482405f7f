"""Credit memos of paid invoices → RefundReceipt, kept in the ``credit_memos`` map.

The routing rule is :func:`~target_quickbooks.mappers.refund_receipts.is_refund`
(``invoice_state == "paid"``). What this module keeps exactly once, like a credit memo:

- the ID map: the same ``credit_memos`` map, the entry naming its entity
  (``Id:SyncToken:fingerprint:RefundReceipt``), so a memo already mapped is
  ``unchanged`` whatever it is in QuickBooks: a memo written as a CreditMemo by an
  older version (or while its invoice was open) is left as it is, never duplicated;
- the natural key: an unmapped refund is looked for by DocNumber among
  RefundReceipts, then among CreditMemos (a CreditMemo with this number that is
  this memo, e.g. written by an older version whose state is lost, is adopted and
  left as it is; one that is another document does not block the RefundReceipt,
  whose numbers are their own series in QuickBooks);
- the requestid: derived from the entity too (``qbo/idempotency.py``), so a
  RefundReceipt never replays a CreditMemo create of the same memo;
- results: outcomes of refunds are counted under ``credit_memos (RefundReceipt)``,
  so the run's table and ``report`` say which entity was written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.documents import CREDIT_MEMO
from target_quickbooks.mappers.refund_receipts import REFUND_RECEIPT, is_refund
from target_quickbooks.state import ENTITY_OF_KIND
from target_quickbooks.writer.jobs import KIND
from target_quickbooks.writer.matching import DocumentMatching

#: The results row of credit memos written (or to be written) as RefundReceipts.
REFUND_RESULTS = f"{CREDIT_MEMO} ({REFUND_RECEIPT})"


def results_label(stream: str, entity: str) -> str:
    """The results row of ``stream``'s records booked as ``entity``."""
    return REFUND_RESULTS if stream == CREDIT_MEMO and entity == REFUND_RECEIPT else stream


class RefundReceipts(DocumentMatching):
    """Routes credit memos to CreditMemo or RefundReceipt and finds them by DocNumber."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: (stream, key) → the entity its record is booked as, when not the map's own.
        self._booked_as: dict[tuple[str, str], str] = {}

    def _document_entity(self, stream: str, key: str, record: Mapping[str, Any]) -> str:
        """The entity of a document: the one in the map, else the routing rule's."""
        kind = KIND[stream]
        mapped = self.state.entity_of(kind, key)
        entity = mapped or (REFUND_RECEIPT if stream == CREDIT_MEMO and is_refund(record)
                            else ENTITY_OF_KIND[kind])
        if entity != ENTITY_OF_KIND[kind]:
            self._booked_as[(stream, key)] = entity
        else:
            self._booked_as.pop((stream, key), None)
        return entity

    def _route(self, stream: str, latest: Mapping[str, Mapping[str, Any]]) -> None:
        """Decide the entity of every credit memo of a batch, before any outcome is counted."""
        if stream == CREDIT_MEMO:
            for key, record in latest.items():
                self._document_entity(stream, key, record)

    def _count(self, stream: str, key: str, outcome: str) -> None:
        entity = ""
        if stream == CREDIT_MEMO:
            entity = self._booked_as.get((stream, key)) or self.state.entity_of(
                KIND[stream], key) or ""
        super()._count(results_label(stream, entity), key, outcome)

    def _find_existing_documents(self, stream: str, latest: dict[str, Mapping[str, Any]],
                                 numbers: Mapping[str, str], entity: str = "") -> None:
        """As :class:`DocumentMatching`, per entity; refunds also among CreditMemos."""
        if entity or stream != CREDIT_MEMO:
            super()._find_existing_documents(stream, latest, numbers, entity)
            return
        refunds = {key for key, record in latest.items()
                   if self._document_entity(stream, key, record) == REFUND_RECEIPT}
        for group, name in ((set(latest) - refunds, ""), (refunds, REFUND_RECEIPT)):
            part = {key: latest[key] for key in group if key in numbers}
            if not part:
                continue
            before = set(part)
            super()._find_existing_documents(stream, part, {k: numbers[k] for k in part}, name)
            for key in before - set(part):  # rejected: a twin or another document's number
                del latest[key]
        self._adopt_older_credit_memos(stream, latest, {
            key: numbers[key] for key in refunds if key in latest and key in numbers})

    def _adopt_older_credit_memos(self, stream: str, latest: Mapping[str, Mapping[str, Any]],
                                  numbers: Mapping[str, str]) -> None:
        """Refunds QuickBooks already holds as this memo's CreditMemo: adopt, never duplicate."""
        kind = KIND[stream]
        for key, row in self.resolver.lookup(kind, "DocNumber", numbers).items():
            with contextlib.suppress(MappingError):
                if self._document_conflict(stream, latest[key], row) or self._holder_of(
                        kind, row.get("Id"), key):
                    continue  # another document: the RefundReceipt has its own numbers
                self.resolver.adopt(kind, key, row)
                self._booked_as.pop((stream, key), None)
                self.logger.info(
                    "%s record %r: its invoice is paid, but QuickBooks already holds it as "
                    "CreditMemo Id %s (written before): left as it is, no RefundReceipt.",
                    stream, key, row.get("Id"))
