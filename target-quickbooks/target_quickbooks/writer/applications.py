"""Credit memos of open invoices → applied to them: a Payment of 0 linking both.

After the credit memos feed writes a CreditMemo, the memo's invoice is looked up in
QuickBooks (by the invoices map of this state, else by DocNumber built from the
``invoice_increment_id`` the tap adds; see :mod:`target_quickbooks.writer.refunds`).
When that Invoice is open (``Balance`` > 0), a Payment with ``TotalAmt`` 0 links the
Invoice and the CreditMemo for ``min(memo's remaining credit, invoice's Balance)``, so
the invoice's balance drops by the refund, as the source's does.

Only CreditMemos are applied: a credit memo routed elsewhere (a RefundReceipt, for the
refund of a paid invoice) is kept in the ``credit_memos`` map with its entity
(``...:RefundReceipt``) and is left alone: it never touched the invoice. Exactly
once as for invoice payments (:mod:`target_quickbooks.writer.payments`): the map key is
``credit_memo:<source id>``, the natural key the Payment's note, found through the
Invoice's ``LinkedTxn``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.documents import txn_date
from target_quickbooks.mappers.money import ZERO
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.mappers.payments import (
    MEMO_NOTE,
    credit_application,
    linked_payment_ids,
    links,
)
from target_quickbooks.writer.jobs import DRY_RUN_ID, PAYMENTS, Job
from target_quickbooks.writer.payment_base import MEMO_PREFIX, PaymentSupport, balance_of


def _text(record: Mapping[str, Any], name: str) -> str:
    return str(record.get(name) or "").strip()


def _customer(row: Mapping[str, Any]) -> str:
    return str((row.get("CustomerRef") or {}).get("value") or "")


class CreditApplications(PaymentSupport):
    """Plans the Payments that apply credit memos to their open invoices."""

    def _application_jobs(self, wanted: Mapping[str, Mapping[str, Any]]) -> list[Job]:
        memo_ids: dict[str, str] = {}
        for key in wanted:
            entry = self.state.get("credit_memos", key.removeprefix(MEMO_PREFIX))
            if entry is None or entry.id == DRY_RUN_ID:
                continue  # not written (yet): nothing to apply
            if entry.entity not in ("", "CreditMemo"):
                continue  # a RefundReceipt: money paid back, nothing to apply
            memo_ids[key] = entry.id
        if not memo_ids:
            return []
        memos = self._read_rows("CreditMemo", memo_ids.values())
        invoices = self._memo_invoices({key: wanted[key] for key in memo_ids}, memos,
                                       memo_ids)
        payments = self._read_rows("Payment", [pid for row in invoices.values()
                                               for pid in linked_payment_ids(row)])
        zone = self.references.timezone().tz
        planned: dict[str, Decimal] = {}
        jobs = []
        for key, memo_id in memo_ids.items():
            record = wanted[key]
            memo = memos.get(memo_id)
            invoice = invoices.get(key)
            if invoice is None and not (_text(record, "invoice_id")
                                        or _text(record, "invoice_increment_id")):
                self.logger.info("Credit memo %r names no invoice (invoice_id, "
                                 "invoice_increment_id): it stays a credit for its customer, "
                                 "applied to no invoice.", key)
                continue
            if memo is None or invoice is None:
                what = "credit memo" if memo is None else "invoice"
                self._defer_payment(key, record, f"its {what} was not found in QuickBooks "
                                    "(the invoice by its number, invoice_increment_id)")
                continue
            invoice_id = str(invoice.get("Id"))
            memo_number = _text(record, "increment_id")
            note = MEMO_NOTE.format(number=memo_number,
                                    invoice=str(invoice.get("DocNumber") or ""))
            linked = [payments[pid] for pid in linked_payment_ids(invoice) if pid in payments]
            ours = next((row for row in linked if str(row.get("PrivateNote") or "") == note
                         and ("CreditMemo", memo_id) in links(row)), None)
            if ours is not None:
                self._adopt(key, ours)
                continue
            open_amount = balance_of(invoice) - planned.get(invoice_id, ZERO)
            amount = min(balance_of(memo, "RemainingCredit"), open_amount)
            if amount <= ZERO:
                self._outcome(PAYMENTS, key, "unchanged")  # paid, or nothing left to apply
                continue
            if _customer(memo) != _customer(invoice):
                self._reject(PAYMENTS, key, record,
                             f"credit memo {memo_number!r} (customer Id {_customer(memo)}) and "
                             f"its invoice {invoice.get('DocNumber')!r} (customer Id "
                             f"{_customer(invoice)}) are not the same customer's in QuickBooks",
                             field_name="invoice_increment_id",
                             hint="check the credit memo's invoice at the source")
                continue
            try:
                date = txn_date(record.get("created_at"), zone)
            except MappingError as error:
                self._reject_mapping(PAYMENTS, key, record, error)
                continue
            planned[invoice_id] = planned.get(invoice_id, ZERO) + amount
            payload = credit_application(
                customer=memo.get("CustomerRef") or {}, invoice_id=invoice_id, memo_id=memo_id,
                memo_number=memo_number, invoice_number=str(invoice.get("DocNumber") or ""),
                amount=amount, date=date)
            jobs.append(Job(PAYMENTS, key, record, "create", payload,
                            request_key=self._request_key(PAYMENTS, key)))
        return jobs

    def _memo_invoices(self, records: Mapping[str, Mapping[str, Any]],
                       memos: Mapping[str, Mapping[str, Any]],
                       memo_ids: Mapping[str, str]) -> dict[str, Mapping[str, Any]]:
        """Each memo's QuickBooks Invoice: by the invoices map, else by its number."""
        by_map: dict[str, str] = {}
        by_number: dict[str, str] = {}
        for key, record in records.items():
            entry = self.state.get("invoices", _text(record, "invoice_id"))
            if entry is not None and entry.id != DRY_RUN_ID:
                by_map[key] = entry.id
                continue
            with contextlib.suppress(MappingError):
                if _text(record, "invoice_increment_id"):
                    by_number[key] = doc_number(_text(record, "invoice_increment_id"))[0]
        found: dict[str, Mapping[str, Any]] = {}
        rows = self._read_rows("Invoice", by_map.values())
        for key, qbo_id in by_map.items():
            if qbo_id in rows:
                found[key] = rows[qbo_id]
        if by_number:
            numbered = self.client.query_in("Invoice", "DocNumber", sorted(set(by_number.values())))
            for key, number in by_number.items():
                memo = memos.get(memo_ids[key]) or {}
                same = [row for row in numbered if str(row.get("DocNumber")) == number]
                mine = [row for row in same if _customer(row) == _customer(memo)] or same
                if mine:
                    found[key] = mine[0]
        return found
