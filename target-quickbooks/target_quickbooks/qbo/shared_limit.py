"""One company's QuickBooks limits shared by every process that writes to it.

QuickBooks counts requests per company (realm), not per process: four hourly feeds
started at the same minute, each with its own :class:`RateLimiter` allowing ten in
flight and 40 batches a minute, together send four times what the company allows
and earn 429s. :class:`SharedRateLimiter` keeps the limiter's books (requests in
flight, end times of recent requests, a pause after a 429) in a small JSON file per
realm next to the token store, read and rewritten under an exclusive ``flock``; the
same sliding-window rule as :class:`RateLimiter` then holds for all processes
together. The token store already has to be one shared path for every process (and
machine) of a company, so its directory is where the realm's limits live too.

A process killed while holding a slot never gives it back. Each slot records its
host, process id and start time: a slot of this host whose process is gone is freed
at once, any slot older than ``lease_seconds`` (a request never lasts that long:
QuickBooks gives up after 120 s) is freed too, whatever machine took it. A freed
slot counts as a request that ended when it was freed, so the windows stay safe.

Clocks: times in the file are wall-clock seconds (``time.time``), the only clock
processes (and NTP-synchronised machines) share.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from target_quickbooks.qbo.file_lock import exclusive_lock
from target_quickbooks.qbo.ratelimit import RateLimiter, RequestKind

#: Seconds after which a slot counts as abandoned whatever process holds it.
DEFAULT_LEASE_SECONDS = 300.0
#: Longest sleep while every concurrency slot is taken (a release is only seen by polling).
DEFAULT_POLL_SECONDS = 0.02


def limits_path(token_store_path: Path | str, realm_id: str) -> Path:
    """Where a realm's shared limits live: beside the token store, one file per company.

    Args:
        token_store_path: the ``token_store_path`` setting.
        realm_id: the company.

    Returns:
        ``<token store directory>/quickbooks-limits-<realm_id>.json``.
    """
    safe = "".join(ch for ch in str(realm_id) if ch.isalnum() or ch in "-_") or "realm"
    return Path(token_store_path).expanduser().parent / f"quickbooks-limits-{safe}.json"


def process_alive(pid: int) -> bool:
    """Whether a process of this host still runs (a zombie, killed but not reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class SharedRateLimiter(RateLimiter):
    """A :class:`RateLimiter` whose counts are shared through a file by every process of a realm.

    Threads of one process take turns to ask the file (only one polls at a time);
    processes take turns through ``flock`` on ``<path>.lock``.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        alive: Callable[[int], bool] = process_alive,
        host: str | None = None,
        **limits: Any,
    ) -> None:
        """Set the limits and the shared file.

        Args:
            path: the realm's limits file (see :func:`limits_path`); its directory
                is created (mode 0700) when missing.
            lease_seconds: age after which any slot is considered abandoned.
            poll_seconds: longest wait between two looks at the file while every
                concurrency slot is taken.
            clock: wall clock (shared by every process).
            sleep: sleep function.
            alive: whether a process id of this host still runs (tests pass a fake).
            host: this machine's name in the file (default: ``socket.gethostname()``).
            **limits: :class:`RateLimiter` limits (``per_minute``, ``max_concurrent``, ...).
        """
        super().__init__(clock=clock, sleep=sleep, **limits)
        if lease_seconds <= 0 or poll_seconds <= 0:
            raise ValueError("SharedRateLimiter lease_seconds and poll_seconds must be > 0")
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._alive = alive
        self._host = host or socket.gethostname()
        self._pid = os.getpid()
        self._turn = threading.Lock()
        self._stats_lock = threading.Lock()
        self._random = random.Random()
        self.freed_stale = 0

    # ------------------------------------------------------------------ the file

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with exclusive_lock(self.lock_path):
            yield

    def _load(self) -> dict[str, Any]:
        """The shared books; a missing or unreadable file starts empty books.

        Every write is an atomic rename, so an unreadable file means someone else
        wrote it; the books then restart paused for one window, the safe side.
        """
        unreadable = {"paused_until": self._clock() + self._minute_len}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except ValueError:
            data = unreadable
        if not isinstance(data, dict):
            data = unreadable
        return {
            "slots": dict(data.get("slots") or {}),
            "ended": [float(t) for t in data.get("ended") or []],
            "ended_batches": [float(t) for t in data.get("ended_batches") or []],
            "paused_until": float(data.get("paused_until") or 0.0),
        }

    def _save(self, books: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(books, handle, separators=(",", ":"))
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _tidy(self, books: dict[str, Any], now: float) -> None:
        """Free abandoned slots (as requests ending now) and forget ends older than a window."""
        for slot_id, slot in list(books["slots"].items()):
            mine = slot.get("host") == self._host
            dead = mine and slot.get("pid") != self._pid and not self._alive(int(slot["pid"]))
            if dead or now - float(slot.get("since", 0.0)) > self.lease_seconds:
                del books["slots"][slot_id]
                books["ended"].append(now)
                if slot.get("kind") == "batch":
                    books["ended_batches"].append(now)
                self.freed_stale += 1
        for key in ("ended", "ended_batches"):
            books[key] = [t for t in books[key] if t + self._minute_len > now]

    def _wait_in(self, books: dict[str, Any], kind: RequestKind, now: float) -> float | None:
        slots = books["slots"].values()
        in_flight = len(books["slots"])
        if in_flight >= self.max_concurrent:
            return None
        waits = [
            max(0.0, books["paused_until"] - now),
            self._wait_for(books["ended"], in_flight, self.per_second, self._second_len, now),
            self._wait_for(books["ended"], in_flight, self.per_minute, self._minute_len, now),
        ]
        if kind == "batch":
            batches = sum(1 for slot in slots if slot.get("kind") == "batch")
            waits.append(self._wait_for(books["ended_batches"], batches,
                                        self.batch_per_minute, self._minute_len, now))
        if any(wait is None for wait in waits):
            return None
        return max(wait for wait in waits if wait is not None)

    # ------------------------------------------------------------------ the gate

    def _try_take(self, kind: RequestKind) -> tuple[str | None, float | None]:
        """Take a slot if the realm allows it now; else how long to wait (``None``: a release)."""
        with self._locked():
            books = self._load()
            now = self._clock()
            self._tidy(books, now)
            wait = self._wait_in(books, kind, now)
            slot_id = None
            if wait is not None and wait <= 0:
                slot_id = f"{self._host}:{self._pid}:{uuid.uuid4().hex[:12]}"
                books["slots"][slot_id] = {"host": self._host, "pid": self._pid,
                                           "kind": kind, "since": now}
            self._save(books)
        return slot_id, wait

    def _take(self, kind: RequestKind) -> str:
        while True:
            # Threads waiting for a release poll the file one at a time; a thread that knows
            # how long to wait (a window rolling, a pause) sleeps without holding the turn.
            with self._turn:
                while True:
                    slot_id, wait = self._try_take(kind)
                    if slot_id is not None:
                        return slot_id
                    if wait is not None:
                        break
                    pause = self.poll_seconds * self._random.uniform(0.5, 1.0)
                    self._waited(pause)
                    self._sleep(pause)
            self._waited(wait)
            self._sleep(wait)

    def _waited(self, seconds: float) -> None:
        with self._stats_lock:
            self.waited_seconds += seconds

    def _give_back(self, slot_id: str, kind: RequestKind) -> None:
        with self._locked():
            books = self._load()
            now = self._clock()
            if books["slots"].pop(slot_id, None) is not None:
                books["ended"].append(now)
                if kind == "batch":
                    books["ended_batches"].append(now)
            self._tidy(books, now)
            self._save(books)

    @contextlib.contextmanager
    def slot(self, kind: RequestKind = "request") -> Iterator[None]:
        """Block until the realm (all its processes) allows a ``kind`` request; hold a slot.

        Args:
            kind: ``"batch"`` for ``/batch`` calls, ``"request"`` for everything else.

        Yields:
            Nothing; send the request and read its response inside the block.
        """
        if kind not in ("request", "batch"):
            raise ValueError(f"RateLimiter kind must be 'request' or 'batch', got {kind!r}")
        slot_id = self._take(kind)
        try:
            yield
        finally:
            self._give_back(slot_id, kind)

    def penalize(self, seconds: float | None = None) -> float:
        """Pause every process of the realm after a 429.

        Args:
            seconds: ``Retry-After`` from the response, or ``None`` for ``default_penalty``.

        Returns:
            The pause applied, in seconds.
        """
        pause = self.default_penalty if seconds is None else max(0.0, float(seconds))
        self.penalties += 1
        with self._locked():
            books = self._load()
            books["paused_until"] = max(books["paused_until"], self._clock() + pause)
            self._save(books)
        return pause
