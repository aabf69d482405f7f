"""The fix the target suggests for each refusal, so a person knows what to do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.qbo import QuickBooksFault

CREDIT_MEMO_CANCELED_HINT = (
    "QuickBooks cannot void a credit memo through its API: delete it in QuickBooks, or set "
    "its amounts to 0; the target checks it again on every run and clears this entry once "
    "the credit memo is gone or its total is 0"
)

#: What to do about the QuickBooks error codes a person can fix.
FIX_HINTS = {
    "6240": "another QuickBooks object (maybe a Vendor or Employee, or an inactive one) "
            "already uses this name: rename one of them",
    "6000": "QuickBooks refused a business rule: read the Detail; for tax errors check "
            "`tax_code` and `tax_code_map`",
    "2500": "a referenced object (customer, item, account or tax code) does not exist or is "
            "inactive in QuickBooks: check the settings and reactivate it",
    "2020": "a required field is missing: check the record against the record contract",
    "2010": "QuickBooks refused a field the target sent: report this as a target bug",
    "6520": "inventory item lines need a quantity (`items[].qty`)",
    "6140": "a document with this DocNumber already exists in QuickBooks",
    "5010": "the object was changed in QuickBooks during the run: the next run retries it",
    "610": "the object was deleted in QuickBooks: the next run recreates it",
    "2050": "a text field is longer than QuickBooks allows (see the Detail): shorten it at "
            "the source",
    "2040": "a name holds a character QuickBooks refuses (see the Detail): change it at the "
            "source",
}
CURRENCY_HINT = (
    "turn on multicurrency in QuickBooks (Settings > Account and settings > Advanced > "
    "Currency) and add this currency, or export the document in the company's home currency"
)
DEFAULT_FAULT_HINT = (
    "read QuickBooks' Detail above, then fix the record at the source or the setting it names; "
    "the record is retried on the next run"
)


def fault_hint(fault: QuickBooksFault) -> str:
    """The fix to suggest for a Fault QuickBooks returned for one record.

    Keyed on codes and on ``element`` (a schema property name such as ``CurrencyRef``,
    never translated), never on Message or Detail: a French company words those in
    French ("Nom en double"; reference/quickbooks-online.md, "Learned since").
    """
    if any((error.element or "").split(".")[-1] == "CurrencyRef" for error in fault.errors):
        return CURRENCY_HINT
    return FIX_HINTS.get(fault.code, DEFAULT_FAULT_HINT)


def mapping_hint(error: MappingError) -> str:
    """The fix of a record the mapper refused: its own hint, else one naming the field."""
    if error.hint:
        return error.hint
    field_name = error.field or "the field named above"
    return (f"correct {field_name!r} at the source (see the record contract in the "
            "target-quickbooks README) or convert it with stream_maps; the record is retried "
            "on the next run")

RESEND_HINT = (
    "the tap sends this document's source record again at the start of the next run "
    "(tap-myfulfillment reads `resend` in this entry) and the target writes it again; with a "
    "tap that does not, make the source emit the record again (e.g. touch it at the source, "
    "or run the feed with a state whose bookmark is before it)"
)


def waiting_message(stream: str, key: str, entry: Mapping[str, Any]) -> str:
    """The log line for a deleted document whose source record has not come back yet."""
    return (f"{stream} record {key!r}: QuickBooks document Id {entry.get('deleted_id')} was "
            f"deleted in QuickBooks; it is written again when its source record comes back. "
            f"Fix: {RESEND_HINT}.")
