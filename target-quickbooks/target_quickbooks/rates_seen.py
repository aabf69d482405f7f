"""The VAT rates the feeds have met, so ``check`` can fail on a rate no tax code maps.

A document line whose ``tax_percent`` has no ``tax_code_map`` entry is refused when
the document is mapped; a company that sells at 0 % once a year learns it then. The
writer notes the rates of every document it handles (``rates_seen`` in the target's
state entry) and ``check`` compares them with the map before the next run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.money import rate_key

#: Most rates kept: a country has a handful; OSS sales add one per member state.
MAX_RATES = 200


def document_rates(record: Mapping[str, Any]) -> set[str]:
    """The normalised VAT rates (``"20"``, ``"5.5"``) of a document's item lines.

    Lines without a rate, or with one that is not a number, add nothing: the mapper
    refuses those documents with its own message.
    """
    lines = record.get("items")
    if not isinstance(lines, list):
        return set()
    rates: set[str] = set()
    for line in lines:
        value = line.get("tax_percent") if isinstance(line, Mapping) else None
        if value in (None, "") or isinstance(value, bool):
            continue
        try:
            rates.add(rate_key(value))
        except (MappingError, InvalidOperation, ValueError):
            continue
    return rates


def sorted_rates(rates: Iterable[str]) -> list[str]:
    """Rates in numeric order (``"5.5"`` before ``"20"``), any non-number last."""
    def key(rate: str) -> tuple[int, Decimal, str]:
        try:
            return (0, Decimal(rate), rate)
        except InvalidOperation:
            return (1, Decimal(0), rate)
    return sorted(set(rates), key=key)
