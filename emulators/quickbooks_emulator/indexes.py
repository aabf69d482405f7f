"""Lookup indexes the company maintains, so lookups by natural key stay O(1) as it grows.

Why: the connector looks every record up by Sku / Name / DisplayName / DocNumber before
writing it, and QBO refuses duplicate names and DocNumbers. Scanning every stored record
for each of those checks made a 50,000-item company quadratic to load. The indexes here
are exact *over-approximations*: they return every record that could match, and callers
re-check the real rule on those few candidates, so strictness never depends on them.

Two kinds:

- :class:`UniqueIndex` — the uniqueness rules exactly as validation states them: name
  ``strip().casefold()`` (Item ``Name``; ``DisplayName`` for Customer/Vendor/Employee,
  inactive included) and DocNumber (exact string) per entity.
- :class:`FieldIndex` — the query evaluator's ``=`` / ``IN`` on a top-level field, keyed
  the way :func:`quickbooks_emulator.query._compare` decides string equality: by
  ``casefold()``, plus by number for all-digit strings (``'007' = '7'`` in QBO's numeric
  comparison). Values that are not strings sit in ``others`` and are always candidates.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

# Query fields (lower case) whose ``=`` / ``IN`` conditions are answered from an index.
QUERY_INDEXED_FIELDS = ("id", "sku", "name", "displayname", "docnumber")


def resolve(record: dict[str, Any], path: str) -> Any:
    """Return the value at a dotted path, case-insensitively; references give ``value``."""
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        key = next((k for k in current if k.lower() == part.lower()), None)
        if key is None:
            return None
        current = current[key]
    if isinstance(current, dict) and "value" in current:
        return current["value"]
    return current


def digit_number(text: str) -> Decimal | None:
    """The number an all-digit string stands for (QBO compares two of them numerically)."""
    if not text.isdigit():
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # e.g. superscript digits: isdigit() but not a number
        return None


def string_keys(text: str) -> list[Hashable]:
    """Index keys of a string value: its casefold, and its number when all digits."""
    keys: list[Hashable] = [("s", text.casefold())]
    number = digit_number(text)
    if number is not None:
        keys.append(("n", number))
    return keys


class FieldIndex:
    """Ids of one entity by the value of one top-level field, for ``=`` / ``IN`` queries."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.by_key: dict[Hashable, set[str]] = {}
        self.others: set[str] = set()  # non-string values: always candidates

    def add(self, record: dict[str, Any]) -> None:
        """Index a stored record."""
        value = resolve(record, self.field)
        if value is None:
            return
        if not isinstance(value, str):
            self.others.add(record["Id"])
            return
        for key in string_keys(value):
            self.by_key.setdefault(key, set()).add(record["Id"])

    def remove(self, record: dict[str, Any]) -> None:
        """Forget a record as it was indexed."""
        value = resolve(record, self.field)
        if value is None:
            return
        if not isinstance(value, str):
            self.others.discard(record["Id"])
            return
        for key in string_keys(value):
            ids = self.by_key.get(key)
            if ids is not None:
                ids.discard(record["Id"])
                if not ids:
                    del self.by_key[key]

    def candidates(self, values: Iterable[str]) -> set[str]:
        """Ids of every record whose field could compare equal to one of ``values``."""
        found = set(self.others)
        for value in values:
            for key in string_keys(value):
                found |= self.by_key.get(key, set())
        return found


class UniqueIndex:
    """Ids of one entity by a uniqueness key (normalised name, or exact DocNumber)."""

    def __init__(self, field: str, *, normalise_name: bool) -> None:
        self.field = field
        self.normalise_name = normalise_name
        self.by_key: dict[str, set[str]] = {}

    def key_of(self, value: object) -> str | None:
        """The key a value is stored under (None: the value can never collide)."""
        if not isinstance(value, str):
            return None
        return value.strip().casefold() if self.normalise_name else value

    def add(self, record: dict[str, Any]) -> None:
        """Index a stored record."""
        key = self.key_of(record.get(self.field))
        if key is not None:
            self.by_key.setdefault(key, set()).add(record["Id"])

    def remove(self, record: dict[str, Any]) -> None:
        """Forget a record as it was indexed."""
        key = self.key_of(record.get(self.field))
        ids = self.by_key.get(key) if key is not None else None
        if ids is not None:
            ids.discard(record["Id"])
            if not ids:
                del self.by_key[key]  # type: ignore[arg-type]

    def owners(self, value: str) -> set[str]:
        """Ids of the records holding ``value`` under this index's rule."""
        key = self.key_of(value)
        return set(self.by_key.get(key, ())) if key is not None else set()
