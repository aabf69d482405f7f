"""Customer rules (also used to seed Vendors and Employees): a payload becomes a record.

Why a module of its own: DisplayName (built from the name parts when absent, unique
across Customer, Vendor and Employee), contact fields and the parent link concern
the name-list entities only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import faults
from .entities import NAME_LIST_ENTITIES
from .field_rules import (
    address_field,
    currency_ref,
    email_field,
    name_chars,
    phone_field,
    strip_read_only,
    tax_code_ref,
    unique_name,
)
from .readers import check_fields, ref_value, to_bool, to_string
from .store import View

__all__ = ["validate_name_list"]

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
    unique_name(view, NAME_LIST_ENTITIES, "DisplayName", display, self_key=self_key,
                 kind="customer, vendor or employee")
    rec["DisplayName"] = display
    rec["FullyQualifiedName"] = display
    rec.setdefault("PrintOnCheckName", (rec.get("CompanyName") or display)[:110])
    rec["Active"] = to_bool("Active", rec.get("Active", True))
    for key in ("Taxable", "Job", "BillWithParent", "IsProject"):
        if key in rec:
            rec[key] = to_bool(key, rec[key])
    if rec.get("PrimaryEmailAddr") is not None:
        rec["PrimaryEmailAddr"] = email_field("PrimaryEmailAddr", rec["PrimaryEmailAddr"])
    for key in ("PrimaryPhone", "Mobile", "AlternatePhone", "Fax"):
        if rec.get(key) is not None:
            rec[key] = phone_field(key, rec[key])
    if rec.get("WebAddr") is not None:
        web = rec["WebAddr"]
        if not isinstance(web, dict):
            raise faults.invalid_value("WebAddr", web, 'an object {"URI": "..."} is expected')
        check_fields(web, {"URI", "Default", "Tag"}, "WebSiteAddress", "WebAddr.")
        if web.get("URI") is not None:
            to_string("WebAddr.URI", web["URI"], 1000)
    for key in ("BillAddr", "ShipAddr"):
        if rec.get(key) is not None:
            rec[key] = address_field(key, rec[key], view)
    if rec.get("CurrencyRef") is not None:
        rec["CurrencyRef"] = currency_ref("CurrencyRef", rec["CurrencyRef"], view)
    else:
        rec["CurrencyRef"] = {"value": view.company.home_currency,
                              "name": view.company.home_currency_name}
    if rec.get("DefaultTaxCodeRef") is not None:
        rec["DefaultTaxCodeRef"] = tax_code_ref("DefaultTaxCodeRef", rec["DefaultTaxCodeRef"],
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
