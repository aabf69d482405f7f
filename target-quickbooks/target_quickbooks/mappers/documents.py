"""``invoices`` / ``credit_memos`` record → QuickBooks ``Invoice`` / ``CreditMemo`` payload.

Payload conventions (docs/architecture.md): one ``SalesItemLineDetail`` line per
source item with ``Amount`` = row total; a shipping line on the shipping item;
one ``DiscountLineDetail`` line; a credit memo adjustment line on the adjustment
item; ``TxnTaxDetail.TotalTax`` = the source's tax, so that QuickBooks'
``TotalAmt`` equals the source ``grand_total`` to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.money import (
    ZERO,
    cents,
    json_amount,
    json_number,
    rate_key,
    to_decimal,
)
from target_quickbooks.mappers.names import doc_number

INVOICE = "invoices"
CREDIT_MEMO = "credit_memos"
ENTITY = {INVOICE: "Invoice", CREDIT_MEMO: "CreditMemo"}
Ref = Mapping[str, str]


@dataclass(frozen=True)
class DocumentRefs:
    """QuickBooks references a document needs, resolved before mapping."""

    customer: Ref
    items: Mapping[str, Ref]
    tax_codes: Mapping[str, Ref] = field(default_factory=dict)
    default_tax_code: Ref | None = None
    shipping_item: Ref | None = None
    adjustment_item: Ref | None = None
    discount_account: Ref | None = None


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
    value = str(record.get("id") or "").strip()
    if not value:
        raise MappingError("'id' is missing: every document needs its source id", field="id")
    return value


def document_lines(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The source item lines.

    Raises:
        MappingError: when there are none or one is not an object with a SKU.
    """
    items = record.get("items")
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
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
    return list(dict.fromkeys(str(line["sku"]).strip() for line in document_lines(record)))


def _amount(record: Mapping[str, Any], name: str) -> Decimal:
    return to_decimal(record.get(name), name, default=ZERO)


def _line_qty(line: Mapping[str, Any], number: int) -> Decimal:
    raw = line.get("qty", line.get("qty_ordered"))
    return to_decimal(raw, f"items[{number}].qty")


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
        _line_qty(line, number)
        to_decimal(line.get("price"), f"items[{number}].price", default=ZERO)
    shipping = _amount(record, "shipping_amount")
    tax = _amount(record, "tax_amount") + _amount(record, "shipping_tax_amount")
    discount = _amount(record, "discount_amount")
    if discount < ZERO:
        raise MappingError(
            f"'discount_amount' is negative ({discount}); the record contract wants the "
            "discount as a positive number",
            field="discount_amount",
        )
    adjustment = ZERO
    if stream == CREDIT_MEMO:
        adjustment = _amount(record, "adjustment_positive") - _amount(record, "adjustment_negative")
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


def txn_date(value: object) -> str:
    """The date part (``YYYY-MM-DD``) of ``created_at``.

    Raises:
        MappingError: when missing or not a date.
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = "" if value is None else str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise MappingError(
            f"'created_at' is {value!r}, not an ISO 8601 date-time", field="created_at"
        ) from None


def _tax_code(refs: DocumentRefs, rate: object) -> Ref | None:
    if rate not in (None, ""):
        ref = refs.tax_codes.get(rate_key(rate))
        if ref:
            return ref
    return refs.default_tax_code


def _shipping_rate(totals_shipping: Decimal, shipping_tax: Decimal) -> Decimal | None:
    if totals_shipping == ZERO:
        return None
    return (shipping_tax / totals_shipping * 100).quantize(Decimal("0.1"))


def _sales_line(
    amount: Decimal, item: Ref, tax_code: Ref | None, *, description: str | None = None,
    qty: Decimal | None = None, unit_price: Decimal | None = None,
) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": dict(item)}
    if qty is not None:
        detail["Qty"] = json_number(qty)
    if unit_price is not None:
        detail["UnitPrice"] = json_number(unit_price)
    if tax_code:
        detail["TaxCodeRef"] = dict(tax_code)
    line: dict[str, Any] = {
        "DetailType": "SalesItemLineDetail",
        "Amount": json_amount(amount),
        "SalesItemLineDetail": detail,
    }
    if description:
        line["Description"] = description[:4000]
    return line


def map_document(record: Mapping[str, Any], *, stream: str, refs: DocumentRefs) -> dict[str, Any]:
    """Build the Invoice or CreditMemo payload of a document record.

    Args:
        record: an ``invoices`` or ``credit_memos`` record.
        stream: ``invoices`` or ``credit_memos``.
        refs: the customer, item, tax code and account references, already resolved.

    Returns:
        The create payload.

    Raises:
        MappingError: when the document does not reconcile, has no lines, or a
            reference it needs is missing.
    """
    totals = check_totals(record, stream=stream)
    number, note = doc_number(record.get("increment_id"))
    payload: dict[str, Any] = {
        "CustomerRef": dict(refs.customer),
        "DocNumber": number,
        "TxnDate": txn_date(record.get("created_at")),
    }
    if note:
        payload["PrivateNote"] = note
    currency = str(record.get("currency") or "").strip()
    if currency:
        payload["CurrencyRef"] = {"value": currency.upper()}
    lines: list[dict[str, Any]] = []
    first_code: Ref | None = None
    for number_, line in enumerate(document_lines(record)):
        sku = str(line["sku"]).strip()
        item = refs.items.get(sku)
        if not item:
            raise MappingError(f"no QuickBooks item for 'items[{number_}].sku' {sku!r}",
                               field=f"items[{number_}].sku")
        code = _tax_code(refs, line.get("tax_percent"))
        first_code = first_code or code
        qty = _line_qty(line, number_)
        price = to_decimal(line.get("price"), f"items[{number_}].price", default=ZERO)
        row_total = to_decimal(line.get("row_total"), f"items[{number_}].row_total")
        name = str(line.get("name") or "").strip() or None
        lines.append(_sales_line(row_total, item, code, description=name, qty=qty,
                                 unit_price=price))
    if totals.shipping != ZERO:
        if not refs.shipping_item:
            raise MappingError(
                "document has shipping_amount but setting `shipping_item` resolved to nothing",
                field="shipping_amount", hint="set `shipping_item`",
            )
        rate = _shipping_rate(totals.shipping, _amount(record, "shipping_tax_amount"))
        code = _tax_code(refs, rate) if rate is not None else refs.default_tax_code
        lines.append(_sales_line(totals.shipping, refs.shipping_item, code or first_code,
                                 description="Shipping"))
    if totals.adjustment != ZERO:
        if not refs.adjustment_item:
            raise MappingError(
                "credit memo has an adjustment but setting `adjustment_item` resolved to "
                "nothing", field="adjustment_positive", hint="set `adjustment_item`",
            )
        code = refs.tax_codes.get("0") or refs.default_tax_code or first_code
        lines.append(_sales_line(totals.adjustment, refs.adjustment_item, code,
                                 description="Adjustment"))
    if totals.discount != ZERO:
        if not refs.discount_account:
            raise MappingError(
                "document has a discount but setting `discount_account` is not configured",
                field="discount_amount", hint="set `discount_account`",
            )
        lines.append({
            "DetailType": "DiscountLineDetail",
            "Amount": json_amount(totals.discount),
            "DiscountLineDetail": {
                "PercentBased": False,
                "DiscountAccountRef": dict(refs.discount_account),
            },
        })
    payload["Line"] = lines
    payload["TxnTaxDetail"] = {"TotalTax": json_amount(totals.tax)}
    return payload


def needed_settings(record: Mapping[str, Any], *, stream: str) -> set[str]:
    """Which configured references a document needs: shipping, adjustment, discount."""
    needs: set[str] = set()
    if _amount(record, "shipping_amount") != ZERO:
        needs.add("shipping_item")
    if _amount(record, "discount_amount") != ZERO:
        needs.add("discount_account")
    if stream == CREDIT_MEMO and (
        _amount(record, "adjustment_positive") - _amount(record, "adjustment_negative") != ZERO
    ):
        needs.add("adjustment_item")
    return needs


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
