"""Value formats of the myFulfillment API: decimal strings, string ids, naive UTC timestamps.

The real API (Laravel over a Magento-style schema) sends every number as a string with
four decimals, so the emulator keeps records in that wire format and converts here only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def to_decimal(value: object) -> Decimal:
    """Read a number given as Decimal, int, float or string (floats via ``str`` to stay exact)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    return Decimal(str(value).strip())


def cents(value: object) -> Decimal:
    """Round a money amount to the cent, half up, as a shop system would."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: object) -> str:
    """Format money the way the API does: rounded to the cent, written with 4 decimals."""
    return f"{cents(value):.4f}"


def dec4(value: object) -> str:
    """Format a quantity or a rate with 4 decimals (``"5.5000"``), without cent rounding."""
    return f"{to_decimal(value):.4f}"


def timestamp(moment: datetime) -> str:
    """Format a UTC moment as the API's naive ``YYYY-MM-DD HH:MM:SS``."""
    return moment.strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """Read an API timestamp back (naive, UTC by convention)."""
    return datetime.strptime(text, TIMESTAMP_FORMAT)


def later(text: str, seconds: int = 1) -> str:
    """Return the API timestamp ``seconds`` after ``text``."""
    return timestamp(parse_timestamp(text) + timedelta(seconds=seconds))
