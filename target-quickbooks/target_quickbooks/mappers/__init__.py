"""Pure record → QuickBooks payload functions: no HTTP, no state, no clock."""

from __future__ import annotations


class MappingError(ValueError):
    """A record cannot be turned into a valid payload; the message names field and fix."""

    def __init__(self, message: str, *, field: str | None = None, hint: str = "") -> None:
        self.field = field
        self.hint = hint
        super().__init__(message)
