"""QBO's per-realm rate limits, answered with the XML 429.

Why: a connector that batches and retries must stay under 500 requests/minute,
10/second, 40 batch requests/minute and 10 concurrent requests, and must cope with the
XML throttling body. Windows are sliding and shrink with ``time_scale`` (time_scale=10
makes a "minute" last 6 seconds) so the benchmark can hit them quickly.

Choices: a refused request does not consume quota; a batch request counts against the
general per-second/per-minute limits *and* the batch limit; any limit may be None.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Per-realm limits; None disables one."""

    per_minute: int | None = 500
    per_second: int | None = 10
    batch_per_minute: int | None = 40
    max_concurrent: int | None = 10


class Throttle:
    """Sliding-window counters and an in-flight gauge for one realm (thread-safe).

    Args:
        limits: The limits.
        time_scale: Speed-up factor applied to the window lengths.
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(self, limits: Limits, time_scale: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._second = 1.0 / time_scale
        self._minute = 60.0 / time_scale
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()  # last minute of accepted requests
        self._batches: deque[float] = deque()
        self._in_flight = 0

    @staticmethod
    def _count_since(stamps: deque[float], since: float) -> int:
        return sum(1 for t in stamps if t > since)

    def try_acquire(self, *, is_batch: bool) -> bool:
        """Admit a request (True) or refuse it (False: answer 429).

        An admitted request must be followed by :meth:`release`.
        """
        limits = self.limits
        with self._lock:
            now = self._clock()
            while self._recent and self._recent[0] <= now - self._minute:
                self._recent.popleft()
            while self._batches and self._batches[0] <= now - self._minute:
                self._batches.popleft()
            if limits.max_concurrent is not None and self._in_flight >= limits.max_concurrent:
                return False
            if limits.per_minute is not None and len(self._recent) >= limits.per_minute:
                return False
            if limits.per_second is not None and self._count_since(
                self._recent, now - self._second
            ) >= limits.per_second:
                return False
            if is_batch and limits.batch_per_minute is not None and (
                len(self._batches) >= limits.batch_per_minute
            ):
                return False
            self._recent.append(now)
            if is_batch:
                self._batches.append(now)
            self._in_flight += 1
            return True

    def release(self) -> None:
        """Mark an admitted request finished."""
        with self._lock:
            self._in_flight -= 1
