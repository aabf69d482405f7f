"""Helpers on STATE values and records that need no :class:`~target_quickbooks.state.SyncState`.

Why a module of their own: the target, the admin commands and the writer find this
target's entry in a STATE value, drop it, or make a record JSON-safe, without
loading an ID map.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from target_quickbooks.state_check import entry_of
from target_quickbooks.state_json import BOOKMARK

__all__ = ["json_safe", "target_entry", "utc_now", "without_entry"]


def utc_now() -> str:
    """Now, ISO 8601 UTC to the second."""
    return dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0).isoformat()


def json_safe(value: Any) -> Any:
    """Copy a record so that it survives JSON exactly: Decimal → str, datetime → ISO."""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def target_entry(value: Any) -> Mapping[str, Any] | None:
    """This target's entry in a STATE value (or a Meltano state), if it has one.

    Raises:
        StateDamagedError: there is an entry, but it is not an object.
    """
    return entry_of(value)


def without_entry(state: Mapping[str, Any]) -> dict[str, Any]:
    """A shallow copy of a STATE value without this target's entry.

    Every STATE message of the tap carries back the (old) ID map it was given;
    keeping those copies would make memory grow with the catalog for nothing,
    since :meth:`SyncState.merged_into` puts the current entry back on emit.
    """
    bookmarks = state.get("bookmarks")
    if not isinstance(bookmarks, Mapping) or BOOKMARK not in bookmarks:
        return dict(state)
    return {**state, "bookmarks": {k: v for k, v in bookmarks.items() if k != BOOKMARK}}
