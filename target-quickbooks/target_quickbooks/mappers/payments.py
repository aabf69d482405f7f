"""Source invoices paid, and credit memos applied → QuickBooks Payment payloads (pure).

The source invoice carries only ``state`` (``open``, ``paid``, ``canceled``): no payment
date, amount or method. So (README, "Payments"):

- **amount**: what is still open on the QuickBooks invoice (its ``Balance``, after any
  credit memo or payment already applied), never the source total;
- **date**: the invoice's own day (``created_at``) when the invoice is first exported
  already paid; otherwise the day of ``updated_at`` when the invoices feed first sees
  it paid (the day its state changed, as near as the source tells). Both in the
  company's time zone (:mod:`target_quickbooks.company_time`);
- **method**: ``payment_method_map[record["payment_method"]]`` when the record carries a
  method code the map knows, else the ``payment_method`` setting, else none.

A credit memo of an open invoice is applied the QuickBooks way: a Payment of
``TotalAmt`` 0 whose lines link the Invoice and the CreditMemo for the same amount.

Each payment says in ``PrivateNote`` which source document it settles: that note is
its natural key, found again through the invoice's ``LinkedTxn`` (exactly once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers.documents import txn_date
from target_quickbooks.mappers.money import json_amount

#: Source invoice states that mean "settled, nothing owed".
PAID = "paid"
#: Where a retried payment keeps the date chosen when it was first planned.
PLANNED_DATE = "_payment_date"
INVOICE_NOTE = "myFulfillment invoice {number} paid"
MEMO_NOTE = "myFulfillment credit memo {number} applied to invoice {invoice}"


def is_paid(record: Mapping[str, Any]) -> bool:
    """Whether the source says the invoice is paid."""
    return str(record.get("state") or "").strip().lower() == PAID


def payment_date(record: Mapping[str, Any], *, first_export: bool,
                 timezone: dt.tzinfo | None) -> str:
    """The payment's TxnDate (see the module docstring); a retry keeps its first date.

    Raises:
        MappingError: the timestamp it needs is missing or not a date.
    """
    planned = record.get(PLANNED_DATE)
    if planned:
        return str(planned)
    return txn_date(record.get("created_at" if first_export else "updated_at"), timezone)


def method_name(record: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """The QuickBooks payment method name for a record ("" for none)."""
    code = str(record.get("payment_method") or "").strip()
    table = config.get("payment_method_map") or {}
    if code and isinstance(table, Mapping) and table.get(code):
        return str(table[code]).strip()
    return str(config.get("payment_method") or "").strip()


def invoice_payment(*, customer: Mapping[str, str], invoice_id: str, number: str,
                    amount: Decimal, date: str, deposit: Mapping[str, str] | None,
                    method: Mapping[str, str] | None) -> dict[str, Any]:
    """A Payment settling ``amount`` of one QuickBooks invoice."""
    payload: dict[str, Any] = {
        "CustomerRef": {"value": customer["value"]},
        "TotalAmt": json_amount(amount),
        "TxnDate": date,
        "PrivateNote": INVOICE_NOTE.format(number=number),
        "Line": [{"Amount": json_amount(amount),
                  "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
    }
    if deposit and deposit.get("value"):
        payload["DepositToAccountRef"] = {"value": deposit["value"]}
    if method and method.get("value"):
        payload["PaymentMethodRef"] = {"value": method["value"]}
    return payload


def credit_application(*, customer: Mapping[str, str], invoice_id: str, memo_id: str,
                       memo_number: str, invoice_number: str, amount: Decimal,
                       date: str) -> dict[str, Any]:
    """A Payment of 0 applying ``amount`` of a CreditMemo to an Invoice."""
    applied = json_amount(amount)
    return {
        "CustomerRef": {"value": customer["value"]},
        "TotalAmt": 0.0,
        "TxnDate": date,
        "PrivateNote": MEMO_NOTE.format(number=memo_number, invoice=invoice_number),
        "Line": [
            {"Amount": applied, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]},
            {"Amount": applied, "LinkedTxn": [{"TxnId": memo_id, "TxnType": "CreditMemo"}]},
        ],
    }


def links(payment: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(TxnType, TxnId) of every transaction a QuickBooks Payment links."""
    found = set()
    for line in payment.get("Line") or []:
        for linked in (line.get("LinkedTxn") or []) if isinstance(line, Mapping) else []:
            if isinstance(linked, Mapping):
                found.add((str(linked.get("TxnType")), str(linked.get("TxnId"))))
    return found


def linked_payment_ids(document: Mapping[str, Any]) -> list[str]:
    """Ids of the Payments a QuickBooks Invoice or CreditMemo lists in its LinkedTxn."""
    return [str(txn.get("TxnId")) for txn in document.get("LinkedTxn") or []
            if isinstance(txn, Mapping) and txn.get("TxnType") == "Payment"]
