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

The parts: :mod:`.document_source` (reading and checking the record),
:mod:`.document_refs` (references and tax codes), :mod:`.document_rounding`
(the Rounding line); this module builds the payload and keeps every old name
importable.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.document_refs import (
    DocumentRefs,
    Ref,
    line_tax_code,
    shipping_tax_code,
)
from target_quickbooks.mappers.document_rounding import (
    payload_total,
    rounded_total,
    rounding_amount,
)
from target_quickbooks.mappers.document_source import (
    CREDIT_MEMO,
    ENTITY,
    INVOICE,
    Totals,
    check_totals,
    customer_lookup_record,
    document_id,
    document_lines,
    document_skus,
    line_price,
    line_qty,
    line_sku,
    source_amount,
    txn_date,
)
from target_quickbooks.mappers.money import ZERO, cents, json_amount, json_number, to_decimal
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.mappers.vat import VatPart, tax_lines

__all__ = [
    "CREDIT_MEMO", "ENTITY", "INVOICE", "DocumentRefs", "Ref", "Totals", "check_totals",
    "customer_lookup_record", "document_id", "document_lines", "document_skus", "line_sku",
    "map_document", "needed_settings", "payload_total", "txn_date",
]


def sales_line(
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
        sku = line_sku(line)
        item = refs.items.get(sku)
        if not item:
            raise MappingError(f"no QuickBooks item for 'items[{number_}].sku' {sku!r}",
                               field=f"items[{number_}].sku")
        code = line_tax_code(refs, line.get("tax_percent"), f"items[{number_}].tax_percent")
        first_code = first_code or code
        qty = line_qty(line, number_)
        price = line_price(line, number_)
        row_total = to_decimal(line.get("row_total"), f"items[{number_}].row_total")
        name = str(line.get("name") or "").strip() or None
        lines.append(sales_line(row_total, item, code, description=name, qty=qty,
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
        code = shipping_tax_code(refs, totals.shipping,
                                  source_amount(record, "shipping_tax_amount"), first_code)
        lines.append(sales_line(totals.shipping, refs.shipping_item, code or first_code,
                                 description="Shipping"))
        vat.append(VatPart(code or first_code, totals.shipping,
                           source_amount(record, "shipping_tax_amount"), "shipping_tax_amount"))
    if totals.adjustment != ZERO:
        if not refs.adjustment_item:
            raise MappingError(
                "credit memo has an adjustment but setting `adjustment_item` resolved to "
                "nothing", field="adjustment_positive", hint="set `adjustment_item`",
            )
        code = refs.tax_codes.get("0") or refs.default_tax_code or first_code
        lines.append(sales_line(totals.adjustment, refs.adjustment_item, code,
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
    rounding = rounding_amount(totals, payload_total(sent, Decimal(str(tax))), len(sent) + 2)
    if rounding != ZERO:
        if not refs.adjustment_item:
            raise MappingError(
                f"QuickBooks adds the line amounts rounded to the cent, which gives a total "
                f"{-rounding:+} off grand_total ({totals.grand_total}); the difference goes on "
                "a Rounding line, but setting `adjustment_item` resolved to nothing",
                field="grand_total", hint="set `adjustment_item`",
            )
        zero_code = refs.tax_codes.get("0") or refs.default_tax_code or first_code
        lines.append(sales_line(rounding, refs.adjustment_item, zero_code,
                                 description="Rounding"))
        vat.append(VatPart(zero_code, rounding, ZERO, "grand_total"))
    payload["Line"] = [*lines, *discount_lines]
    payload["TxnTaxDetail"] = {"TotalTax": tax}
    by_rate = tax_lines(vat, totals.tax, refs.sales_rates)
    if by_rate:
        payload["TxnTaxDetail"]["TaxLine"] = by_rate
    return payload

def needed_settings(record: Mapping[str, Any], *, stream: str) -> set[str]:
    """Which configured references a document needs: shipping, adjustment, discount."""
    needs: set[str] = set()
    if source_amount(record, "shipping_amount") != ZERO:
        needs.add("shipping_item")
    if source_amount(record, "discount_amount") != ZERO:
        needs.add("discount_account")
    if stream == CREDIT_MEMO and (
        source_amount(record, "adjustment_positive")
        - source_amount(record, "adjustment_negative") != ZERO
    ):
        needs.add("adjustment_item")
    try:
        totals = check_totals(record, stream=stream)
        if cents(totals.grand_total) != rounded_total(record, totals):
            needs.add("adjustment_item")  # for the Rounding line
    except MappingError:
        pass  # the record is refused with that error when it is mapped
    return needs
