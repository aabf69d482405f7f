"""What invoice payments and credit applications share: references, reads, outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.documents import CREDIT_MEMO, INVOICE
from target_quickbooks.mappers.money import ZERO, to_decimal
from target_quickbooks.mappers.payments import links
from target_quickbooks.payment_refs import PaymentReferences
from target_quickbooks.resolver import entry_of
from target_quickbooks.writer.documents import DocumentWriter
from target_quickbooks.writer.jobs import DRY_RUN_ID, PAYMENTS

INVOICE_PREFIX = "invoice:"
MEMO_PREFIX = "credit_memo:"
PAYMENT_HINT = ("the payment is retried at the start of every run of the feed; write the "
                "invoice first (it is kept pending with its reason), or fix what QuickBooks "
                "refused")


def balance_of(row: Mapping[str, Any], name: str = "Balance") -> Decimal:
    """A QuickBooks document's open ``Balance`` (or ``RemainingCredit``); 0 when absent."""
    try:
        return to_decimal(row[name], name) if row.get(name) is not None else ZERO
    except MappingError:
        return ZERO


class PaymentSupport(DocumentWriter):
    """Payment references, batched reads and outcomes of the ``payments`` pending stream."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: (stream, key) of the documents created in this run (their payment takes their date).
        self._created_documents: set[tuple[str, str]] = set()
        self._payment_refs: PaymentReferences | None = None
        #: Pending payment key prefixes already retried this run.
        self._payments_retried: set[str] = set()

    @property
    def payment_refs(self) -> PaymentReferences:
        """Deposit account and payment methods (resolved on first use)."""
        if self._payment_refs is None:
            self._payment_refs = PaymentReferences(self.references, logger=self.logger)
        return self._payment_refs

    def _outcome(self, stream: str, key: str, outcome: str) -> None:
        super()._outcome(stream, key, outcome)
        if outcome == "created" and stream in (INVOICE, CREDIT_MEMO):
            self._created_documents.add((stream, key))

    def _defer_payment(self, key: str, record: Mapping[str, Any], reason: str) -> None:
        self.results.add(PAYMENTS, "deferred")
        self.state.add_pending(PAYMENTS, key, record, status="deferred", reason=reason,
                               field="id", hint=PAYMENT_HINT)
        self.logger.warning("Deferred payment %r to the next run: %s. Fix: %s.", key, reason,
                            PAYMENT_HINT)

    def _read_rows(self, entity: str, ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
        wanted = sorted({qbo_id for qbo_id in ids if qbo_id and qbo_id != DRY_RUN_ID})
        if not wanted:
            return {}
        return {str(row.get("Id")): row for row in self.client.query_in(entity, "Id", wanted)}

    def _ours(self, rows: Iterable[Mapping[str, Any]], note: str,
              link: tuple[str, str]) -> Mapping[str, Any] | None:
        """Among Payments read back, the one this target wrote for ``link`` (its note)."""
        for row in rows:
            if str(row.get("PrivateNote") or "") == note and link in links(row):
                return row
        return None

    def _adopt(self, key: str, row: Mapping[str, Any]) -> None:
        self.state.put(PAYMENTS, key, entry_of(row))
        self._outcome(PAYMENTS, key, "unchanged")
        self.logger.info("Payment %r was already in QuickBooks (Id %s): recorded, not written "
                         "again.", key, row.get("Id"))

