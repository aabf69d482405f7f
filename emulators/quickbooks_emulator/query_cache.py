"""The matching rows of a query statement, kept while the company is unchanged.

Why: a client reads a large result one page at a time (``STARTPOSITION`` 1, 1001,
2001... with the same statement, as Intuit's paging asks): without this, every
page filtered and sorted the whole entity again, so reading 100,000 documents cost
100 full scans (the reconcile benchmark). An entry is valid only for the company
version it was computed at: any insert, replace or delete makes it stale, so a
page never shows data another page would not. Batch views (which hide records
created earlier in the batch) are never cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

#: Statements kept (a few clients paging at once).
ENTRIES = 8


class QueryCache:
    """Rows matching a statement (filtered and ordered), by statement, for one company version."""

    def __init__(self) -> None:
        self.version = 0
        self._entries: OrderedDict[Hashable, tuple[int, list[dict[str, Any]]]] = OrderedDict()

    def changed(self) -> None:
        """The company changed: every entry is stale."""
        self.version += 1
        self._entries.clear()

    def rows(self, key: Hashable, compute: Callable[[], list[dict[str, Any]]]
             ) -> list[dict[str, Any]]:
        """The rows of ``key`` at this version, computed once (callers must not edit the list)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] == self.version:
            self._entries.move_to_end(key)
            return entry[1]
        rows = compute()
        self._entries[key] = (self.version, rows)
        while len(self._entries) > ENTRIES:
            self._entries.popitem(last=False)
        return rows
