"""Item rules: a product or service payload becomes a stored Item, or a QBO Fault.

Why a module of its own: the inventory rules (accounts by type, TrackQtyOnHand,
the Preferences switch, a type that cannot change) concern Items only.
"""

from __future__ import annotations

from typing import Any

from . import faults
from .field_rules import (
    EXPENSE_TYPES,
    INCOME_TYPES,
    account_ref,
    name_chars,
    strip_read_only,
    tax_code_ref,
    unique_name,
)
from .readers import to_bool, to_date, to_decimal, to_string
from .store import View

__all__ = ["ITEM_TYPES", "validate_item"]

ITEM_TYPES = ("Inventory", "NonInventory", "Service")


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
    unique_name(view, ("Item",), "Name", name, self_key=self_key, kind="product or service")
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
        rec["IncomeAccountRef"] = account_ref("IncomeAccountRef", rec["IncomeAccountRef"], view,
                                           INCOME_TYPES, "an Income account")
        rec["ExpenseAccountRef"] = account_ref("ExpenseAccountRef", rec["ExpenseAccountRef"],
                                            view, ("Cost of Goods Sold",),
                                            "a Cost of Goods Sold account")
        rec["AssetAccountRef"] = account_ref("AssetAccountRef", rec["AssetAccountRef"], view,
                                          ("Other Current Asset",),
                                          "an Other Current Asset account")
    else:
        if track:
            raise faults.business(f"TrackQtyOnHand can only be true for Inventory items, not"
                                  f" {item_type}", "TrackQtyOnHand")
        if rec.get("IncomeAccountRef") is None:
            raise faults.required("IncomeAccountRef")
        rec["IncomeAccountRef"] = account_ref("IncomeAccountRef", rec["IncomeAccountRef"], view,
                                           INCOME_TYPES, "an Income account")
        if rec.get("ExpenseAccountRef") is not None:
            rec["ExpenseAccountRef"] = account_ref("ExpenseAccountRef", rec["ExpenseAccountRef"],
                                                view, EXPENSE_TYPES, "an expense account")
        if rec.get("AssetAccountRef") is not None:
            rec["AssetAccountRef"] = account_ref("AssetAccountRef", rec["AssetAccountRef"], view,
                                              ("Other Current Asset",),
                                              "an Other Current Asset account")
    for key in ("SalesTaxCodeRef", "PurchaseTaxCodeRef"):
        if rec.get(key) is not None:
            rec[key] = tax_code_ref(key, rec[key], view)
    return rec
