"""The source → QuickBooks ID map of one run, held in a private SQLite file.

Meltano state stays the map's home (it travels with the state backend and shows
in ``meltano state get``); this is only where a run keeps it between reading the
incoming state and writing the next one. A 100,000-SKU catalogue is a 100,000-entry
map: as Python dicts it costs about 200 bytes per entry, and every emitted state
used to build sorted copies of it. In SQLite the process keeps a few MB of page
cache whatever the size, so the target's memory stays flat with the catalogue
(``make bench``, "peak RSS of the target").

The database is SQLite's private temporary file (an empty file name): nobody else
can open it, it spills to disk beyond the cache, and it is deleted when closed or
when the process dies. No durability is needed (the state is the durable copy), so
nothing is synced to disk and the rollback journal stays in memory.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator

#: The maps of the state entry (one per QuickBooks entity the target writes).
MAPS = ("items", "customers", "invoices", "credit_memos", "payments")
#: Page cache of the map, in KiB (SQLite's negative ``cache_size`` unit).
CACHE_KIB = 4096
#: Rows fetched or inserted per SQLite call when streaming a whole map.
CHUNK = 1000
_REPLACE = "INSERT OR REPLACE INTO map (kind, key, value) VALUES (?, ?, ?)"
_KEEP = ("INSERT OR IGNORE INTO map (kind, key, value) SELECT ?1, ?2, ?3"
         " WHERE NOT EXISTS (SELECT 1 FROM marks WHERE tag = ?1 AND key = ?2)")


def _blob(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _text(blob: bytes) -> str:
    return bytes(blob).decode("utf-8", "surrogatepass")


class IdMap:
    """Key → value maps (one per kind), ordered by key, outside the Python heap.

    Values are the state's compact strings (``"Id:SyncToken:hash8"`` or ``"Id"``);
    :class:`~target_quickbooks.state.SyncState` parses them. Calls are serialised
    by a lock: the SDK may drain sinks from worker threads.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        for pragma in ("journal_mode=MEMORY", "synchronous=OFF", f"cache_size=-{CACHE_KIB}",
                       "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        # Keys and values are UTF-8 BLOBs ("surrogatepass"): any Python string fits,
        # and bytewise order is code point order, the order of sorted().
        self._db.execute("CREATE TABLE map (kind TEXT NOT NULL, key BLOB NOT NULL,"
                         " value BLOB NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID")
        self._db.execute("CREATE TABLE marks (tag TEXT NOT NULL, key BLOB NOT NULL,"
                         " PRIMARY KEY (tag, key)) WITHOUT ROWID")
        # Reverse lookups by QuickBooks Id (:meth:`keys_with_id`): an index, not a dict,
        # so memory stays flat whatever the size of the map.
        self._db.execute("CREATE INDEX map_value ON map (kind, value)")

    @classmethod
    def from_dicts(cls, maps: dict[str, dict[str, str]]) -> IdMap:
        """An ID map holding ``maps`` (kind → {key: value}); tests and small states."""
        idmap = cls()
        for kind, entries in maps.items():
            idmap.load(kind, entries.items())
        return idmap

    def get(self, kind: str, key: str) -> str | None:
        """The value of ``key`` in the map of ``kind``, or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM map WHERE kind = ? AND key = ?",
                                   (kind, _blob(key))).fetchone()
        return None if row is None else _text(row[0])

    def set(self, kind: str, key: str, value: str) -> None:
        """Add or replace one entry."""
        with self._lock:
            self._db.execute(_REPLACE, (kind, _blob(key), _blob(value)))

    def delete(self, kind: str, key: str) -> bool:
        """Remove one entry; True when there was one."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM map WHERE kind = ? AND key = ?",
                                      (kind, _blob(key)))
        return cursor.rowcount > 0

    def keys_with_id(self, kind: str, qbo_id: str) -> list[str]:
        """The keys of ``kind`` whose value is QuickBooks Id ``qbo_id``, in key order.

        Values are ``"Id"`` (documents) or ``"Id:SyncToken:hash8"`` (items, customers):
        an exact match or the range of values starting with ``"Id:"`` (``;`` follows
        ``:``), both answered by the ``map_value`` index.
        """
        exact = _blob(qbo_id)
        with self._lock:
            rows = self._db.execute(
                "SELECT key FROM map WHERE kind = ?1 AND value = ?2 UNION"
                " SELECT key FROM map WHERE kind = ?1 AND value >= ?3 AND value < ?4"
                " ORDER BY key",
                (kind, exact, _blob(qbo_id + ":"), _blob(qbo_id + ";"))).fetchall()
        return [_text(row[0]) for row in rows]

    def load(self, kind: str, pairs: Iterable[tuple[str, str]], *,
             older: bool = False) -> int:
        """Add many entries in one transaction (reading a state); returns how many.

        ``older`` True merges an older map: entries already there, and keys marked
        under ``kind`` (see :meth:`mark`), keep what this map says.
        """
        rows = ((kind, _blob(str(key)), _blob(str(value))) for key, value in pairs)
        statement = _KEEP if older else _REPLACE
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN")
            try:
                self._db.executemany(statement, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return self._db.total_changes - before

    def count(self, kind: str) -> int:
        """How many entries the map of ``kind`` has."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM map WHERE kind = ?",
                                        (kind,)).fetchone()[0])

    def items(self, kind: str) -> Iterator[tuple[str, str]]:
        """Every entry of ``kind``, by key, read a chunk at a time (never all at once).

        SQLite's BINARY collation orders UTF-8 bytes, which is code point order: the
        same order as ``sorted()`` on the keys, so the state stays sorted.
        """
        last: str | None = None
        while True:
            with self._lock:
                if last is None:
                    rows = self._db.execute(
                        "SELECT key, value FROM map WHERE kind = ? ORDER BY key LIMIT ?",
                        (kind, CHUNK)).fetchall()
                else:
                    rows = self._db.execute(
                        "SELECT key, value FROM map WHERE kind = ? AND key > ? ORDER BY key"
                        " LIMIT ?", (kind, last, CHUNK)).fetchall()
            yield from ((_text(key), _text(value)) for key, value in rows)
            if len(rows) < CHUNK:
                return
            last = rows[-1][0]

    def mark(self, tag: str, key: str) -> None:
        """Remember ``key`` under ``tag`` (a set kept beside the maps, also on disk)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO marks (tag, key) VALUES (?, ?)",
                             (tag, _blob(key)))

    def is_marked(self, tag: str, key: str) -> bool:
        """Whether :meth:`mark` was called with ``tag`` and ``key``."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM marks WHERE tag = ? AND key = ?",
                                    (tag, _blob(key))).fetchone() is not None

    def clear_marks(self) -> None:
        """Forget every mark."""
        with self._lock:
            self._db.execute("DELETE FROM marks")

    def as_dict(self, kind: str) -> dict[str, str]:
        """The whole map of ``kind`` as a dict (small maps, tests, other realms)."""
        return dict(self.items(kind))

    def copy(self) -> IdMap:
        """An independent copy (a dry run works on one and leaves this map as it came)."""
        twin = IdMap()
        with self._lock:
            self._db.backup(twin._db)
        return twin

    def close(self) -> None:
        """Close the database (SQLite deletes its file)."""
        with self._lock:
            self._db.close()
