"""Server-side behaviours that tests steer: tokens, the rate limit, injected faults, counters.

Durations are measured on an emulated clock, ``time.monotonic() * time_scale``, so a
benchmark or a test can make the one-minute rate-limit window or the token lifetime
pass in a fraction of a second without sleeping for real.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator_support.counters import Counters


class Clock:
    """Emulated seconds: real monotonic seconds times ``time_scale``."""

    def __init__(self, time_scale: float = 1.0,
                 source: Callable[[], float] = time.monotonic) -> None:
        """``time_scale`` > 1 makes emulated time run faster than ``source`` (real time)."""
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0 (1.0 is real time)")
        self.time_scale = time_scale
        self._source = source

    def now(self) -> float:
        """Current emulated time in seconds."""
        return self._source() * self.time_scale


class TokenBook:
    """Bearer tokens handed out by ``POST /auth/token`` and their expiry times."""

    def __init__(self, clock: Clock, ttl_seconds: float) -> None:
        """Tokens live ``ttl_seconds`` of emulated time."""
        self._clock = clock
        self._ttl = ttl_seconds
        self._expiry: dict[str, float] = {}
        self._issued = 0
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A new token, shaped like Laravel Sanctum's ``<n>|<secret>``."""
        with self._lock:
            self._issued += 1
            token = f"{self._issued}|{secrets.token_urlsafe(30)}"
            self._expiry[token] = self._clock.now() + self._ttl
            return token

    def is_valid(self, token: str) -> bool:
        """True for a known token that has not expired."""
        with self._lock:
            expiry = self._expiry.get(token)
            if expiry is not None and expiry <= self._clock.now():
                del self._expiry[token]
                expiry = None
            return expiry is not None

    def expire_all(self) -> None:
        """Forget every token, as if they had all timed out."""
        with self._lock:
            self._expiry.clear()


class RateLimiter:
    """Laravel-style fixed window: ``limit`` requests per 60 s from the window's first hit."""

    WINDOW_SECONDS = 60.0

    def __init__(self, clock: Clock, limit: int | None) -> None:
        """``limit`` None turns the limit off."""
        if limit is not None and limit < 1:
            raise ValueError("rate_limit_per_minute must be >= 1, or None for no limit")
        self._clock = clock
        self.limit = limit
        self._window_start = 0.0
        self._hits = 0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Count one request; False once the window's budget is spent."""
        if self.limit is None:
            return True
        with self._lock:
            now = self._clock.now()
            if self._hits == 0 or now - self._window_start >= self.WINDOW_SECONDS:
                self._window_start = now
                self._hits = 0
            if self._hits >= self.limit:
                return False
            self._hits += 1
            return True


@dataclass
class Fault:
    """The next ``count`` requests under ``path_prefix`` get ``status`` and ``body``."""

    status: int
    path_prefix: str
    count: int
    body: str | None


class FaultQueue:
    """Faults injected by tests, consumed by matching requests in order."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, status: int, path_prefix: str = "", count: int = 1,
            body: str | None = None) -> None:
        """Queue a fault; ``path_prefix`` is relative to ``/api`` (a leading ``/api`` is ok)."""
        if not 100 <= status <= 599:
            raise ValueError(f"fault status {status} is not an HTTP status (100-599)")
        if count < 1:
            raise ValueError("fault count must be >= 1")
        prefix = path_prefix[len("/api"):] if path_prefix.startswith("/api/") else path_prefix
        with self._lock:
            self._faults.append(Fault(status, prefix, count, body))

    def take(self, path: str) -> Fault | None:
        """The fault this request must answer with, if any (uses up one of its count)."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()


#: Kinds of bad list pages a test can inject (see ``PageFaultQueue``).
PAGE_FAULT_KINDS = ("empty", "short", "total")


@dataclass
class PageFault:
    """A list answer spoiled on purpose: the ``data`` or ``meta.total`` of a real page.

    ``empty`` answers no records, ``short`` drops the page's last record, ``total``
    answers ``meta.total`` = ``total``; the other part of the answer stays true.
    The first ``skip`` matching list requests are answered normally.
    """

    kind: str
    path_prefix: str
    count: int
    skip: int = 0
    total: int | None = None

    def spoil(self, records: list[dict], total: int) -> tuple[list[dict], int]:
        """The page as this fault answers it."""
        if self.kind == "empty":
            return [], total
        if self.kind == "short":
            return records[:-1], total
        return records, total if self.total is None else self.total


class PageFaultQueue:
    """Bad list pages injected by tests, consumed by matching list requests in order.

    Real servers have been seen to answer a page that disagrees with its own
    ``meta.total`` (a replica lagging, a listing changing under a paging client);
    these faults let a test show that a client loses no record when that happens.
    """

    def __init__(self) -> None:
        """Start with no faults."""
        self._faults: list[PageFault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, path_prefix: str = "", count: int = 1, skip: int = 0,
            total: int | None = None) -> None:
        """Queue a page fault; ``path_prefix`` is relative to ``/api``."""
        if kind not in PAGE_FAULT_KINDS:
            raise ValueError(f"page fault kind {kind!r} is not one of {PAGE_FAULT_KINDS}")
        if kind == "total" and (total is None or total < 0):
            raise ValueError("a 'total' page fault needs the total to answer (an integer >= 0)")
        if count < 1 or skip < 0:
            raise ValueError("page fault count must be >= 1 and skip >= 0")
        prefix = path_prefix[len("/api"):] if path_prefix.startswith("/api/") else path_prefix
        with self._lock:
            self._faults.append(PageFault(kind, prefix, count, skip, total))

    def take(self, path: str) -> PageFault | None:
        """The fault this list request must answer with, if any (uses up one of its count)."""
        with self._lock:
            for fault in self._faults:
                if not path.startswith(fault.path_prefix):
                    continue
                if fault.skip:
                    fault.skip -= 1
                    return None
                fault.count -= 1
                if fault.count == 0:
                    self._faults.remove(fault)
                return fault
            return None


class Stats(Counters):
    """Request counters for tests and the benchmark (API calls only, not admin calls)."""

    def __init__(self) -> None:
        """Start at zero."""
        super().__init__(requests=0, by_path=(), logins=0, rate_limited=0, faults=0)

    def request(self, path: str) -> None:
        """Count one API request to ``path`` (relative to ``/api``, without query)."""
        self.add("requests")
        self.add("by_path", key=path)

    def login(self) -> None:
        """Count one token issued."""
        self.add("logins")

    def rate_limited(self) -> None:
        """Count one request refused by the rate limit."""
        self.add("rate_limited")

    def fault(self) -> None:
        """Count one request answered by an injected fault."""
        self.add("faults")
