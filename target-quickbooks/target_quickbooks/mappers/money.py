"""Decimal money helpers: records arrive with ``Decimal`` numbers; payloads leave as JSON.

Payload numbers are Python ``float`` only at the very end (:func:`json_amount`,
:func:`json_number`), from a ``Decimal`` already quantized or exact, so
``json.dumps`` prints them exactly (``12.34`` stays ``12.34``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from target_quickbooks.mappers import MappingError

CENT = Decimal("0.01")
ZERO = Decimal(0)


def to_decimal(value: object, field: str, *, default: Decimal | None = None) -> Decimal:
    """Read a number (``Decimal``, int, float or numeric string) as a ``Decimal``.

    Args:
        value: the raw value; ``None`` or ``""`` gives ``default``.
        field: field name, used in the error message.
        default: returned for missing values; ``None`` makes them an error.

    Returns:
        The number.

    Raises:
        MappingError: when the value is missing (and no default) or not a finite number.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise MappingError(f"'{field}' is missing: a number is required", field=field)
        return default
    if isinstance(value, bool):
        raise MappingError(f"'{field}' must be a number, got {value!r}", field=field)
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise MappingError(
            f"'{field}' must be a number, got {value!r}", field=field,
            hint="send a JSON number with a dot as decimal separator, e.g. 12.50",
        ) from None
    if not number.is_finite():
        raise MappingError(f"'{field}' must be a finite number, got {value!r}", field=field)
    return number


def cents(value: Decimal) -> Decimal:
    """Round half-up to the cent, as accounting does."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def json_amount(value: Decimal) -> float:
    """A money amount for the payload: rounded to the cent, then a float."""
    return float(cents(value))


def json_number(value: Decimal) -> int | float:
    """A quantity or unit price for the payload, exact: int when integral, else float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())


def rate_key(value: object) -> str:
    """Normalise a VAT rate for ``tax_code_map``: ``20.0000`` → ``"20"``, ``5.50`` → ``"5.5"``."""
    number = to_decimal(value, "tax_percent")
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")
