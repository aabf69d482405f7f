"""Read-only instrumentation of an in-process QuickBooks emulator: when each request ran.

``QuickBooksEmulator.stats()`` gives totals; the throughput ratio needs *when* each
write happened (to count writes per emulated minute) and which batch requests were
lookups rather than writes. The probe wraps the emulator's ``CompanyApi`` methods on
its instance (the emulator's files are untouched) and records one event per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quickbooks_emulator import QuickBooksEmulator


@dataclass(frozen=True)
class Event:
    """One performed company request: a batch, a plain query, or a single write.

    Attributes:
        at: monotonic time (real seconds) when the emulator started performing it.
        kind: ``batch``, ``query`` or ``write``.
        writes: create/update operations it carried.
        queries: query statements it carried.
    """

    at: float
    kind: str
    writes: int = 0
    queries: int = 0


@dataclass
class QboProbe:
    """Records the requests an emulator performs (throttled ones never reach it)."""

    emulator: QuickBooksEmulator
    events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def install(self) -> QboProbe:
        """Wrap ``batch``, ``query`` and ``write`` of the emulator's API object."""
        api = self.emulator._state.api  # read-only instrumentation
        api.batch = self._wrap_batch(api.batch)
        api.query = self._wrap_single(api.query, "query")
        api.write = self._wrap_single(api.write, "write")
        return self

    def _record(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def _wrap_batch(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def batch(payload: Any, *args: Any, **kwargs: Any) -> Any:
            items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
            items = items if isinstance(items, list) else []
            queries = sum(1 for item in items if isinstance(item, dict) and "Query" in item)
            self._record(Event(time.monotonic(), "batch", len(items) - queries, queries))
            self._local.in_batch = True
            try:
                return original(payload, *args, **kwargs)
            finally:
                self._local.in_batch = False

        return batch

    def _wrap_single(self, original: Callable[..., Any], kind: str) -> Callable[..., Any]:
        def single(*args: Any, **kwargs: Any) -> Any:
            if not getattr(self._local, "in_batch", False):
                self._record(Event(time.monotonic(), kind, int(kind == "write"),
                                   int(kind == "query")))
            return original(*args, **kwargs)

        return single

    def snapshot(self) -> list[Event]:
        """The events so far, oldest first."""
        with self._lock:
            return sorted(self.events, key=lambda event: event.at)


def writes_per_minute(events: list[Event], minute: float) -> tuple[float, float]:
    """Entity writes per emulated minute, over the write phase of a run.

    QuickBooks' limits are sliding one-minute windows, and a limiter that runs at
    the ceiling sends bursts (40 batches, then a wait for the window to roll). So
    the rate is the *mean number of writes in a one-minute window*, over every
    window that starts at or after the first write and ends at or before the last
    one: the first and last bursts (which a short run would otherwise count as a
    free extra minute) only count for the windows that fully contain them.

    Args:
        events: probe events, oldest first.
        minute: length of an emulated minute in real seconds (60 / time_scale).

    Returns:
        ``(sliding-window writes per minute, writes / span in minutes)``; the
        second is the naive figure, reported beside it. Both are 0.0 without writes.
    """
    writes = [(event.at, event.writes) for event in events if event.writes]
    if not writes:
        return 0.0, 0.0
    first, last = writes[0][0], writes[-1][0]
    total = sum(count for _, count in writes)
    span = last - first
    naive = total / (span / minute) if span > 0 else float(total)
    starts = span - minute  # windows start in [first, last - minute]
    if starts <= 0:
        return naive, naive
    covered = 0.0
    for at, count in writes:
        # Windows [s, s + minute) containing `at`: s in (at - minute, at], within range.
        low, high = max(first, at - minute), min(last - minute, at)
        covered += count * max(0.0, high - low)
    return covered / starts, naive
