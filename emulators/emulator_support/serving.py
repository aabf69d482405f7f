"""Serve a ``ThreadingHTTPServer`` from a daemon thread, and run one until a signal.

Why: tests and the demo start an emulator in-process (``start()``/``stop()``), while the
benchmark runs it as its own process that must print its URL and stop cleanly on
SIGTERM/SIGINT; both emulators do exactly this.
"""

from __future__ import annotations

import signal
import threading
from http.server import ThreadingHTTPServer
from types import FrameType
from typing import Protocol


class BackgroundServer:
    """A bound server answering from a daemon thread until ``stop()``.

    Args:
        server: The bound server (its port is already known).
        name: Name of the serving thread (shows up in thread dumps).
        poll_interval: How often ``serve_forever`` checks for shutdown, in seconds.
    """

    def __init__(self, server: ThreadingHTTPServer, name: str, poll_interval: float) -> None:
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": poll_interval},
                                        name=name, daemon=True)

    def start(self) -> BackgroundServer:
        """Start answering requests; returns self."""
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop serving, release the port and wait (up to ``timeout``) for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout)


class _Running(Protocol):
    @property
    def url(self) -> str: ...

    def stop(self) -> None: ...


def serve_until_signal(emulator: _Running, name: str) -> int:
    """Print ``<name> listening on <url>``, block until SIGTERM/SIGINT, then stop.

    Args:
        emulator: An already started emulator.
        name: Product name for the listening line (scripts wait for that line).

    Returns:
        The process exit code (0).
    """
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print(f"{name} listening on {emulator.url}", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0
