"""Reading and checking a source document (``invoices`` / ``credit_memos`` record).

Why a module of its own: the writer asks of a record its id, its SKUs, its
customer and whether it reconciles before anything is resolved or mapped; those
checks (totals to the cent, positive quantities and prices, the company-day
``TxnDate``) need no QuickBooks reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError, required_text
from target_quickbooks.mappers.items import live_sku
from target_quickbooks.mappers.money import ZERO, cents, to_decimal

__all__ = ["CREDIT_MEMO", "ENTITY", "INVOICE", "Totals", "check_totals",
           "customer_lookup_record", "document_id", "document_lines", "document_skus",
           "line_price", "line_qty", "line_sku", "source_amount", "txn_date"]

INVOICE = "invoices"
CREDIT_MEMO = "credit_memos"
ENTITY = {INVOICE: "Invoice", CREDIT_MEMO: "CreditMemo"}


@dataclass(frozen=True)
class Totals:
    """Checked source totals of a document."""

    lines: Decimal
    shipping: Decimal
    tax: Decimal
    discount: Decimal
    adjustment: Decimal
    grand_total: Decimal


def document_id(record: Mapping[str, Any]) -> str:
    """The source id of a document.

    Raises:
        MappingError: when missing.
    """
    return required_text(record, "id", why="every document needs its source id")


def document_lines(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The source item lines.

    Raises:
        MappingError: when there are none or one is not an object with a SKU.
    """
    items = record.get("items")
    if items is None or (isinstance(items, Sequence) and not isinstance(items, str)
                         and not items):
        # A refund of shipping only, or an adjustment only, has no product line:
        # check_totals refuses a document that has no line of any kind.
        return []
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise MappingError(
            "'items' is empty: a document needs at least one line", field="items",
            hint="a document without lines books nothing: fix it at the source (or cancel it)",
        )
    for number, line in enumerate(items):
        if not isinstance(line, Mapping) or not str(line.get("sku") or "").strip():
            raise MappingError(f"'items[{number}].sku' is missing", field=f"items[{number}].sku",
                               hint="every line needs the SKU of a product")
    return list(items)


def document_skus(record: Mapping[str, Any]) -> list[str]:
    """Distinct SKUs of the document's lines, in order."""
    return list(dict.fromkeys(line_sku(line) for line in document_lines(record)))


def line_sku(line: Mapping[str, Any]) -> str:
    """The SKU of the item a line books.

    A line naming a deleted product's ``<sku>_deleted`` books the item of ``<sku>``,
    the one item that product always was.
    """
    return live_sku(str(line["sku"]).strip())


def source_amount(record: Mapping[str, Any], name: str) -> Decimal:
    """A document amount (``shipping_amount``...); absent counts as zero."""
    return to_decimal(record.get(name), name, default=ZERO)


def line_qty(line: Mapping[str, Any], number: int) -> Decimal:
    """The quantity of line ``number`` (``qty``, or an order's ``qty_ordered``), not negative."""
    raw = line.get("qty", line.get("qty_ordered"))
    return _not_negative(to_decimal(raw, f"items[{number}].qty"), f"items[{number}].qty",
                         "quantity")


def line_price(line: Mapping[str, Any], number: int) -> Decimal:
    """The unit price of line ``number`` (absent: zero), not negative."""
    price = to_decimal(line.get("price"), f"items[{number}].price", default=ZERO)
    return _not_negative(price, f"items[{number}].price", "unit price")


def _not_negative(value: Decimal, field_name: str, what: str) -> Decimal:
    """Refuse a negative quantity or price: QuickBooks would book it as a negative sale.

    An invoice line with a negative quantity silently lowers revenue and stock, and a
    credit memo's lines are already refunds (positive amounts): the sign is a source
    error, and booking it would hide a refund outside the credit memo flow.
    """
    if value < ZERO:
        raise MappingError(
            f"'{field_name}' is {value}: a negative {what} cannot be booked on an invoice or "
            "credit memo line",
            field=field_name,
            hint="fix the line at the source (quantities and prices are positive; a return "
                 "is a credit memo, a reduction a discount)",
        )
    return value


def check_totals(record: Mapping[str, Any], *, stream: str) -> Totals:
    """Check that the source document reconciles, to the cent, before writing it.

    ``grand_total = Σ row_total + shipping_amount + tax_amount + shipping_tax_amount
    - discount_amount (+ adjustment_positive - adjustment_negative)``.

    Raises:
        MappingError: naming the fields when they do not add up.
    """
    lines_total = ZERO
    for number, line in enumerate(document_lines(record)):
        lines_total += to_decimal(line.get("row_total"), f"items[{number}].row_total")
        line_qty(line, number)
        line_price(line, number)
    shipping = source_amount(record, "shipping_amount")
    tax = source_amount(record, "tax_amount") + source_amount(record, "shipping_tax_amount")
    discount = source_amount(record, "discount_amount")
    if discount < ZERO:
        raise MappingError(
            f"'discount_amount' is negative ({discount}); the record contract wants the "
            "discount as a positive number",
            field="discount_amount",
        )
    adjustment = ZERO
    if stream == CREDIT_MEMO:
        adjustment = (source_amount(record, "adjustment_positive")
                      - source_amount(record, "adjustment_negative"))
    if not record.get("items") and shipping == ZERO and adjustment == ZERO:
        raise MappingError(
            "'items' is empty: a document needs at least one line (a product, shipping or, "
            "on a credit memo, an adjustment)", field="items",
            hint="a document without lines books nothing: fix it at the source (or cancel it)",
        )
    grand_total = to_decimal(record.get("grand_total"), "grand_total")
    computed = lines_total + shipping + tax - discount + adjustment
    if cents(computed) != cents(grand_total):
        adjustment_text = (
            f" + adjustment_positive - adjustment_negative ({adjustment})"
            if stream == CREDIT_MEMO else ""
        )
        raise MappingError(
            f"totals do not reconcile: Σ items.row_total ({lines_total}) + shipping_amount "
            f"({shipping}) + tax_amount + shipping_tax_amount ({tax}) - discount_amount "
            f"({discount}){adjustment_text} = {cents(computed)}, but "
            f"grand_total is {grand_total}",
            field="grand_total",
            hint="fix the amounts at the source; QuickBooks would book a different total",
        )
    return Totals(lines_total, shipping, tax, discount, adjustment, grand_total)


def txn_date(value: object, timezone: dt.tzinfo | None = None) -> str:
    """The day (``YYYY-MM-DD``) of ``created_at`` in the company's ``timezone``.

    QuickBooks dates a transaction, and VAT periods follow, by the company's
    calendar: 2026-03-31T22:30:00Z is 1 April in Europe/Paris. A timestamp without
    an offset is UTC (the source's convention); a bare date is taken as it is.

    Args:
        value: ``created_at`` (ISO 8601 text, ``datetime`` or ``date``).
        timezone: the company's zone; None: UTC.

    Raises:
        MappingError: when missing or not a date.
    """
    zone = timezone or dt.timezone.utc
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return stamp.astimezone(zone).date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = "" if value is None else str(value).strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        return txn_date(dt.datetime.fromisoformat(text.replace("Z", "+00:00")), zone)
    except ValueError:
        raise MappingError(
            f"'created_at' is {value!r}, not an ISO 8601 date-time", field="created_at",
            hint="send an ISO 8601 timestamp, e.g. 2026-03-31T22:30:00Z",
        ) from None


def customer_lookup_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A ``customers``-shaped record built from a document, to find its customer by name.

    Used only when the ID map does not know the document's customer: the
    DisplayName is rebuilt from the names on the document.
    """
    billing = record.get("billing_address")
    billing = billing if isinstance(billing, Mapping) else {}
    return {
        "customer_key": record.get("customer_key"),
        "customer_id": record.get("customer_id"),
        "email": record.get("customer_email"),
        "firstname": record.get("customer_firstname") or billing.get("firstname"),
        "lastname": record.get("customer_lastname") or billing.get("lastname"),
        "company": billing.get("company"),
    }
