"""Thread-safe request counters behind each emulator's ``stats()``.

Why: tests and the benchmark assert on how many calls a connector made; both emulators
count from many handler threads and zero everything at once between phases.
"""

from __future__ import annotations

import threading
from typing import Any


class Counters:
    """Named counters, zeroed together, read as one consistent JSON-ready snapshot.

    Args:
        layout: Every counter in snapshot order: ``0`` for a plain total, or a tuple of
            keys for a per-key tally (``()`` when keys appear as they are first counted).
    """

    def __init__(self, **layout: int | tuple[str, ...]) -> None:
        self._layout = layout
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._values = {name: dict.fromkeys(keys, 0) if isinstance(keys, tuple) else 0
                            for name, keys in self._layout.items()}

    def add(self, name: str, amount: int = 1, *, key: str | None = None) -> None:
        """Add ``amount`` to the total ``name``, or with ``key`` to that key of a tally."""
        with self._lock:
            if key is None:
                self._values[name] += amount
            else:
                tally = self._values[name]
                tally[key] = tally.get(key, 0) + amount

    def snapshot(self) -> dict[str, Any]:
        """A copy of every counter."""
        with self._lock:
            return {name: dict(value) if isinstance(value, dict) else value
                    for name, value in self._values.items()}
