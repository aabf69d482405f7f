"""Entity rules: turn a request payload into a stored record, or raise the QBO Fault.

Why: strictness is the point of the emulator. A payload real QuickBooks refuses must be
refused here with the same code, so the connector's mappers and error handling are
proven before they meet production. Every rule names the field, the value and the fix.

Code choices (see the package README in ``__init__``): unknown property or unreadable
value 2010; missing required 2020; too long 2050; colon/tab/newline in a name 2040;
missing/inactive reference 2500; business rules 6000; duplicate name 6240; duplicate
DocNumber 6140; inventory line without Qty 6520.

The rules live by role: :mod:`.field_rules` (names, emails, addresses, references),
:mod:`.item_rules`, :mod:`.party_rules` (Customer), :mod:`.line_rules` and
:mod:`.sales_rules` (sales documents), :mod:`.payments`; this module checks the
properties every entity knows and dispatches to them. Its old names stay importable
from here.
"""

from __future__ import annotations

import copy
from typing import Any

from . import faults, payload_rules, payments
from .entities import NAME_LIST_ENTITIES, SPECS
from .field_rules import (
    CENT,
    EXPENSE_TYPES,
    INCOME_TYPES,
    READ_ONLY,
    name_chars,
    strip_read_only,
)
from .item_rules import ITEM_TYPES, validate_item
from .party_rules import validate_name_list
from .readers import check_fields, ref_value, to_bool, to_date, to_decimal, to_string
from .sales_rules import LINE_DETAIL_TYPES, keep_applications, validate_sales_txn
from .store import View
from .write_options import WriteOptions

__all__ = [
    "CENT",
    "EXPENSE_TYPES",
    "INCOME_TYPES",
    "ITEM_TYPES",
    "LINE_DETAIL_TYPES",
    "READ_ONLY",
    "WriteOptions",
    "check_fields",
    "name_chars",
    "ref_value",
    "strip_read_only",
    "to_bool",
    "to_date",
    "to_decimal",
    "to_string",
    "validate",
    "validate_item",
    "validate_name_list",
    "validate_sales_txn",
]


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
        return keep_applications(entity, record, view, existing)
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
