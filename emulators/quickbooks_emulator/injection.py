"""Scripted failures ("the next write is lost", "the next call is throttled", ...).

Why: the connector's retry, idempotency (``requestid``) and token-refresh paths only run
when things go wrong; tests and the benchmark ask for exact failures instead of waiting
for luck.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("error_before", "lost_response", "throttle", "expire_access_token")


@dataclass
class InjectedFault:
    """One pending failure."""

    kind: str
    count: int
    path_contains: str
    status: int


class FaultInjector:
    """FIFO of pending failures, each consumed by the next matching request.

    A fault with an empty ``path_contains`` matches Company API requests (``/v3/...``)
    only, so that a token refresh does not swallow it; with ``path_contains`` set it
    matches any non-admin request whose path and query contain that text.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[InjectedFault] = []

    def add(self, kind: str, *, count: int = 1, path_contains: str = "", status: int = 502
            ) -> None:
        """Queue a failure.

        Raises:
            ValueError: unknown kind, count < 1 or a status that is not 5xx for
                ``error_before``.
        """
        if kind not in KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; use one of {', '.join(KINDS)}")
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        if kind == "error_before" and not 500 <= status <= 599:
            raise ValueError(f"status must be a 5xx for error_before, got {status}")
        with self._lock:
            self._pending.append(InjectedFault(kind, count, path_contains, status))

    def take(self, path: str) -> InjectedFault | None:
        """Consume and return the first pending failure matching this request, if any."""
        with self._lock:
            for fault in self._pending:
                if fault.path_contains:
                    if fault.path_contains not in path:
                        continue
                elif not path.startswith("/v3/"):
                    continue
                fault.count -= 1
                if fault.count == 0:
                    self._pending.remove(fault)
                return InjectedFault(fault.kind, 1, fault.path_contains, fault.status)
        return None

    def clear(self) -> None:
        """Drop every pending failure."""
        with self._lock:
            self._pending.clear()
