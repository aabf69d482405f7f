"""Sections a termination signal must not cut: a refresh-token rotation and its saving.

Intuit rotates the refresh token on a refresh and the previous one stops working.
Between Intuit's answer and the fsync of the token store the new token exists only
in memory: a process that stops there loses it, and every later run fails until a
person authorizes again. SIGKILL cannot be helped; SIGTERM and SIGINT (schedulers
cancelling a run) can: the target's signal handler asks :func:`defer` first and, if
the main thread is inside such a section, the signal is raised again when the
section ends. Sections running in other threads are waited for with
:func:`wait_idle`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_cond = threading.Condition()
_depth: dict[int, int] = {}
_deferred: list[int] = []


@contextlib.contextmanager
def section() -> Iterator[None]:
    """Mark the enclosed code as not to be interrupted by SIGTERM/SIGINT."""
    me = threading.get_ident()
    with _cond:
        _depth[me] = _depth.get(me, 0) + 1
    try:
        yield
    finally:
        with _cond:
            _depth[me] -= 1
            if not _depth[me]:
                del _depth[me]
            _cond.notify_all()
            resend = (
                _deferred.pop()
                if _deferred and me == threading.main_thread().ident and me not in _depth
                else None
            )
        if resend is not None:
            signal.raise_signal(resend)


def defer(signum: int) -> bool:
    """Called by a signal handler (main thread): True when the signal must wait.

    The signal is raised again, in the main thread, when its section ends.
    """
    main = threading.main_thread().ident
    with _cond:
        if main in _depth:
            _deferred[:] = [signum]
            return True
    return False


def wait_idle(timeout: float) -> bool:
    """Wait until no other thread is inside a section; False when ``timeout`` passed."""
    me = threading.get_ident()
    with _cond:
        return _cond.wait_for(lambda: not (set(_depth) - {me}), timeout=timeout)
