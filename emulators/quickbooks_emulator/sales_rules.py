"""Sales document rules: an Invoice, CreditMemo or RefundReceipt payload, totalled.

Why a module of its own: the header checks (customer, DocNumber uniqueness, dates,
currency, addresses), the line loop with its subtotal, discount and tax, and what an
update keeps of the Payments already applied concern sales documents only; the
per-line checks are in :mod:`.line_rules`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import balances, faults, refund_receipts
from .entities import LINE_FIELDS, TXN_TAX_FIELDS
from .faults import QboFault
from .field_rules import (
    CENT,
    account_ref,
    active_ref,
    address_field,
    currency_ref,
    email_field,
    strip_read_only,
    tax_code_ref,
)
from .line_rules import discount_line, sales_line
from .readers import check_fields, to_bool, to_date, to_string
from .store import View
from .tax import sales_tax
from .write_options import WriteOptions

__all__ = ["LINE_DETAIL_TYPES", "keep_applications", "validate_sales_txn"]

LINE_DETAIL_TYPES = ("SalesItemLineDetail", "DiscountLineDetail", "SubTotalLineDetail",
                     "DescriptionOnly", "GroupLineDetail")


def validate_sales_txn(entity: str, payload: dict[str, Any], view: View,
                       existing: dict[str, Any] | None, options: WriteOptions
                       ) -> dict[str, Any]:
    """Validate an Invoice, CreditMemo or RefundReceipt, compute its totals, return the record."""
    rec = strip_read_only(payload)
    company = view.company
    if rec.get("CustomerRef") is None and entity != "RefundReceipt":
        raise faults.required("CustomerRef")
    if rec.get("CustomerRef") is not None:  # optional on a RefundReceipt (refund_receipts.py)
        cust_id, customer = active_ref("CustomerRef", rec["CustomerRef"], view, "Customer")
        rec["CustomerRef"] = {"value": cust_id, "name": customer["DisplayName"]}
    if entity == "RefundReceipt":
        rec["DepositToAccountRef"] = account_ref(
            "DepositToAccountRef", refund_receipts.deposit_account_sent(rec), view,
            refund_receipts.REFUND_ACCOUNT_TYPES, refund_receipts.EXPECTED)
    if rec.get("DocNumber") not in (None, ""):
        doc = to_string("DocNumber", rec["DocNumber"], 21)
        rec["DocNumber"] = doc
        if not options.allow_duplicate_docnum:
            for other_id in company.doc_number_owners(entity, doc):
                is_self = existing is not None and other_id == existing["Id"]
                other = company.get(entity, other_id)
                if other is not None and other.get("DocNumber") == doc and not is_self:
                    raise QboFault(
                        "6140", faults.MSG_DUPLICATE_DOC,
                        f"Duplicate Document Number Error : You must specify a different number."
                        f" This number has already been used. DocNumber={doc} is assigned to"
                        f" TxnType={entity} with TxnId={other_id}", "DocNumber")
    else:
        rec.pop("DocNumber", None)
    today = company.today()  # the company's calendar day, not UTC's (README: TxnDate)
    rec["TxnDate"] = to_date("TxnDate", rec["TxnDate"]) if rec.get("TxnDate") else today
    for key in ("DueDate", "ShipDate"):
        if rec.get(key):
            rec[key] = to_date(key, rec[key])
    if entity == "Invoice":
        rec.setdefault("DueDate", rec["TxnDate"])
    if rec.get("CurrencyRef") is not None:
        rec["CurrencyRef"] = currency_ref("CurrencyRef", rec["CurrencyRef"], view)
    else:
        rec["CurrencyRef"] = {"value": company.home_currency, "name": company.home_currency_name}
    if rec.get("PrivateNote") is not None:
        rec["PrivateNote"] = to_string("PrivateNote", rec["PrivateNote"], 4000)
    if rec.get("CustomerMemo") is not None:
        memo = rec["CustomerMemo"]
        if not isinstance(memo, dict):
            raise faults.invalid_value("CustomerMemo", memo,
                                       'an object {"value": ".."} is expected')
        check_fields(memo, {"value"}, "MemoRef", "CustomerMemo.")
        to_string("CustomerMemo.value", memo.get("value", ""), 1000)
    if rec.get("BillEmail") is not None:
        rec["BillEmail"] = email_field("BillEmail", rec["BillEmail"])
    for key in ("BillAddr", "ShipAddr", "ShipFromAddr"):
        if rec.get(key) is not None:
            rec[key] = address_field(key, rec[key], view)
    calc = rec.get("GlobalTaxCalculation", "TaxExcluded" if company.country != "US" else None)
    if calc is not None and calc not in ("TaxExcluded", "TaxInclusive", "NotApplicable"):
        raise faults.invalid_value("GlobalTaxCalculation", calc,
                                   "one of TaxExcluded, TaxInclusive, NotApplicable")
    if calc is not None:
        rec["GlobalTaxCalculation"] = calc
    rec["ApplyTaxAfterDiscount"] = to_bool("ApplyTaxAfterDiscount",
                                           rec.get("ApplyTaxAfterDiscount", False))

    lines = rec.get("Line")
    if lines is None:
        raise faults.required("Line")
    if not isinstance(lines, list):
        raise faults.invalid_value("Line", lines, "an array of lines is expected")
    out_lines: list[dict[str, Any]] = []
    subtotal = Decimal(0)
    discounts: list[tuple[dict[str, Any], Decimal | None]] = []
    tax_base: dict[str, Decimal] = {}
    sales_count = 0
    for i, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise faults.invalid_value(f"Line[{i}]", line, "a line object is expected")
        check_fields(line, LINE_FIELDS, "Line", "Line.")
        detail_type = line.get("DetailType")
        if detail_type is None:
            raise faults.required(f"Line[{i}].DetailType")
        if detail_type not in LINE_DETAIL_TYPES:
            raise faults.invalid_value("Line.DetailType", detail_type,
                                       f"one of {', '.join(LINE_DETAIL_TYPES)}")
        new_line = {k: v for k, v in line.items() if k not in ("Id", "LineNum")}
        if line.get("Description") is not None:
            new_line["Description"] = to_string("Line.Description", line["Description"], 4000)
        if detail_type == "SubTotalLineDetail":
            continue  # computed by QBO, recomputed below
        if detail_type == "GroupLineDetail":
            raise faults.business(f"Line {i}: GroupLineDetail (bundles) is not supported;"
                                  " send SalesItemLineDetail lines", "Line.DetailType")
        if detail_type == "SalesItemLineDetail":
            detail, amount = sales_line(i, line, view)
            new_line["SalesItemLineDetail"] = detail
            new_line["Amount"] = amount
            subtotal += amount
            sales_count += 1
            code = detail.get("TaxCodeRef", {}).get("value")
            if code is not None:
                tax_base[code] = tax_base.get(code, Decimal(0)) + amount
        elif detail_type == "DiscountLineDetail":
            detail, d_amount = discount_line(i, line, view)
            new_line["DiscountLineDetail"] = detail
            discounts.append((new_line, d_amount))
            if len(discounts) > 1:
                raise faults.business("Only one discount line is allowed per transaction",
                                      "Line.DiscountLineDetail")
        else:  # DescriptionOnly
            new_line.pop("Amount", None)
        out_lines.append(new_line)
    if sales_count == 0:
        raise faults.business("A transaction needs at least one SalesItemLineDetail line",
                              "Line")
    discount_total = Decimal(0)
    for new_line, fixed_amount in discounts:
        d_amount = fixed_amount
        if d_amount is None:
            pct = new_line["DiscountLineDetail"]["DiscountPercent"]
            d_amount = (subtotal * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        new_line["Amount"] = d_amount
        discount_total += d_amount

    tax_detail = rec.get("TxnTaxDetail")
    if tax_detail is not None and not isinstance(tax_detail, dict):
        raise faults.invalid_value("TxnTaxDetail", tax_detail, "an object is expected")
    tax_detail = dict(tax_detail or {})
    check_fields(tax_detail, TXN_TAX_FIELDS, "TxnTaxDetail", "TxnTaxDetail.")
    if tax_detail.get("TxnTaxCodeRef") is not None:
        tax_detail["TxnTaxCodeRef"] = tax_code_ref("TxnTaxDetail.TxnTaxCodeRef",
                                                    tax_detail["TxnTaxCodeRef"], view)
    total_tax = sales_tax(tax_detail, tax_base, calc, view)

    for n, new_line in enumerate(out_lines, start=1):
        new_line["Id"] = str(n)
        new_line["LineNum"] = n
    out_lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail",
                      "SubTotalLineDetail": {}})
    rec["Line"] = out_lines
    rec["TxnTaxDetail"] = tax_detail
    total = subtotal - discount_total
    if calc != "TaxInclusive":
        total += total_tax
    if total < 0:
        raise faults.business(
            f"The transaction total would be negative ({total}): sales lines {subtotal},"
            f" discount {discount_total}, tax {total_tax}", "TotalAmt")
    rec["TotalAmt"] = total
    rec["HomeTotalAmt"] = total
    if entity == "Invoice":
        rec["Balance"] = total
        rec.setdefault("PrintStatus", "NotSet")
        rec.setdefault("EmailStatus", "NotSet")
    elif entity == "RefundReceipt":
        refund_receipts.settle(rec)
    else:
        rec["Balance"] = total
        rec["RemainingCredit"] = total
    return rec


def keep_applications(entity: str, record: dict[str, Any], view: View,
                       existing: dict[str, Any] | None) -> dict[str, Any]:
    """An updated document keeps what Payments applied: Balance and LinkedTxn (balances.py).

    A new total below what is already applied is refused (6000, a guess: QuickBooks
    asks to unlink the payment first).
    """
    if existing is None:
        return record
    record["Id"] = existing["Id"]
    balances.settle_document(view.company, entity, record)
    if record["Balance"] < 0:
        raise faults.business(
            f"{entity} Id={existing['Id']}: the new total {record['TotalAmt']} is less than"
            f" the payments and credits applied to it ({record['TotalAmt'] - record['Balance']});"
            " remove or change the payment first", "TotalAmt")
    return record
