"""``invoices`` / ``credit_memos`` record → QuickBooks ``Invoice`` / ``CreditMemo`` payload.

Payload conventions (docs/architecture.md): one ``SalesItemLineDetail`` line per
source item with ``Amount`` = row total; a shipping line on the shipping item;
one ``DiscountLineDetail`` line; a credit memo adjustment line on the adjustment
item; ``TxnTaxDetail.TotalTax`` = the source's tax, so that QuickBooks'
``TotalAmt`` equals the source ``grand_total`` to the cent.

QuickBooks adds the *rounded* line amounts it is sent, while the source rounds
the exact sum of its (often 4-decimal) row totals: three lines of 3.3350 are
10.005 → 10.01 at the source but 3 × 3.34 = 10.02 in QuickBooks. When the
payload's own total misses ``grand_total`` by such per-line rounding only, one
explicit ``Rounding`` line on the ``adjustment_item`` (zero-rate tax code,
no Qty/UnitPrice, may be negative) carries the difference; the item lines keep
``Amount = round(Qty × UnitPrice, 2)`` as QuickBooks requires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from target_quickbooks.mappers import MappingError, required_text
from target_quickbooks.mappers.money import (
    CENT,
    ZERO,
    cents,
    json_amount,
    json_number,
    rate_key,
    to_decimal,
)
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.mappers.vat import SalesRate, VatPart, tax_lines

INVOICE = "invoices"
CREDIT_MEMO = "credit_memos"
ENTITY = {INVOICE: "Invoice", CREDIT_MEMO: "CreditMemo"}
Ref = Mapping[str, str]


@dataclass(frozen=True)
class DocumentRefs:
    """QuickBooks references a document needs, resolved before mapping.

    ``sales_rates`` (TaxCode Id → its one sales :class:`SalesRate`) lets the
    payload state the source's VAT per rate in ``TxnTaxDetail.TaxLine``; without
    it (US companies) only ``TotalTax`` is sent. ``timezone`` is the company's:
    ``TxnDate`` is the source timestamp's day there.
    """

    customer: Ref
    items: Mapping[str, Ref]
    tax_codes: Mapping[str, Ref] = field(default_factory=dict)
    default_tax_code: Ref | None = None
    shipping_item: Ref | None = None
    adjustment_item: Ref | None = None
    discount_account: Ref | None = None
    sales_rates: Mapping[str, SalesRate] = field(default_factory=dict)
    timezone: dt.tzinfo = dt.timezone.utc


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
    return list(dict.fromkeys(str(line["sku"]).strip() for line in document_lines(record)))


def _amount(record: Mapping[str, Any], name: str) -> Decimal:
    return to_decimal(record.get(name), name, default=ZERO)


def _line_qty(line: Mapping[str, Any], number: int) -> Decimal:
    raw = line.get("qty", line.get("qty_ordered"))
    return _not_negative(to_decimal(raw, f"items[{number}].qty"), f"items[{number}].qty",
                         "quantity")


def _line_price(line: Mapping[str, Any], number: int) -> Decimal:
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
        _line_qty(line, number)
        _line_price(line, number)
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


def _tax_code(refs: DocumentRefs, rate: object, field_name: str) -> Ref | None:
    """The tax code of a line's VAT rate.

    The default ``tax_code`` serves lines without a rate and configurations
    without ``tax_code_map`` (US-style companies). A rate the map lacks is an
    error: coding a 5.5 % line with the default (say 0 %) code would book the
    wrong VAT without anyone noticing.
    """
    if rate in (None, "") or not refs.tax_codes:
        return refs.default_tax_code
    key = rate_key(to_decimal(rate, field_name))
    ref = refs.tax_codes.get(key)
    if ref:
        return ref
    raise MappingError(
        f"'{field_name}' is {key} %, but tax_code_map has no entry for it (it maps "
        f"{', '.join(sorted(refs.tax_codes, key=_rate_sort_key))})",
        field=field_name,
        hint=f'add "{key}" to tax_code_map (VAT rate → QuickBooks tax code Id or name)',
    )


def _rate_sort_key(key: str) -> tuple[int, Decimal, str]:
    try:
        return (0, Decimal(key), key)
    except InvalidOperation:
        return (1, ZERO, key)


def _shipping_tax_code(
    refs: DocumentRefs, shipping: Decimal, shipping_tax: Decimal, fallback: Ref | None
) -> Ref | None:
    """The tax code of the configured rate that explains ``shipping_tax_amount``.

    The rate is not derived by division (4.17 € + 0.83 € VAT is 19.9 %, not 20 %):
    each configured rate r is tried, and the one where ``cents(shipping × r / 100)``
    equals the shipping tax wins (the closest within one cent; ties go to the
    rate whose unrounded tax is nearest, then the lower rate).

    Raises:
        MappingError: ``tax_code_map`` is configured but no rate fits.
    """
    if not refs.tax_codes:
        return refs.default_tax_code or fallback
    target = cents(shipping_tax)
    best: tuple[tuple[Decimal, Decimal, Decimal], Ref] | None = None
    for key, ref in refs.tax_codes.items():
        try:
            rate = Decimal(key)
        except InvalidOperation:
            continue
        exact = shipping * rate / 100
        off = abs(cents(exact) - target)
        if off > CENT:
            continue
        rank = (off, abs(exact - target), rate)
        if best is None or rank < best[0]:
            best = (rank, ref)
    if best is None:
        rates = ", ".join(sorted(refs.tax_codes, key=_rate_sort_key))
        raise MappingError(
            f"'shipping_tax_amount' ({shipping_tax}) on shipping_amount ({shipping}) matches "
            f"none of the VAT rates in tax_code_map ({rates}) to the cent",
            field="shipping_tax_amount",
            hint="add the shipping VAT rate to tax_code_map, or fix shipping_tax_amount at "
                 "the source",
        )
    return best[1]


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
        "TxnDate": txn_date(record.get("created_at"), refs.timezone),
    }
    if note:
        payload["PrivateNote"] = note
    currency = str(record.get("currency") or "").strip()
    if currency:
        payload["CurrencyRef"] = {"value": currency.upper()}
    lines: list[dict[str, Any]] = []
    vat: list[VatPart] = []
    first_code: Ref | None = None
    for number_, line in enumerate(document_lines(record)):
        sku = str(line["sku"]).strip()
        item = refs.items.get(sku)
        if not item:
            raise MappingError(f"no QuickBooks item for 'items[{number_}].sku' {sku!r}",
                               field=f"items[{number_}].sku")
        code = _tax_code(refs, line.get("tax_percent"), f"items[{number_}].tax_percent")
        first_code = first_code or code
        qty = _line_qty(line, number_)
        price = _line_price(line, number_)
        row_total = to_decimal(line.get("row_total"), f"items[{number_}].row_total")
        name = str(line.get("name") or "").strip() or None
        lines.append(_sales_line(row_total, item, code, description=name, qty=qty,
                                 unit_price=price))
        line_discount = to_decimal(line.get("discount_amount"),
                                   f"items[{number_}].discount_amount", default=ZERO)
        line_tax = line.get("tax_amount")
        vat.append(VatPart(  # the amounts QuickBooks sees: rounded as the line is
            code, cents(row_total) - cents(line_discount),
            None if line_tax in (None, "") else to_decimal(line_tax,
                                                           f"items[{number_}].tax_amount"),
            f"items[{number_}].tax_amount"))
    if totals.shipping != ZERO:
        if not refs.shipping_item:
            raise MappingError(
                "document has shipping_amount but setting `shipping_item` resolved to nothing",
                field="shipping_amount", hint="set `shipping_item`",
            )
        code = _shipping_tax_code(refs, totals.shipping,
                                  _amount(record, "shipping_tax_amount"), first_code)
        lines.append(_sales_line(totals.shipping, refs.shipping_item, code or first_code,
                                 description="Shipping"))
        vat.append(VatPart(code or first_code, totals.shipping,
                           _amount(record, "shipping_tax_amount"), "shipping_tax_amount"))
    if totals.adjustment != ZERO:
        if not refs.adjustment_item:
            raise MappingError(
                "credit memo has an adjustment but setting `adjustment_item` resolved to "
                "nothing", field="adjustment_positive", hint="set `adjustment_item`",
            )
        code = refs.tax_codes.get("0") or refs.default_tax_code or first_code
        lines.append(_sales_line(totals.adjustment, refs.adjustment_item, code,
                                 description="Adjustment"))
        vat.append(VatPart(code, totals.adjustment, ZERO, "adjustment_positive"))
    discount_lines: list[dict[str, Any]] = []
    if totals.discount != ZERO:
        if not refs.discount_account:
            raise MappingError(
                "document has a discount but setting `discount_account` is not configured",
                field="discount_amount", hint="set `discount_account`",
            )
        discount_lines.append({
            "DetailType": "DiscountLineDetail",
            "Amount": json_amount(totals.discount),
            "DiscountLineDetail": {
                "PercentBased": False,
                "DiscountAccountRef": dict(refs.discount_account),
            },
        })
    tax = json_amount(totals.tax)
    sent = [*lines, *discount_lines]
    # Rounded amounts: every line, TotalTax, and grand_total itself.
    rounding = _rounding(totals, payload_total(sent, Decimal(str(tax))), len(sent) + 2)
    if rounding != ZERO:
        if not refs.adjustment_item:
            raise MappingError(
                f"QuickBooks adds the line amounts rounded to the cent, which gives a total "
                f"{-rounding:+} off grand_total ({totals.grand_total}); the difference goes on "
                "a Rounding line, but setting `adjustment_item` resolved to nothing",
                field="grand_total", hint="set `adjustment_item`",
            )
        zero_code = refs.tax_codes.get("0") or refs.default_tax_code or first_code
        lines.append(_sales_line(rounding, refs.adjustment_item, zero_code,
                                 description="Rounding"))
        vat.append(VatPart(zero_code, rounding, ZERO, "grand_total"))
    payload["Line"] = [*lines, *discount_lines]
    payload["TxnTaxDetail"] = {"TotalTax": tax}
    by_rate = tax_lines(vat, totals.tax, refs.sales_rates)
    if by_rate:
        payload["TxnTaxDetail"]["TaxLine"] = by_rate
    return payload


def payload_total(lines: Sequence[Mapping[str, Any]], tax: Decimal) -> Decimal:
    """``TotalAmt`` as QuickBooks computes it from the lines actually sent.

    Σ ``SalesItemLineDetail`` amounts − Σ ``DiscountLineDetail`` amounts +
    ``TotalTax``, each amount as the payload carries it (rounded to the cent).
    """
    total = cents(tax)
    for line in lines:
        amount = Decimal(str(line["Amount"]))
        if line["DetailType"] == "DiscountLineDetail":
            total -= amount
        elif line["DetailType"] == "SalesItemLineDetail":
            total += amount
    return total


def _rounded_total(record: Mapping[str, Any], totals: Totals) -> Decimal:
    """:func:`payload_total` from the record alone: every amount rounded as the payload does."""
    total = sum(
        (cents(to_decimal(line.get("row_total"), f"items[{n}].row_total"))
         for n, line in enumerate(document_lines(record))),
        ZERO,
    )
    return (total + cents(totals.shipping) + cents(totals.adjustment) - cents(totals.discount)
            + cents(totals.tax))


def _rounding(totals: Totals, sent_total: Decimal, rounded_amounts: int) -> Decimal:
    """The Rounding line's amount: ``cents(grand_total)`` − what QuickBooks will compute.

    :func:`check_totals` already proved the exact amounts add up to
    ``grand_total``; what is left can only come from rounding each amount to
    the cent (at most half a cent per rounded amount, ``grand_total`` included).

    Args:
        totals: the checked source totals.
        sent_total: :func:`payload_total` of the lines about to be sent.
        rounded_amounts: how many amounts were rounded to the cent.

    Raises:
        MappingError: the difference is larger than rounding can explain.
    """
    difference = cents(totals.grand_total) - sent_total
    if difference == ZERO:
        return ZERO
    limit = (rounded_amounts * CENT / 2).quantize(CENT, rounding=ROUND_CEILING)
    if abs(difference) > limit:
        raise MappingError(
            f"QuickBooks would book TotalAmt {sent_total} (Σ line amounts rounded to the cent "
            f"- discount + TotalTax) but grand_total is {totals.grand_total}: a difference of "
            f"{difference:+}, more than the {limit} per-line rounding can explain",
            field="grand_total",
            hint="fix the amounts at the source; QuickBooks would book a different total",
        )
    return difference


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
    try:
        totals = check_totals(record, stream=stream)
        if cents(totals.grand_total) != _rounded_total(record, totals):
            needs.add("adjustment_item")  # for the Rounding line
    except MappingError:
        pass  # the record is refused with that error when it is mapped
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
