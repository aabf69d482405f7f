"""Refunds never exceed what was invoiced: the credit memos of one invoice, together.

A credit memo record names its invoice by source id (``invoice_id``) and, from
tap-myfulfillment, by number (``invoice_increment_id``, optional). The invoice's
total comes from this run (its record), else from QuickBooks: by the Id this
state's ID map holds, else by DocNumber built from ``invoice_increment_id`` (the
invoices feed's map is in another state; QuickBooks is the shared truth).

What was already refunded is kept per invoice in this feed's state (``refunded``:
invoice id → {credit memo id: amount}): a memo counts once it is in QuickBooks
(created, or found there: ``unchanged``), at the amount QuickBooks has (documents are
never updated, so a restated memo keeps its first amount and never counts twice); a
canceled memo that is gone or zeroed in QuickBooks stops counting. Memos about to be
created are checked in batch order against what is left; one that would exceed is
rejected with the amounts and retried on every run.

Limits (README): a memo whose invoice is neither in this run, nor in the map, nor
found by number cannot be checked and is written as it is; memos written only by
another feed's state count here once this feed sees them (they are then found by
DocNumber), not before; a memo refused by QuickBooks after the check still counted
in that batch's check (the next run checks it again).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.documents import CREDIT_MEMO
from target_quickbooks.mappers.money import ZERO, cents, to_decimal
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.writer.canceled import CanceledDocuments
from target_quickbooks.writer.jobs import Job

#: Outcomes after which the credit memo is in QuickBooks.
_IN_QUICKBOOKS = frozenset({"created", "updated", "unchanged"})
REFUND_HINT = (
    "check the refunds of this invoice at the source: its credit memos together refund more "
    "than it; the credit memo is retried on every run and written once it fits"
)


def _text(record: Mapping[str, Any], name: str) -> str:
    return str(record.get(name) or "").strip()


class RefundChecks(CanceledDocuments):
    """Keeps the refunded amount per invoice and rejects memos that would exceed it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: credit memo key → (invoice source id, grand_total) of the version seen this run.
        self._memo_notes: dict[str, tuple[str, Decimal]] = {}
        #: invoice source id → its number (``invoice_increment_id``), when memos give it.
        self._invoice_numbers: dict[str, str] = {}
        self._canceled_memos: set[str] = set()

    # Hooks

    def _note_memos(self, latest: Mapping[str, Mapping[str, Any]],
                    totals: Mapping[str, Decimal]) -> None:
        """Remember each checked memo's invoice and total (called once the totals are checked)."""
        for key, record in latest.items():
            invoice = _text(record, "invoice_id")
            if key in totals:
                self._memo_notes[key] = (invoice, cents(totals[key]))
                self._canceled_memos.discard(key)
            number = _text(record, "invoice_increment_id")
            if invoice and number:
                self._invoice_numbers[invoice] = number

    def _write_canceled(self, stream: str, canceled: Mapping[str, Mapping[str, Any]]) -> None:
        if stream == CREDIT_MEMO:
            self._canceled_memos.update(canceled)
            for key in canceled:
                self._memo_notes.pop(key, None)
        super()._write_canceled(stream, canceled)

    def _outcome(self, stream: str, key: str, outcome: str) -> None:
        super()._outcome(stream, key, outcome)
        if stream != CREDIT_MEMO:
            return
        if key in self._canceled_memos:
            if outcome in ("skipped", "unchanged"):  # not, or no longer, refunding anything
                self._forget_refund(key)
            return
        note = self._memo_notes.get(key)
        if note is None or not note[0] or outcome not in _IN_QUICKBOOKS:
            return
        invoice, total = note
        memos = self.state.refunded.setdefault(invoice, {})
        if outcome != "unchanged" or key not in memos:
            memos[key] = str(total)
            self.state.revision += 1

    def _run(self, jobs: list[Job]) -> None:
        super()._run(self._within_invoices(jobs))

    # The check

    def _forget_refund(self, key: str) -> None:
        for invoice, memos in list(self.state.refunded.items()):
            if memos.pop(key, None) is not None:
                self.state.revision += 1
                if not memos:
                    del self.state.refunded[invoice]

    def _within_invoices(self, jobs: list[Job]) -> list[Job]:
        """``jobs`` without the credit memo creates that would refund more than invoiced."""
        memos = {job.key: self._memo_notes[job.key] for job in jobs
                 if job.stream == CREDIT_MEMO and job.operation == "create"
                 and job.key in self._memo_notes and self._memo_notes[job.key][0]}
        if not memos:
            return jobs
        limits = self._invoice_limits({invoice for invoice, _total in memos.values()})
        planned: dict[str, Decimal] = {}
        kept = []
        for job in jobs:
            if job.key not in memos or memos[job.key][0] not in limits:
                kept.append(job)
                continue
            invoice, total = memos[job.key]
            already = planned.get(invoice, ZERO) + sum(
                (Decimal(amount) for memo, amount in self.state.refunded.get(invoice, {}).items()
                 if memo != job.key), ZERO)
            limit = cents(limits[invoice])
            if already + total > limit:
                self._reject(
                    CREDIT_MEMO, job.key, job.record,
                    f"grand_total {total} is larger than its invoice {invoice!r} has left to "
                    f"refund: invoice total {limit}, already refunded {already}, this memo "
                    f"{total} ({already + total} in all)",
                    field_name="grand_total", hint=REFUND_HINT)
                continue
            planned[invoice] = planned.get(invoice, ZERO) + total
            kept.append(job)
        return kept

    def _invoice_limits(self, invoices: Iterable[str]) -> dict[str, Decimal]:
        """Each invoice's total: this run's record, else QuickBooks (by mapped Id, or number)."""
        limits = {invoice: self._invoice_totals[invoice] for invoice in invoices
                  if invoice in self._invoice_totals}
        ids = {invoice: entry.id for invoice in invoices if invoice not in limits
               if (entry := self.state.get("invoices", invoice)) is not None}
        if ids:
            rows = self.client.query_in("Invoice", "Id", sorted(set(ids.values())))
            by_id = {str(row.get("Id")): row for row in rows}
            for invoice, qbo_id in ids.items():
                self._take_total(limits, invoice, [by_id[qbo_id]] if qbo_id in by_id else [])
        numbers: dict[str, str] = {}
        for invoice in invoices:
            if invoice not in limits and invoice not in ids and invoice in self._invoice_numbers:
                with contextlib.suppress(MappingError):
                    numbers[invoice] = doc_number(self._invoice_numbers[invoice])[0]
        if numbers:
            rows = self.client.query_in("Invoice", "DocNumber", sorted(set(numbers.values())))
            for invoice, number in numbers.items():
                self._take_total(limits, invoice,
                                 [row for row in rows if str(row.get("DocNumber")) == number])
        unknown = sorted(set(invoices) - set(limits))
        if unknown:
            self.logger.warning(
                "Credit memos of invoice(s) %s written unchecked: the invoice is neither in "
                "this run, nor in this state's ID map, nor found in QuickBooks by number "
                "(invoice_increment_id).", ", ".join(map(repr, unknown[:10])))
        self._invoice_totals.update(limits)
        return limits

    def _take_total(self, limits: dict[str, Decimal], invoice: str,
                    rows: list[Mapping[str, Any]]) -> None:
        totals = []
        for row in rows:
            with contextlib.suppress(MappingError):
                totals.append(to_decimal(row.get("TotalAmt"), "TotalAmt"))
        if len(totals) > 1:
            self.logger.warning("%d QuickBooks invoices carry the number of invoice %r: its "
                                "credit memos are checked against the largest.",
                                len(totals), invoice)
        if totals:
            limits[invoice] = max(totals)
