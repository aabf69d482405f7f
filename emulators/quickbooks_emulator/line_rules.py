"""Sales line rules: one SalesItemLineDetail or DiscountLineDetail line, checked.

Why a module of its own: a line's amount arithmetic (Amount = round(Qty x UnitPrice,
2), a percent or fixed discount), its item reference and its tax code are the
same for every sales document, and reading them apart from the document totals
keeps both short.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import faults
from .entities import DISCOUNT_LINE_FIELDS, SALES_ITEM_LINE_FIELDS
from .field_rules import CENT, tax_code_ref
from .readers import check_fields, ref_value, to_bool, to_date, to_decimal
from .store import View

__all__ = ["discount_line", "money", "sales_line"]


def money(field: str, value: object) -> Decimal:
    """Read an amount exactly (a Decimal), with the 2010 fault of an unreadable number."""
    return to_decimal(field, value)


def sales_line(i: int, line: dict[str, Any], view: View) -> tuple[dict[str, Any], Decimal]:
    """Check sales line ``i`` (item, Amount = Qty x UnitPrice, tax code); return detail, amount."""
    field = "Line.SalesItemLineDetail"
    detail = line.get("SalesItemLineDetail")
    if detail is None:
        raise faults.required(f"Line[{i}].SalesItemLineDetail")
    if not isinstance(detail, dict):
        raise faults.invalid_value(field, detail, "an object is expected")
    if "Amount" in detail:
        fault = faults.unsupported_property("Amount", "SalesItemLineDetail")
        fault.detail += (f" (Line {i}: put Amount on the line itself, not inside"
                         " SalesItemLineDetail)")
        raise fault
    check_fields(detail, SALES_ITEM_LINE_FIELDS, "SalesItemLineDetail", field + ".")
    if line.get("Amount") is None:
        raise faults.required(f"Line[{i}].Amount")
    amount = money("Line.Amount", line["Amount"])
    if detail.get("ItemRef") is None:
        raise faults.required(f"Line[{i}].SalesItemLineDetail.ItemRef")
    item_id = ref_value(field + ".ItemRef", detail["ItemRef"])
    item = view.get("Item", item_id)
    if item is None:
        raise faults.invalid_reference(field + ".ItemRef", "Item", item_id)
    if not item.get("Active", True):
        raise faults.inactive_reference()
    out = dict(detail)
    out["ItemRef"] = {"value": item_id, "name": item["Name"]}
    qty = money(field + ".Qty", detail["Qty"]) if detail.get("Qty") is not None else None
    price = (money(field + ".UnitPrice", detail["UnitPrice"])
             if detail.get("UnitPrice") is not None else None)
    if item.get("Type") == "Inventory" and qty is None:
        raise faults.missing_quantity(i, item_id, item["Name"])
    if qty is not None and price is not None:
        expected = (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount != expected:
            raise faults.business(
                f"Line {i}: Amount {amount} is not equal to UnitPrice * Qty"
                f" ({price} * {qty} = {expected}); send Amount = round(Qty * UnitPrice, 2)",
                "Line.Amount")
    elif qty is not None and qty != 0:
        price = amount / qty
    elif price is not None and price != 0:
        qty = amount / price
    if qty is not None:
        out["Qty"] = qty
    if price is not None:
        out["UnitPrice"] = price
    if detail.get("TaxCodeRef") is not None:
        out["TaxCodeRef"] = tax_code_ref(f"Line[{i}].SalesItemLineDetail.TaxCodeRef",
                                          detail["TaxCodeRef"], view)
    elif view.company.country != "US":
        raise faults.business(
            f"Line {i}: make sure all your transactions have a VAT rate before you save;"
            " supply SalesItemLineDetail.TaxCodeRef (a TaxCode Id)",
            "Line.SalesItemLineDetail.TaxCodeRef")
    for key in ("ItemAccountRef", "ClassRef"):
        if detail.get(key) is not None:
            ref_value(f"{field}.{key}", detail[key])
    if detail.get("ServiceDate") is not None:
        out["ServiceDate"] = to_date(field + ".ServiceDate", detail["ServiceDate"])
    return out, amount.quantize(CENT, rounding=ROUND_HALF_UP)


def discount_line(i: int, line: dict[str, Any], view: View) -> tuple[dict[str, Any],
                                                                       Decimal | None]:
    """Check discount line ``i``; return its detail and fixed amount (None when percent based)."""
    field = "Line.DiscountLineDetail"
    detail = line.get("DiscountLineDetail", {})
    if not isinstance(detail, dict):
        raise faults.invalid_value(field, detail, "an object is expected")
    check_fields(detail, DISCOUNT_LINE_FIELDS, "DiscountLineDetail", field + ".")
    out = dict(detail)
    percent_based = to_bool(field + ".PercentBased", detail.get("PercentBased", False))
    out["PercentBased"] = percent_based
    if detail.get("DiscountAccountRef") is not None:
        acc_id = ref_value(field + ".DiscountAccountRef", detail["DiscountAccountRef"])
        account = view.get("Account", acc_id)
        if account is None:
            raise faults.invalid_reference(field + ".DiscountAccountRef", "Account", acc_id)
        if not account.get("Active", True):
            raise faults.inactive_reference()
        out["DiscountAccountRef"] = {"value": acc_id, "name": account["Name"]}
    else:
        out["DiscountAccountRef"] = {"value": "86", "name": "Discounts given"}
    if percent_based:
        if detail.get("DiscountPercent") is None:
            raise faults.required(f"Line[{i}].DiscountLineDetail.DiscountPercent")
        pct = to_decimal(field + ".DiscountPercent", detail["DiscountPercent"])
        if not Decimal(0) <= pct <= Decimal(100):
            raise faults.business(f"Line {i}: DiscountPercent {pct} must be between 0 and 100",
                                  field + ".DiscountPercent")
        out["DiscountPercent"] = pct
        return out, None
    if line.get("Amount") is None:
        raise faults.required(f"Line[{i}].Amount")
    amount = money("Line.Amount", line["Amount"])
    if amount < 0:
        raise faults.business(f"Line {i}: a discount Amount must be positive, got {amount}",
                              "Line.Amount")
    return out, amount.quantize(CENT, rounding=ROUND_HALF_UP)
