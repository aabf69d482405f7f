"""Paid invoices → QuickBooks Payments: planned after the invoices feed writes its documents.

An invoice record whose ``state`` is ``paid`` gets one Payment linked to its QuickBooks
Invoice (``Line[].LinkedTxn`` of type Invoice) for what is still open on it: the
Invoice's ``Balance`` read from QuickBooks (0 open: nothing to write). Amount, date
and method rules are in :mod:`target_quickbooks.mappers.payments`.

Exactly once, like documents (README, "Payments"):

1. the ID map ``payments`` (key ``invoice:<source id>``) says it is written;
2. else the Payments the Invoice lists in its ``LinkedTxn`` are read, and the one
   carrying this invoice's note is adopted (a crash after the create, before the state);
3. else it is created, batched with the others, under a requestid derived from its key
   (a replay of a lost answer returns the first Payment, not a second).

A payment that cannot be written is kept in state under the pending stream
``payments`` (deferred: the invoice is not in QuickBooks yet, or no longer; rejected:
QuickBooks refused it) with the record and the date chosen the first time, and retried
at the start of the next run of the feed.

Credit memos of open invoices are applied by :mod:`target_quickbooks.writer.applications`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.documents import CREDIT_MEMO, INVOICE, document_id
from target_quickbooks.mappers.money import ZERO
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.mappers.payments import (
    INVOICE_NOTE,
    PLANNED_DATE,
    invoice_payment,
    is_paid,
    linked_payment_ids,
    method_name,
    payment_date,
)
from target_quickbooks.writer.applications import CreditApplications
from target_quickbooks.writer.canceled import is_canceled
from target_quickbooks.writer.jobs import DRY_RUN_ID, PAYMENTS, STREAMS, Job
from target_quickbooks.writer.payment_base import (
    INVOICE_PREFIX,
    MEMO_PREFIX,
    balance_of,
)


class PaymentWriter(CreditApplications):
    """Plans the payments of the invoices and credit memos a batch brought."""

    # Hooks

    def _write_documents(self, stream: str, records: list[Mapping[str, Any]]) -> None:
        super()._write_documents(stream, records)
        self._write_payments(stream, records)

    def _retry_payments(self, streams: Iterable[str] = STREAMS) -> None:
        """Retry the pending payments of ``streams``' documents not retried yet this run."""
        if self.state.pending_count(PAYMENTS):
            for stream in (INVOICE, CREDIT_MEMO):
                if stream in streams:
                    self._write_payments(stream, [])

    # Planning

    def _write_payments(self, stream: str, records: list[Mapping[str, Any]]) -> None:
        prefix = INVOICE_PREFIX if stream == INVOICE else MEMO_PREFIX
        wanted: dict[str, Mapping[str, Any]] = {}
        for record in records:
            try:
                key = document_id(record)
            except MappingError:
                continue  # rejected with the document itself
            if is_canceled(record) or (stream == INVOICE and not is_paid(record)):
                # Not (or no longer) to be paid or applied: a pending payment goes too.
                wanted.pop(prefix + key, None)
                self.state.drop_pending(PAYMENTS, prefix + key)
                continue
            wanted[prefix + key] = record
        wanted = self._with_pending_payments(prefix, wanted)
        if not wanted:
            return
        for key in [key for key in wanted if self.state.get(PAYMENTS, key) is not None]:
            self._outcome(PAYMENTS, key, "unchanged")
            del wanted[key]
        if not wanted:
            return
        if stream == INVOICE:
            self._run(self._invoice_payment_jobs(wanted))
        else:
            self._run(self._application_jobs(wanted))

    def _with_pending_payments(self, prefix: str, wanted: dict[str, Mapping[str, Any]]
                               ) -> dict[str, Mapping[str, Any]]:
        """``wanted`` plus the pending payments of this kind (once a run); dates carried over."""
        pending = {key: entry for key, entry in self.state.pending_of(PAYMENTS).items()
                   if key.startswith(prefix)}
        first = prefix not in self._payments_retried
        self._payments_retried.add(prefix)
        merged = dict(wanted)
        for key, entry in pending.items():
            self._previous[(PAYMENTS, key)] = entry
            old = entry.get("record")
            if not isinstance(old, Mapping):
                continue
            if key in merged:
                if old.get(PLANNED_DATE):
                    merged[key] = {**merged[key], PLANNED_DATE: old[PLANNED_DATE]}
            elif first:
                merged[key] = old
        return merged

    def _invoice_payment_jobs(self, wanted: Mapping[str, Mapping[str, Any]]) -> list[Job]:
        invoice_ids: dict[str, str] = {}
        for key, record in wanted.items():
            entry = self.state.get("invoices", key.removeprefix(INVOICE_PREFIX))
            if entry is None:
                self._defer_payment(key, record, "its invoice is not in QuickBooks yet")
            elif entry.id != DRY_RUN_ID:
                invoice_ids[key] = entry.id
        rows = self._read_rows("Invoice", invoice_ids.values())
        payments = self._read_rows("Payment", [pid for row in rows.values()
                                               for pid in linked_payment_ids(row)])
        jobs = []
        zone = self.references.timezone().tz if invoice_ids else None
        for key, qbo_id in invoice_ids.items():
            record = wanted[key]
            row = rows.get(qbo_id)
            if row is None:
                self._defer_payment(key, record, f"its QuickBooks invoice Id {qbo_id} was not "
                                    "found (deleted in QuickBooks?)")
                continue
            number = self._number(record)
            linked = [payments[pid] for pid in linked_payment_ids(row) if pid in payments]
            ours = self._ours(linked, INVOICE_NOTE.format(number=number), ("Invoice", qbo_id))
            if ours is not None:
                self._adopt(key, ours)
                continue
            amount = balance_of(row)
            if amount <= ZERO:
                self._outcome(PAYMENTS, key, "unchanged")  # nothing open: nothing to write
                continue
            source_key = key.removeprefix(INVOICE_PREFIX)
            try:
                date = payment_date(record, timezone=zone, first_export=(
                    (INVOICE, source_key) in self._created_documents))
            except MappingError as error:
                self._reject_mapping(PAYMENTS, key, record, error)
                continue
            payload = invoice_payment(
                customer=row.get("CustomerRef") or {}, invoice_id=qbo_id, number=number,
                amount=amount, date=date, deposit=self.payment_refs.deposit_account(),
                method=self.payment_refs.method(method_name(record, self.config)))
            jobs.append(Job(PAYMENTS, key, {**record, PLANNED_DATE: date}, "create", payload,
                            request_key=self._request_key(PAYMENTS, key)))
        return jobs

    @staticmethod
    def _number(record: Mapping[str, Any]) -> str:
        try:
            return doc_number(record.get("increment_id"))[0]
        except MappingError:
            return str(record.get("increment_id") or record.get("id") or "")
