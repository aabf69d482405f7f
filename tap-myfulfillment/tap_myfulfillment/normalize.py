"""Pure conversions from myFulfillment's wire format to the record contract.

myFulfillment sends numbers as decimal strings (``"12.9000"``), ids as strings
or integers and timestamps as ``"YYYY-MM-DD HH:MM:SS"`` in UTC without a zone.
The record contract (docs/architecture.md) wants exact numbers (``Decimal``, which
singer-sdk writes without float rounding), string ids and ISO 8601 UTC
timestamps. The conversion is driven by each stream's JSON schema, so the schema
is the single statement of a field's type.
"""

from __future__ import annotations

import datetime as dt
import decimal
import typing as t

_UTC = dt.timezone.utc
_GUEST_IDS = frozenset({"", "0"})


class RecordFormatError(ValueError):
    """A field cannot be converted to the type its schema declares."""


def _types(schema: t.Mapping[str, t.Any]) -> set[str]:
    declared = schema.get("type", [])
    if isinstance(declared, str):
        return {declared}
    types = set(declared)
    for option in schema.get("anyOf", []) or []:
        types |= _types(option)
    return types


def to_decimal(value: t.Any, *, where: str) -> decimal.Decimal | int | None:
    """Convert a decimal string (or JSON number) to an exact number.

    Args:
        value: ``"12.9000"``, ``12``, ``Decimal``; ``""``/``None`` mean unknown.
        where: Record and field, for the error message.

    Returns:
        A ``Decimal`` (or the int unchanged), or None for an empty value.

    Raises:
        RecordFormatError: the value is not a number.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, decimal.Decimal)):
        return value
    if isinstance(value, float):
        # Only reachable if a caller parsed JSON without parse_float=Decimal.
        return decimal.Decimal(repr(value))
    try:
        number = decimal.Decimal(str(value).strip().replace(",", "."))
    except decimal.InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        msg = f"{where}: {value!r} is not a decimal number; fix the value in myFulfillment"
        raise RecordFormatError(msg)
    return number


def to_utc_iso(value: t.Any, *, where: str) -> str | None:
    """Convert a myFulfillment timestamp to ISO 8601 UTC.

    ``"2026-03-01 10:00:00"`` (UTC, no zone) becomes
    ``"2026-03-01T10:00:00+00:00"``; values that already carry an offset are
    converted to UTC.

    Args:
        value: The timestamp string; ``""``/``None`` mean unknown.
        where: Record and field, for the error message.

    Returns:
        The ISO string, or None.

    Raises:
        RecordFormatError: the value is not a timestamp.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = parse_timestamp(value, where=where)
    return parsed.isoformat()


def parse_timestamp(value: t.Any, *, where: str) -> dt.datetime:
    """Parse a timestamp (wire or ISO format) into an aware UTC datetime.

    Args:
        value: ``"2026-03-01 10:00:00"``, ``"2026-03-01T10:00:00Z"``, a datetime...
        where: Context for the error message.

    Returns:
        The aware UTC datetime, without microseconds when the source had none.

    Raises:
        RecordFormatError: the value is not a timestamp.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            msg = (
                f"{where}: {value!r} is not a timestamp "
                "(expected 'YYYY-MM-DD HH:MM:SS' in UTC); fix the value in myFulfillment"
            )
            raise RecordFormatError(msg) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC)


def _to_string(value: t.Any) -> t.Any:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, decimal.Decimal)):
        return str(value)
    return value


def conform(value: t.Any, schema: t.Mapping[str, t.Any], *, where: str) -> t.Any:
    """Convert one value (recursively) to the types its JSON schema declares.

    Unknown properties are kept (singer-sdk drops and reports them later), missing
    ones are not added, and empty strings for numbers and timestamps become null.

    Args:
        value: The raw value from the API.
        schema: The JSON schema of the value.
        where: Record and field path, for error messages.

    Returns:
        The converted value.
    """
    if value is None:
        return None
    types = _types(schema)
    if "object" in types and isinstance(value, dict):
        properties = schema.get("properties", {})
        return {
            key: conform(item, properties[key], where=f"{where}.{key}")
            if key in properties
            else item
            for key, item in value.items()
        }
    if "array" in types and isinstance(value, list):
        item_schema = schema.get("items", {})
        return [
            conform(item, item_schema, where=f"{where}[{index}]")
            for index, item in enumerate(value)
        ]
    if "array" in types and isinstance(value, str) and not value.strip():
        return []
    if types & {"number", "integer"} and "string" not in types:
        return to_decimal(value, where=where)
    if "string" in types and schema.get("format") == "date-time":
        return to_utc_iso(value, where=where)
    if "string" in types:
        return _to_string(value)
    return value


def conform_record(
    record: dict[str, t.Any],
    schema: t.Mapping[str, t.Any],
    *,
    stream: str,
    key_field: str,
) -> dict[str, t.Any]:
    """Conform a whole record, naming the stream and record in any error.

    Args:
        record: The raw record from the API.
        schema: The stream's JSON schema.
        stream: Stream name, for error messages.
        key_field: Field identifying the record in error messages.

    Returns:
        The converted record.
    """
    label = f"{stream} record {key_field}={record.get(key_field)!r}, field "
    properties = schema.get("properties", {})
    return {
        key: conform(value, properties[key], where=f"{label}{key}") if key in properties else value
        for key, value in record.items()
    }


def customer_key(record: t.Mapping[str, t.Any], *, where: str) -> str:
    """Compute the key shared by ``customers``, ``orders``, ``invoices`` and ``credit_memos``.

    Registered customers are keyed by their ``customer_id``; guests (no id, or
    ``0``) by ``guest:`` + their lower-cased email, so one guest buying twice is
    one customer.

    Args:
        record: An order, invoice or credit memo.
        where: Record label for the error message.

    Returns:
        The customer key.

    Raises:
        RecordFormatError: neither a customer id nor an email is present.
    """
    customer_id = record.get("customer_id")
    if customer_id is not None and str(customer_id).strip() not in _GUEST_IDS:
        return str(customer_id).strip()
    email = record.get("customer_email")
    if isinstance(email, str) and email.strip():
        return "guest:" + email.strip().lower()
    msg = (
        f"{where}: neither `customer_id` nor `customer_email` is set, so the customer "
        "cannot be identified; add the customer's email to the document in myFulfillment"
    )
    raise RecordFormatError(msg)


def customer_from_order(order: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Build a ``customers`` record from a normalised order carrying ``customer_key``.

    Names fall back to the billing address when the order has no customer names;
    the phone is the billing telephone.

    Args:
        order: A normalised sales order with ``customer_key``.

    Returns:
        The customer record (fields of the record contract).
    """
    billing = order.get("billing_address") or {}
    key = order["customer_key"]
    email = order.get("customer_email")
    return {
        "customer_key": key,
        "customer_id": None if key.startswith("guest:") else key,
        "email": email.strip() if isinstance(email, str) and email.strip() else None,
        "firstname": order.get("customer_firstname") or billing.get("firstname"),
        "lastname": order.get("customer_lastname") or billing.get("lastname"),
        "company": billing.get("company") or None,
        "phone": billing.get("telephone") or None,
        "billing_address": dict(billing) if billing else None,
        "currency": order.get("currency"),
        "updated_at": order.get("updated_at"),
    }
