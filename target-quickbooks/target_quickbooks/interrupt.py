"""Ctrl-C: finish the batch QuickBooks is writing, then stop with one line.

A batch in flight has been sent: QuickBooks may already have created its
entities. Stopping in the middle (what SIGTERM does, ``target.py``) loses their
Ids from this run's state; the next run finds them again by lookup, so nothing is
written twice, but the state the operator is told about is not "everything
QuickBooks confirmed". So a SIGINT that arrives while a batch is in flight is
held until the batch's results are recorded, and the run stops right after it,
within :data:`GRACE_SECONDS` at most (a batch waiting out QuickBooks' limits can
take longer; then it stops as SIGTERM does). A SIGTERM that follows the SIGINT
(``meltano run`` terminates its blocks on Ctrl-C) does not cut the wait short.

Outside a batch (the target is reading its input) the signal stops the run at
once: nothing is in flight.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from target_quickbooks.results import RunResults

#: Longest wait, after Ctrl-C, for the batch in flight.
GRACE_SECONDS = 15.0

#: Outcomes that mean QuickBooks holds the record as sent.
CONFIRMED = ("created", "updated", "unchanged")


class BatchGate:
    """Knows whether a batch is in flight and holds a SIGINT until it is done."""

    def __init__(self, stop: Callable[[int], None], grace: float = GRACE_SECONDS) -> None:
        """``stop(signum)`` ends the run; it is called at most once."""
        self._stop = stop
        self._grace = grace
        self._depth = 0
        #: The signal being held (the first one), or None.
        self.held: int | None = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Mark a batch in flight; a held signal stops the run when the batch ends."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self.held is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._stop(self.held)

    @property
    def in_flight(self) -> bool:
        """Whether a batch is being written now."""
        return self._depth > 0

    def hold(self, signum: int) -> bool:
        """Called by the signal handler: True when the signal waits for the batch.

        SIGINT waits while a batch is in flight; so does any signal once one is
        held. SIGTERM alone, or SIGALRM (the grace period is over), does not.
        """
        if signum == signal.SIGALRM:
            return False
        if self.held is not None:
            return True
        if signum != signal.SIGINT or self._depth == 0:
            return False
        self.held = signum
        signal.signal(signal.SIGALRM, signal.getsignal(signal.SIGINT))
        signal.setitimer(signal.ITIMER_REAL, self._grace)
        return True


def interrupted_line(results: RunResults, *, signum: int, dry_run: bool, cut: bool,
                     under_meltano: bool = False) -> str:
    """The one line a stopped run ends with.

    Args:
        results: This run's outcomes so far.
        signum: The signal that stopped the run.
        dry_run: Nothing was written.
        cut: A batch was still in flight (the grace period ran out, or SIGTERM).
        under_meltano: ``meltano run`` reads the state: Meltano 4.4 stops storing
            states once it is interrupted itself (its job is closed first), so it
            keeps the ones emitted before, not this last one.
    """
    name = signal.Signals(signum).name if signum in signal.Signals.__members__.values() else ""
    by = f"Interrupted ({name}, signal {signum})" if name else f"Interrupted (signal {signum})"
    if dry_run:
        return f"{by} during a dry run: nothing was written to QuickBooks."
    confirmed = sum(results.total(outcome) for outcome in CONFIRMED)
    kept = results.total("deferred") + results.total("rejected")
    parts = ", ".join(f"{results.total(o):,} {o}" for o in CONFIRMED)
    saved = ("are in the last state emitted (Meltano keeps the states emitted before the "
             "interruption; the next run finds any record missing there in QuickBooks by its "
             "key, never writing it twice)" if under_meltano else "were saved in the state")
    head = (f"{by}: {confirmed:,} records confirmed by QuickBooks ({parts}) {saved}"
            if confirmed else f"{by}: no record was confirmed by QuickBooks in this run")
    if kept:
        head += f", {kept:,} deferred or rejected kept there for a retry"
    tail = "; the rest will be sent on the next run"
    if cut:
        tail += (" (a batch still in flight is found again in QuickBooks by its key, "
                 "never written twice)")
    return head + tail + "."
