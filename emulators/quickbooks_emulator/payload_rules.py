"""What QuickBooks reads in a sales document before judging it, and its currency rule.

Why a module of its own: these rules come from clients nobody here wrote.
python-quickbooks sends every property its objects know, empty ones included, and its
integration tests create exactly these payloads against real sandboxes and read them
back (tests/integration/test_invoice.py, test_creditmemo.py in ej2/python-quickbooks
0.9.12): ``Line[].CustomField: []``, ``SalesItemLineDetail.ServiceDate: ""``, ``Qty: 0``
and ``UnitPrice: 0`` beside an ``Amount`` of 100, ``ApplyTaxAfterDiscount: ""`` on credit
memos, ``DueDate: ""``. Real QuickBooks treats those as "not given", so the emulator
does too, before its strict rules run (:func:`sales_payload`).

Multicurrency (:func:`document_currency`, :func:`party_currency`): a customer has one
currency, and a document's ``CurrencyRef`` must be its customer's (Intuit, "Manage
multiple currencies": amounts of a transaction are in the currency of its customer;
the home currency is the default). The emulator used to relabel any currency as the
home currency; it now keeps the currency and refuses a document in another currency
than its customer's (6000).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import faults
from .store import HOME_CURRENCY, View

CENT = Decimal("0.01")
#: Names QuickBooks gives the currencies a company may add (``CurrencyRef.name``).
CURRENCY_NAMES: dict[str, str] = {
    **dict(HOME_CURRENCY.values()),
    "CHF": "Swiss Franc", "AUD": "Australian Dollar", "JPY": "Japanese Yen",
}
_EMPTY_DATES = ("DueDate", "ShipDate", "TxnDate")


def _is_zero(value: object) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    try:
        return Decimal(str(value)) == 0
    except InvalidOperation:
        return False


def sales_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Drop the empty values python-quickbooks sends, as QuickBooks ignores them.

    Edits ``payload`` (a private copy) in place and returns it. Only *empty* values are
    dropped: an empty-list ``Line.CustomField``, empty-string dates and
    ``ApplyTaxAfterDiscount``, and a ``Qty``/``UnitPrice`` pair that are both zero on a
    line with an ``Amount`` (QuickBooks keeps the Amount; guess: the zero pair is read
    as "no quantity, no rate"). Anything else non-empty still meets the strict rules.
    """
    if payload.get("ApplyTaxAfterDiscount") == "":
        del payload["ApplyTaxAfterDiscount"]
    for key in _EMPTY_DATES:
        if payload.get(key) == "":
            del payload[key]
    lines = payload.get("Line")
    if not isinstance(lines, list):
        return payload
    for line in lines:
        if not isinstance(line, dict):
            continue
        if line.get("CustomField") == []:
            del line["CustomField"]
        detail = line.get("SalesItemLineDetail")
        if not isinstance(detail, dict):
            continue
        if detail.get("ServiceDate") == "":
            del detail["ServiceDate"]
        if (_is_zero(detail.get("Qty")) and _is_zero(detail.get("UnitPrice"))
                and line.get("Amount") is not None and not _is_zero(line.get("Amount"))):
            del detail["Qty"]
            del detail["UnitPrice"]
    return payload


def currency_ref(code: str) -> dict[str, str]:
    """``CurrencyRef`` as QuickBooks returns it (``value`` the ISO code, ``name``)."""
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def _sent_currency(payload: dict[str, Any]) -> str | None:
    ref = payload.get("CurrencyRef")
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"]).upper()
    return None


def party_currency(rec: dict[str, Any], payload: dict[str, Any], view: View
                   ) -> dict[str, Any]:
    """Keep a customer's own currency when multicurrency is on (it was relabelled)."""
    sent = _sent_currency(payload)
    if view.company.multicurrency and sent is not None:
        rec["CurrencyRef"] = currency_ref(sent)
    return rec


def document_currency(rec: dict[str, Any], payload: dict[str, Any], view: View
                      ) -> dict[str, Any]:
    """Give a document its customer's currency; refuse another one (6000).

    Without multicurrency the validator already refused any non-home currency. With
    it, no ``CurrencyRef`` means the customer's currency (guess: QuickBooks' form
    default), ``ExchangeRate`` defaults to 1 and ``HomeTotalAmt`` is
    ``TotalAmt × ExchangeRate``.
    """
    company = view.company
    if not company.multicurrency:
        return rec
    customer_id = (rec.get("CustomerRef") or {}).get("value")  # none: a RefundReceipt
    customer = (view.get("Customer", customer_id) or {}) if customer_id else {}
    own = (customer.get("CurrencyRef") or {}).get("value") or company.home_currency
    sent = _sent_currency(payload) or own
    if sent != own:
        raise faults.business(
            f"The transaction's currency {sent} is not the currency of its customer"
            f" (CustomerRef {customer_id}, {customer.get('DisplayName')!r}:"
            f" {own}); send CurrencyRef {own} or use a customer in {sent}", "CurrencyRef")
    rec["CurrencyRef"] = currency_ref(own)
    if own != company.home_currency:
        rate = rec.get("ExchangeRate")
        rate = Decimal(str(rate)) if rate not in (None, "") and not _is_zero(rate) else (
            Decimal(1))
        rec["ExchangeRate"] = rate
        rec["HomeTotalAmt"] = (Decimal(rec["TotalAmt"]) * rate).quantize(
            CENT, rounding=ROUND_HALF_UP)
    return rec
