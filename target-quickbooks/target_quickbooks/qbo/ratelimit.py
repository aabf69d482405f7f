"""Client-side throttling so a run goes as fast as QuickBooks allows without tripping 429s.

QuickBooks limits each company to 500 requests a minute, 10 a second and 10 at
once, and batch requests to 40 a minute, counting requests when they *arrive*.
We cannot see arrival times, only that a request arrives somewhere between its
start and the moment its response comes back. So a request counts in a window
from its start until one window length after it *ended* (in-flight requests
always count): whatever the network delay, QuickBooks can never see more than
the limit in any of its windows. After a 429, :meth:`penalize` pauses every
thread (Intuit's advice: wait 60 seconds).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
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
        slack: float = 0.005,
        time_scale: float = 1.0,
    ) -> None:
        """Set the limits.

        Args:
            per_minute: requests (batches included) per rolling minute.
            per_second: requests per rolling second.
            batch_per_minute: batch requests per rolling minute.
            max_concurrent: requests in flight at once.
            clock: monotonic clock (tests pass a fake).
            sleep: sleep function (tests pass one that advances the fake clock).
            default_penalty: pause after a 429 without ``Retry-After`` (seconds,
                in QuickBooks time: divided by ``time_scale``).
            slack: extra seconds added to each window against clock granularity
                (network delay is already covered by counting from a request's end).
            time_scale: speed-up of QuickBooks' clock (the emulator's
                ``time_scale``): windows and the default penalty are divided by it.
        """
        for name, value in (
            ("per_minute", per_minute),
            ("per_second", per_second),
            ("batch_per_minute", batch_per_minute),
            ("max_concurrent", max_concurrent),
        ):
            if value < 1:
                raise ValueError(f"RateLimiter {name} must be >= 1, got {value}")
        if time_scale <= 0:
            raise ValueError(f"RateLimiter time_scale must be > 0, got {time_scale}")
        self.per_minute = per_minute
        self.per_second = per_second
        self.batch_per_minute = batch_per_minute
        self.max_concurrent = max_concurrent
        self.default_penalty = default_penalty / time_scale
        self._second_len = 1.0 / time_scale + slack
        self._minute_len = 60.0 / time_scale + slack
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        # End times of finished requests, oldest first, kept one window long.
        self._ended: deque[float] = deque()
        self._ended_batches: deque[float] = deque()
        self._in_flight = 0
        self._in_flight_batches = 0
        self._paused_until = float("-inf")
        self.waited_seconds = 0.0
        self.penalties = 0

    def _prune(self, now: float) -> None:
        while self._ended and self._ended[0] + self._minute_len <= now:
            self._ended.popleft()
        while self._ended_batches and self._ended_batches[0] + self._minute_len <= now:
            self._ended_batches.popleft()

    @staticmethod
    def _wait_for(
        ended: Iterable[float], in_flight: int, limit: int, window: float, now: float
    ) -> float | None:
        """Seconds until one more request fits this window; ``None`` if only a release helps."""
        recent = [t for t in ended if t + window > now]
        excess = in_flight + len(recent) - limit + 1
        if excess <= 0:
            return 0.0
        if excess > len(recent):
            return None
        return recent[excess - 1] + window - now

    def _wait_needed(self, kind: RequestKind, now: float) -> float | None:
        """Seconds to wait before a ``kind`` request may start; ``None``: wait for a release."""
        if self._in_flight >= self.max_concurrent:
            return None
        waits = [
            max(0.0, self._paused_until - now),
            self._wait_for(self._ended, self._in_flight, self.per_second, self._second_len, now),
            self._wait_for(self._ended, self._in_flight, self.per_minute, self._minute_len, now),
        ]
        if kind == "batch":
            waits.append(
                self._wait_for(
                    self._ended_batches,
                    self._in_flight_batches,
                    self.batch_per_minute,
                    self._minute_len,
                    now,
                )
            )
        if any(wait is None for wait in waits):
            return None
        return max(wait for wait in waits if wait is not None)

    def _acquire(self, kind: RequestKind) -> None:
        with self._cond:
            while True:
                now = self._clock()
                self._prune(now)
                wait = self._wait_needed(kind, now)
                if wait is None:
                    self._cond.wait()  # a request in flight must end first
                    continue
                if wait <= 0:
                    self._in_flight += 1
                    if kind == "batch":
                        self._in_flight_batches += 1
                    return
                self.waited_seconds += wait
                # Sleep without the lock so other threads can finish and release slots.
                self._cond.release()
                try:
                    self._sleep(wait)
                finally:
                    self._cond.acquire()

    def _release(self, kind: RequestKind) -> None:
        with self._cond:
            now = self._clock()
            self._in_flight -= 1
            self._ended.append(now)
            if kind == "batch":
                self._in_flight_batches -= 1
                self._ended_batches.append(now)
            self._cond.notify_all()

    @contextlib.contextmanager
    def slot(self, kind: RequestKind = "request") -> Iterator[None]:
        """Block until a request of ``kind`` is allowed, and hold a concurrency slot.

        Args:
            kind: ``"batch"`` for ``/batch`` calls (also counted as requests),
                ``"request"`` for everything else.

        Yields:
            Nothing; send the request and read its response inside the block.
        """
        if kind not in ("request", "batch"):
            raise ValueError(f"RateLimiter kind must be 'request' or 'batch', got {kind!r}")
        self._acquire(kind)
        try:
            yield
        finally:
            self._release(kind)

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
