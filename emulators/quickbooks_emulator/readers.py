"""Primitive readers of request values: JSON number, boolean, string, date, reference.

Why a module of their own: the entity rules (:mod:`.validation`) and the sales tax
rules (:mod:`.tax`) read values the same way, with the same QBO faults (2010 for an
unreadable value or unknown property, 2050 for a too-long string, 2020 for a missing
reference value), and neither should import the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from . import faults
from .entities import REF_FIELDS


def check_fields(obj: dict[str, Any], allowed: Iterable[str], cls: str, prefix: str = "") -> None:
    """Raise 2010 for the first property QBO does not know."""
    allowed_set = set(allowed)
    for key in obj:
        if key not in allowed_set:
            raise faults.unsupported_property(prefix + key, cls)


def to_decimal(field: str, value: object) -> Decimal:
    """Read a JSON number (or numeric string, as Jackson does) exactly."""
    if isinstance(value, bool) or value is None:
        raise faults.invalid_value(field, value, "a number is expected")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise faults.invalid_value(field, value, "a number is expected") from None
    if not number.is_finite():
        raise faults.invalid_value(field, value, "a finite number is expected")
    return number


def to_bool(field: str, value: object) -> bool:
    """Read a JSON boolean (``"true"``/``"false"`` strings are accepted, as Jackson does)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise faults.invalid_value(field, value, "true or false is expected")


def to_string(field: str, value: object, maximum: int) -> str:
    """Read a string (numbers are coerced, as Jackson does) and enforce its length (2050)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        raise faults.invalid_value(field, value, "a string is expected")
    text = str(value)
    if len(text) > maximum:
        raise faults.string_length(field, maximum, len(text))
    return text


def to_date(field: str, value: object) -> str:
    """Read a ``YYYY-MM-DD`` date."""
    text = to_string(field, value, 30)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise faults.invalid_value(field, value, "a date YYYY-MM-DD is expected") from None


def ref_value(field: str, value: object) -> str:
    """Read a reference object ``{"value": "..", "name": ".."}`` and return its value."""
    if not isinstance(value, dict):
        raise faults.invalid_value(field, value, 'a reference object {"value": "<Id>"} is expected')
    check_fields(value, REF_FIELDS, "ReferenceType", field + ".")
    if value.get("value") in (None, ""):
        raise faults.required(field + ".value")
    return to_string(field + ".value", value["value"], 100)
