"""Client-side throttling so a run goes as fast as QuickBooks allows without tripping 429s.

QuickBooks limits each company to 500 requests a minute, 10 a second and 10 at
once, and batch requests to 40 a minute. Sliding windows of request start times
enforce the rate limits, a counter enforces concurrency, and :meth:`penalize`
pauses every thread after a 429 (Intuit's advice: wait 60 seconds).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Literal

RequestKind = Literal["request", "batch"]


class RateLimiter:
    """Thread-safe gate in front of every QuickBooks request."""

    def __init__(
        self,
        *,
        per_minute: int = 500,
        per_second: int = 10,
        batch_per_minute: int = 40,
        max_concurrent: int = 10,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        default_penalty: float = 60.0,
        slack: float = 0.05,
    ) -> None:
        """Set the limits.

        Args:
            per_minute: requests (batches included) per rolling minute.
            per_second: requests per rolling second.
            batch_per_minute: batch requests per rolling minute.
            max_concurrent: requests in flight at once.
            clock: monotonic clock (tests pass a fake).
            sleep: sleep function (tests pass one that advances the fake clock).
            default_penalty: pause after a 429 without ``Retry-After`` (seconds).
            slack: extra seconds added to each window so network jitter between
                our start time and the server's arrival time cannot push two
                windows' worth of requests into one of the server's.
        """
        for name, value in (
            ("per_minute", per_minute),
            ("per_second", per_second),
            ("batch_per_minute", batch_per_minute),
            ("max_concurrent", max_concurrent),
        ):
            if value < 1:
                raise ValueError(f"RateLimiter {name} must be >= 1, got {value}")
        self.per_minute = per_minute
        self.per_second = per_second
        self.batch_per_minute = batch_per_minute
        self.max_concurrent = max_concurrent
        self.default_penalty = default_penalty
        self.slack = slack
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._second: deque[float] = deque()
        self._minute: deque[float] = deque()
        self._batch_minute: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = float("-inf")
        self.waited_seconds = 0.0
        self.penalties = 0

    def _prune(self, now: float) -> None:
        for window, length in (
            (self._second, 1.0),
            (self._minute, 60.0),
            (self._batch_minute, 60.0),
        ):
            while window and window[0] + length + self.slack <= now:
                window.popleft()

    def _wait_needed(self, kind: RequestKind, now: float) -> float:
        """Seconds until a request of ``kind`` may start (0 when it may start now)."""
        waits = [self._paused_until - now]
        if len(self._second) >= self.per_second:
            waits.append(self._second[-self.per_second] + 1.0 + self.slack - now)
        if len(self._minute) >= self.per_minute:
            waits.append(self._minute[-self.per_minute] + 60.0 + self.slack - now)
        if kind == "batch" and len(self._batch_minute) >= self.batch_per_minute:
            waits.append(
                self._batch_minute[-self.batch_per_minute] + 60.0 + self.slack - now
            )
        return max(0.0, *waits)

    def _acquire(self, kind: RequestKind) -> None:
        with self._cond:
            while True:
                while self._in_flight >= self.max_concurrent:
                    self._cond.wait()
                now = self._clock()
                self._prune(now)
                wait = self._wait_needed(kind, now)
                if wait <= 0:
                    self._second.append(now)
                    self._minute.append(now)
                    if kind == "batch":
                        self._batch_minute.append(now)
                    self._in_flight += 1
                    return
                self.waited_seconds += wait
                # Sleep without the lock so other threads can finish and release slots.
                self._cond.release()
                try:
                    self._sleep(wait)
                finally:
                    self._cond.acquire()

    def _release(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()

    @contextlib.contextmanager
    def slot(self, kind: RequestKind = "request") -> Iterator[None]:
        """Block until a request of ``kind`` is allowed, and hold a concurrency slot.

        Args:
            kind: ``"batch"`` for ``/batch`` calls (also counted as requests),
                ``"request"`` for everything else.

        Yields:
            Nothing; send the request inside the ``with`` block.
        """
        if kind not in ("request", "batch"):
            raise ValueError(f"RateLimiter kind must be 'request' or 'batch', got {kind!r}")
        self._acquire(kind)
        try:
            yield
        finally:
            self._release()

    def penalize(self, seconds: float | None = None) -> float:
        """Pause every new request after a 429.

        Args:
            seconds: ``Retry-After`` from the response, or ``None`` for
                ``default_penalty``.

        Returns:
            The pause applied, in seconds.
        """
        pause = self.default_penalty if seconds is None else max(0.0, float(seconds))
        with self._cond:
            self.penalties += 1
            self._paused_until = max(self._paused_until, self._clock() + pause)
        return pause
