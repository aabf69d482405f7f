"""Pure record → QuickBooks payload functions: no HTTP, no state, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MappingError(ValueError):
    """A record cannot be turned into a valid payload; the message names field and fix."""

    def __init__(self, message: str, *, field: str | None = None, hint: str = "") -> None:
        self.field = field
        self.hint = hint
        super().__init__(message)


def required_text(record: Mapping[str, Any], name: str, *, why: str = "",
                  hint: str = "") -> str:
    """The record's ``name`` as stripped text: the key every mapper starts from.

    Raises:
        MappingError: when missing or blank, saying ``why`` it is needed.
    """
    value = str(record.get(name) or "").strip()
    if not value:
        raise MappingError(f"'{name}' is missing" + (f": {why}" if why else ""),
                           field=name, hint=hint)
    return value
