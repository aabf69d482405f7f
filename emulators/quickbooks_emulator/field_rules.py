"""Rules shared by every entity: names, emails, phones, addresses and references.

Why a module of their own: Items, Customers and sales documents check these values
the same way, with the same QBO faults (2040 for a colon in a name, 2500 for a
missing or inactive reference, 6000 for a wrong account type or a foreign currency,
6240 for a duplicate name), and the per-entity rule modules should not import one
another to share them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from . import faults
from .entities import ADDRESS_FIELDS, NAME_LIST_ENTITIES
from .readers import check_fields, ref_value, to_string
from .store import View

__all__ = [
    "CENT",
    "EXPENSE_TYPES",
    "INCOME_TYPES",
    "READ_ONLY",
    "account_ref",
    "address_field",
    "currency_ref",
    "email_field",
    "name_chars",
    "phone_field",
    "same_name",
    "strip_read_only",
    "tax_code_ref",
    "unique_name",
]

CENT = Decimal("0.01")
# Properties QBO computes; a client may send them back (full update) and they are ignored.
READ_ONLY = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status",
                       "FullyQualifiedName", "Level", "TotalAmt", "Balance", "HomeTotalAmt",
                       "HomeBalance", "RemainingCredit", "BalanceWithJobs",
                       "QtyOnPurchaseOrder", "QtyOnSalesOrder"})
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_BAD_NAME_CHARS = (":", "\t", "\n", "\r")
INCOME_TYPES = ("Income", "Other Income")
EXPENSE_TYPES = ("Cost of Goods Sold", "Expense", "Other Expense")


def name_chars(field: str, text: str) -> None:
    """Raise 2040 for a colon, tab or newline (QBO uses ':' for sub-item/sub-customer paths)."""
    if any(ch in text for ch in _BAD_NAME_CHARS):
        raise faults.invalid_string(field, text)


def same_name(a: str, b: str) -> bool:
    """QBO compares names without case or surrounding spaces (6240 on a clash)."""
    return a.strip().casefold() == b.strip().casefold()


def email_field(field: str, value: object) -> dict[str, Any]:
    """Check an EmailAddress object: known properties, one well-formed address (6000)."""
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


def phone_field(field: str, value: object) -> dict[str, Any]:
    """Check a TelephoneNumber object: known properties, FreeFormNumber up to 30 characters."""
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


def address_field(field: str, value: object, view: View) -> dict[str, Any]:
    """Check a PhysicalAddress (known properties, lengths) and give it an Id as QBO does."""
    if not isinstance(value, dict):
        raise faults.invalid_value(field, value, "an address object is expected")
    check_fields(value, ADDRESS_FIELDS, "PhysicalAddress", field + ".")
    out = dict(value)
    for key, limit in _ADDRESS_LIMITS.items():
        if value.get(key) is not None:
            out[key] = to_string(f"{field}.{key}", value[key], limit)
    out.setdefault("Id", view.company.new_address_id())
    return out


def active_ref(field: str, value: object, view: View, entity: str) -> tuple[str, dict[str, Any]]:
    """Resolve a reference to an ``entity``; (Id, record).

    It must exist (an invalid reference fault) and be active (QuickBooks' 2500 for
    inactive objects): one rule for every entity a document or payment names.
    """
    ref_id = ref_value(field, value)
    record = view.get(entity, ref_id)
    if record is None:
        raise faults.invalid_reference(field, entity, ref_id)
    if not record.get("Active", True):
        raise faults.inactive_reference()
    return ref_id, record


def account_ref(field: str, value: object, view: View, types: tuple[str, ...],
             expected: str) -> dict[str, Any]:
    """Resolve an account reference: it must exist, be active and be of one of ``types``."""
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


def tax_code_ref(field: str, value: object, view: View) -> dict[str, Any]:
    """Resolve a TaxCode reference (US pseudo-codes TAX/NON pass); 6000 if unknown or inactive."""
    code = ref_value(field, value)
    if view.company.country == "US" and code in ("TAX", "NON"):
        return {"value": code}
    tax_code = view.get("TaxCode", code)
    if tax_code is None or not tax_code.get("Active", True):
        raise faults.business(f"{field}: TaxCode Id={code} does not exist or is inactive;"
                              " use the Id of an active TaxCode", field)
    return {"value": code, "name": tax_code["Name"]}


def currency_ref(field: str, value: object, view: View) -> dict[str, Any]:
    """Resolve a CurrencyRef: only the home currency unless multicurrency is on (6000)."""
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


def unique_name(view: View, entities: Iterable[str], field: str, name: str, *,
                 self_key: tuple[str, str] | None, kind: str) -> None:
    """Raise 6240 naming the first other record (hidden in a batch or not) with this name.

    The company's name index answers in O(1); each hit is re-checked with the rule itself.
    """
    for entity, object_id in view.company.name_owners(entities, name):
        record = view.company.get(entity, object_id)
        other = record.get("DisplayName" if entity in NAME_LIST_ENTITIES else "Name") if (
            record is not None) else None
        if (entity, object_id) != self_key and isinstance(other, str) and same_name(
            other, name
        ):
            fault = faults.duplicate_name(object_id, kind)
            fault.element = field
            raise fault
