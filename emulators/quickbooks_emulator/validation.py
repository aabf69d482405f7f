"""Entity rules: turn a request payload into a stored record, or raise the QBO Fault.

Why: strictness is the point of the emulator. A payload real QuickBooks refuses must be
refused here with the same code, so the connector's mappers and error handling are
proven before they meet production. Every rule names the field, the value and the fix.

Code choices (see the package README in ``__init__``): unknown property or unreadable
value 2010; missing required 2020; too long 2050; colon/tab/newline in a name 2040;
missing/inactive reference 2500; business rules 6000; duplicate name 6240; duplicate
DocNumber 6140; inventory line without Qty 6520.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import balances, faults, payload_rules, payments, refund_receipts
from .entities import (
    ADDRESS_FIELDS,
    DISCOUNT_LINE_FIELDS,
    LINE_FIELDS,
    NAME_LIST_ENTITIES,
    SALES_ITEM_LINE_FIELDS,
    SPECS,
    TXN_TAX_FIELDS,
)
from .faults import QboFault
from .readers import check_fields, ref_value, to_bool, to_date, to_decimal, to_string
from .store import View
from .tax import sales_tax

CENT = Decimal("0.01")
ITEM_TYPES = ("Inventory", "NonInventory", "Service")
LINE_DETAIL_TYPES = ("SalesItemLineDetail", "DiscountLineDetail", "SubTotalLineDetail",
                     "DescriptionOnly", "GroupLineDetail")
# Properties QBO computes; a client may send them back (full update) and they are ignored.
READ_ONLY = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status",
                       "FullyQualifiedName", "Level", "TotalAmt", "Balance", "HomeTotalAmt",
                       "HomeBalance", "RemainingCredit", "BalanceWithJobs",
                       "QtyOnPurchaseOrder", "QtyOnSalesOrder"})
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_BAD_NAME_CHARS = (":", "\t", "\n", "\r")
INCOME_TYPES = ("Income", "Other Income")
EXPENSE_TYPES = ("Cost of Goods Sold", "Expense", "Other Expense")


@dataclass(frozen=True)
class WriteOptions:
    """Request options that change validation (``include=allowduplicatedocnum``)."""

    allow_duplicate_docnum: bool = False


def name_chars(field: str, text: str) -> None:
    """Raise 2040 for a colon, tab or newline (QBO uses ':' for sub-item/sub-customer paths)."""
    if any(ch in text for ch in _BAD_NAME_CHARS):
        raise faults.invalid_string(field, text)


def _same_name(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _email(field: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise faults.invalid_value(field, value, 'an object {"Address": "..."} is expected')
    check_fields(value, {"Id", "Address", "Default", "Tag"}, "EmailAddress", field + ".")
    out = dict(value)
    if "Address" in value and value["Address"] not in (None, ""):
        address = to_string(field + ".Address", value["Address"], 100)
        if not _EMAIL.match(address):
            raise faults.business(
                f"Invalid Email Address format for {field}.Address: {address!r}; supply a"
                " single address like name@example.com", field + ".Address")
        out["Address"] = address
    return out


def _phone(field: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise faults.invalid_value(field, value, 'an object {"FreeFormNumber": "..."} is expected')
    check_fields(value, {"Id", "FreeFormNumber", "CountryCode", "AreaCode", "ExchangeCode",
                         "Extension", "DeviceType", "Default", "Tag"}, "TelephoneNumber",
                 field + ".")
    out = dict(value)
    if value.get("FreeFormNumber") is not None:
        out["FreeFormNumber"] = to_string(field + ".FreeFormNumber", value["FreeFormNumber"], 30)
    return out


_ADDRESS_LIMITS = {"Line1": 500, "Line2": 500, "Line3": 500, "Line4": 500, "Line5": 500,
                   "City": 255, "CountrySubDivisionCode": 255, "PostalCode": 30,
                   "Country": 255, "CountryCode": 255, "County": 255, "Note": 2000}


def _address(field: str, value: object, view: View) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise faults.invalid_value(field, value, "an address object is expected")
    check_fields(value, ADDRESS_FIELDS, "PhysicalAddress", field + ".")
    out = dict(value)
    for key, limit in _ADDRESS_LIMITS.items():
        if value.get(key) is not None:
            out[key] = to_string(f"{field}.{key}", value[key], limit)
    out.setdefault("Id", view.company.new_address_id())
    return out


def _account(field: str, value: object, view: View, types: tuple[str, ...],
             expected: str) -> dict[str, Any]:
    acc_id = ref_value(field, value)
    account = view.get("Account", acc_id)
    if account is None:
        raise faults.invalid_reference(field, "Account", acc_id)
    if not account.get("Active", True):
        raise faults.inactive_reference()
    if account["AccountType"] not in types:
        raise faults.business(
            f"{field} must point to {expected}; Account Id={acc_id} ({account['Name']}) has"
            f" AccountType {account['AccountType']!r}", field)
    return {"value": acc_id, "name": account["Name"]}


def _tax_code_ref(field: str, value: object, view: View) -> dict[str, Any]:
    code = ref_value(field, value)
    if view.company.country == "US" and code in ("TAX", "NON"):
        return {"value": code}
    tax_code = view.get("TaxCode", code)
    if tax_code is None or not tax_code.get("Active", True):
        raise faults.business(f"{field}: TaxCode Id={code} does not exist or is inactive;"
                              " use the Id of an active TaxCode", field)
    return {"value": code, "name": tax_code["Name"]}


def _currency(field: str, value: object, view: View) -> dict[str, Any]:
    code = ref_value(field, value).upper()
    company = view.company
    if code != company.home_currency and not company.multicurrency:
        raise faults.business(
            f"{field} {code!r} is not the home currency {company.home_currency} and"
            " multicurrency is off in this company; send amounts in"
            f" {company.home_currency}", field)
    return {"value": company.home_currency, "name": company.home_currency_name}


def strip_read_only(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the payload without properties QBO computes itself."""
    return {k: v for k, v in payload.items() if k not in READ_ONLY}


def _unique_name(view: View, entities: Iterable[str], field: str, name: str, *,
                 self_key: tuple[str, str] | None, kind: str) -> None:
    """Raise 6240 naming the first other record (hidden in a batch or not) with this name.

    The company's name index answers in O(1); each hit is re-checked with the rule itself.
    """
    for entity, object_id in view.company.name_owners(entities, name):
        record = view.company.get(entity, object_id)
        other = record.get("DisplayName" if entity in NAME_LIST_ENTITIES else "Name") if (
            record is not None) else None
        if (entity, object_id) != self_key and isinstance(other, str) and _same_name(
            other, name
        ):
            fault = faults.duplicate_name(object_id, kind)
            fault.element = field
            raise fault


# -- Item ------------------------------------------------------------------------------
def validate_item(payload: dict[str, Any], view: View, existing: dict[str, Any] | None
                  ) -> dict[str, Any]:
    """Validate an Item (create or merged update) and return the record to store."""
    rec = strip_read_only(payload)
    name = rec.get("Name")
    if name is None or (isinstance(name, str) and not name.strip()):
        raise faults.required("Name")
    name = to_string("Name", name, 100)
    name_chars("Name", name)
    self_key = ("Item", existing["Id"]) if existing else None
    _unique_name(view, ("Item",), "Name", name, self_key=self_key, kind="product or service")
    rec["Name"] = name
    rec["FullyQualifiedName"] = name
    if rec.get("Sku") is not None:
        rec["Sku"] = to_string("Sku", rec["Sku"], 100)
    if rec.get("Description") is not None:
        rec["Description"] = to_string("Description", rec["Description"], 4000)
    if rec.get("PurchaseDesc") is not None:
        rec["PurchaseDesc"] = to_string("PurchaseDesc", rec["PurchaseDesc"], 1000)
    rec["Active"] = to_bool("Active", rec.get("Active", True))
    for key in ("Taxable", "SalesTaxIncluded", "PurchaseTaxIncluded", "SubItem"):
        if key in rec:
            rec[key] = to_bool(key, rec[key])
    for key in ("UnitPrice", "PurchaseCost", "QtyOnHand", "ReorderPoint"):
        if rec.get(key) is not None:
            rec[key] = to_decimal(key, rec[key])
    item_type = rec.get("Type")
    if item_type is None:
        raise faults.required("Type")
    if item_type not in ITEM_TYPES:
        raise faults.invalid_value("Type", item_type, f"one of {', '.join(ITEM_TYPES)}")
    if existing and existing.get("Type") == "Inventory" and item_type != "Inventory":
        raise faults.business("Type of an Inventory item cannot be changed", "Type")
    track = to_bool("TrackQtyOnHand", rec.get("TrackQtyOnHand", False))
    rec["TrackQtyOnHand"] = track
    if item_type == "Inventory":
        prefs = view.company.get("Preferences", "1") or {}
        if not prefs.get("ProductAndServicesPrefs", {}).get("QuantityOnHand", False):
            raise faults.business("Inventory tracking is off in Preferences", "Type")
        for key in ("TrackQtyOnHand", "QtyOnHand", "InvStartDate", "IncomeAccountRef",
                    "ExpenseAccountRef", "AssetAccountRef"):
            if rec.get(key) is None:
                raise faults.required(key)
        if not track:
            raise faults.business("Inventory items need TrackQtyOnHand: true",
                                  "TrackQtyOnHand")
        rec["InvStartDate"] = to_date("InvStartDate", rec["InvStartDate"])
        rec["IncomeAccountRef"] = _account("IncomeAccountRef", rec["IncomeAccountRef"], view,
                                           INCOME_TYPES, "an Income account")
        rec["ExpenseAccountRef"] = _account("ExpenseAccountRef", rec["ExpenseAccountRef"],
                                            view, ("Cost of Goods Sold",),
                                            "a Cost of Goods Sold account")
        rec["AssetAccountRef"] = _account("AssetAccountRef", rec["AssetAccountRef"], view,
                                          ("Other Current Asset",),
                                          "an Other Current Asset account")
    else:
        if track:
            raise faults.business(f"TrackQtyOnHand can only be true for Inventory items, not"
                                  f" {item_type}", "TrackQtyOnHand")
        if rec.get("IncomeAccountRef") is None:
            raise faults.required("IncomeAccountRef")
        rec["IncomeAccountRef"] = _account("IncomeAccountRef", rec["IncomeAccountRef"], view,
                                           INCOME_TYPES, "an Income account")
        if rec.get("ExpenseAccountRef") is not None:
            rec["ExpenseAccountRef"] = _account("ExpenseAccountRef", rec["ExpenseAccountRef"],
                                                view, EXPENSE_TYPES, "an expense account")
        if rec.get("AssetAccountRef") is not None:
            rec["AssetAccountRef"] = _account("AssetAccountRef", rec["AssetAccountRef"], view,
                                              ("Other Current Asset",),
                                              "an Other Current Asset account")
    for key in ("SalesTaxCodeRef", "PurchaseTaxCodeRef"):
        if rec.get(key) is not None:
            rec[key] = _tax_code_ref(key, rec[key], view)
    return rec


# -- Customer --------------------------------------------------------------------------
_NAME_LIMITS = {"Title": 16, "GivenName": 100, "MiddleName": 100, "FamilyName": 100,
                "Suffix": 16, "CompanyName": 100, "PrintOnCheckName": 110, "Notes": 2000,
                "ResaleNum": 16, "PrimaryTaxIdentifier": 20, "SecondaryTaxIdentifier": 20,
                "BusinessNumber": 10}


def validate_name_list(entity: str, payload: dict[str, Any], view: View,
                       existing: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a Customer (also used to seed Vendors/Employees) and return the record."""
    rec = strip_read_only(payload)
    for key, limit in _NAME_LIMITS.items():
        if rec.get(key) is not None:
            rec[key] = to_string(key, rec[key], limit)
    display = rec.get("DisplayName")
    if display is None or (isinstance(display, str) and not display.strip()):
        parts = [rec.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
        display = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        display = display or (rec.get("CompanyName") or "").strip()
        if not display:
            raise faults.required("DisplayName")
    display = to_string("DisplayName", display, 500)
    name_chars("DisplayName", display)
    self_key = (entity, existing["Id"]) if existing else None
    _unique_name(view, NAME_LIST_ENTITIES, "DisplayName", display, self_key=self_key,
                 kind="customer, vendor or employee")
    rec["DisplayName"] = display
    rec["FullyQualifiedName"] = display
    rec.setdefault("PrintOnCheckName", (rec.get("CompanyName") or display)[:110])
    rec["Active"] = to_bool("Active", rec.get("Active", True))
    for key in ("Taxable", "Job", "BillWithParent", "IsProject"):
        if key in rec:
            rec[key] = to_bool(key, rec[key])
    if rec.get("PrimaryEmailAddr") is not None:
        rec["PrimaryEmailAddr"] = _email("PrimaryEmailAddr", rec["PrimaryEmailAddr"])
    for key in ("PrimaryPhone", "Mobile", "AlternatePhone", "Fax"):
        if rec.get(key) is not None:
            rec[key] = _phone(key, rec[key])
    if rec.get("WebAddr") is not None:
        web = rec["WebAddr"]
        if not isinstance(web, dict):
            raise faults.invalid_value("WebAddr", web, 'an object {"URI": "..."} is expected')
        check_fields(web, {"URI", "Default", "Tag"}, "WebSiteAddress", "WebAddr.")
        if web.get("URI") is not None:
            to_string("WebAddr.URI", web["URI"], 1000)
    for key in ("BillAddr", "ShipAddr"):
        if rec.get(key) is not None:
            rec[key] = _address(key, rec[key], view)
    if rec.get("CurrencyRef") is not None:
        rec["CurrencyRef"] = _currency("CurrencyRef", rec["CurrencyRef"], view)
    else:
        rec["CurrencyRef"] = {"value": view.company.home_currency,
                              "name": view.company.home_currency_name}
    if rec.get("DefaultTaxCodeRef") is not None:
        rec["DefaultTaxCodeRef"] = _tax_code_ref("DefaultTaxCodeRef", rec["DefaultTaxCodeRef"],
                                                 view)
    if rec.get("ParentRef") is not None:
        parent = ref_value("ParentRef", rec["ParentRef"])
        if view.get(entity, parent) is None:
            raise faults.invalid_reference("ParentRef", entity, parent)
    rec["Balance"] = existing.get("Balance", Decimal(0)) if existing else Decimal(0)
    if entity == "Customer":
        rec["BalanceWithJobs"] = rec["Balance"]
        rec.setdefault("Job", False)
        rec.setdefault("BillWithParent", False)
        rec.setdefault("Taxable", False)
    return rec


# -- Invoice / CreditMemo --------------------------------------------------------------
def _money(field: str, value: object) -> Decimal:
    return to_decimal(field, value)


def _sales_line(i: int, line: dict[str, Any], view: View) -> tuple[dict[str, Any], Decimal]:
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
    amount = _money("Line.Amount", line["Amount"])
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
    qty = _money(field + ".Qty", detail["Qty"]) if detail.get("Qty") is not None else None
    price = (_money(field + ".UnitPrice", detail["UnitPrice"])
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
        out["TaxCodeRef"] = _tax_code_ref(f"Line[{i}].SalesItemLineDetail.TaxCodeRef",
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


def _discount_line(i: int, line: dict[str, Any], view: View) -> tuple[dict[str, Any],
                                                                       Decimal | None]:
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
    amount = _money("Line.Amount", line["Amount"])
    if amount < 0:
        raise faults.business(f"Line {i}: a discount Amount must be positive, got {amount}",
                              "Line.Amount")
    return out, amount.quantize(CENT, rounding=ROUND_HALF_UP)


def validate_sales_txn(entity: str, payload: dict[str, Any], view: View,
                       existing: dict[str, Any] | None, options: WriteOptions
                       ) -> dict[str, Any]:
    """Validate an Invoice, CreditMemo or RefundReceipt, compute its totals, return the record."""
    rec = strip_read_only(payload)
    company = view.company
    if rec.get("CustomerRef") is None and entity != "RefundReceipt":
        raise faults.required("CustomerRef")
    if rec.get("CustomerRef") is not None:  # optional on a RefundReceipt (refund_receipts.py)
        cust_id = ref_value("CustomerRef", rec["CustomerRef"])
        customer = view.get("Customer", cust_id)
        if customer is None:
            raise faults.invalid_reference("CustomerRef", "Customer", cust_id)
        if not customer.get("Active", True):
            raise faults.inactive_reference()
        rec["CustomerRef"] = {"value": cust_id, "name": customer["DisplayName"]}
    if entity == "RefundReceipt":
        rec["DepositToAccountRef"] = _account(
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
        rec["CurrencyRef"] = _currency("CurrencyRef", rec["CurrencyRef"], view)
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
        rec["BillEmail"] = _email("BillEmail", rec["BillEmail"])
    for key in ("BillAddr", "ShipAddr", "ShipFromAddr"):
        if rec.get(key) is not None:
            rec[key] = _address(key, rec[key], view)
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
            detail, amount = _sales_line(i, line, view)
            new_line["SalesItemLineDetail"] = detail
            new_line["Amount"] = amount
            subtotal += amount
            sales_count += 1
            code = detail.get("TaxCodeRef", {}).get("value")
            if code is not None:
                tax_base[code] = tax_base.get(code, Decimal(0)) + amount
        elif detail_type == "DiscountLineDetail":
            detail, d_amount = _discount_line(i, line, view)
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
        tax_detail["TxnTaxCodeRef"] = _tax_code_ref("TxnTaxDetail.TxnTaxCodeRef",
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


def _keep_applications(entity: str, record: dict[str, Any], view: View,
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


# -- dispatcher ------------------------------------------------------------------------
def validate(entity: str, payload: dict[str, Any], view: View, existing: dict[str, Any] | None,
             options: WriteOptions) -> dict[str, Any]:
    """Check unknown properties, then the entity's rules; return the record to store."""
    spec = SPECS[entity]
    check_fields(payload, spec.fields, entity)
    payload = copy.deepcopy(payload)
    if entity == "Item":
        return validate_item(payload, view, existing)
    if entity in NAME_LIST_ENTITIES:
        return payload_rules.party_currency(
            validate_name_list(entity, payload, view, existing), payload, view)
    if entity in ("Invoice", "CreditMemo", "RefundReceipt"):
        payload = payload_rules.sales_payload(payload)
        record = payload_rules.document_currency(
            validate_sales_txn(entity, payload, view, existing, options), payload, view)
        return _keep_applications(entity, record, view, existing)
    if entity == "Payment":
        return payments.validate_payment(payload, view, existing)
    if entity == "PaymentMethod":
        return payments.validate_payment_method(payload, view, existing)
    rec = strip_read_only(payload)  # seeded reference data (Account, TaxCode, ...)
    if entity in ("Account", "TaxCode", "TaxRate"):
        if not rec.get("Name"):
            raise faults.required("Name")
        rec["Name"] = to_string("Name", rec["Name"], 100)
        rec.setdefault("Active", True)
    return rec
