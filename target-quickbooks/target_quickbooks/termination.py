"""Stopping on SIGINT/SIGTERM: save what QuickBooks confirmed, one line, exit 128+signal.

Why a module of its own: the SDK's default handler drains every sink from inside
the signal handler and exits 0; this one waits for a token rotation, lets a
Ctrl-C finish the batch in flight (``interrupt.py``), saves the state through
:class:`~target_quickbooks.state_emission.StateEmission` and tells the scheduler
the run did not finish. The target mixes this class in.
"""

from __future__ import annotations

import contextlib
import os
import sys
import typing as t
from collections.abc import Iterator

from typing_extensions import override

from target_quickbooks.interrupt import BatchGate, interrupted_line
from target_quickbooks.meltano_env import meltano_state_id
from target_quickbooks.qbo import critical
from target_quickbooks.results import RunResults
from target_quickbooks.state_emission import StateEmission

__all__ = ["TERMINATION_GRACE_SECONDS", "Termination"]

#: Seconds a termination signal waits for a token refresh running in another thread.
TERMINATION_GRACE_SECONDS = 30.0


class Termination(StateEmission):
    """The signal-handling part of :class:`~target_quickbooks.target.TargetQuickBooks`.

    ``gate`` and ``results`` are set by the target's ``__init__``.
    """

    gate: BatchGate
    results: RunResults

    @override
    def _handle_termination(self, signum: int, frame: t.Any) -> None:
        """Stop on SIGINT/SIGTERM: save what QuickBooks confirmed, one line, exit 128+signal.

        The SDK's default drains every sink from inside the handler, which can run
        in the middle of a batch (records half-recorded, a refresh-token rotation
        not yet saved) and exits 0. Here a rotation in progress finishes first;
        Ctrl-C (SIGINT) also lets the batch in flight finish (``interrupt.py``), so
        the state holds every write QuickBooks confirmed; SIGTERM stops at once.
        The state emitted claims only confirmed writes with the bookmarks of the
        last fully handled tap state, and the exit code tells the scheduler the
        run did not finish.
        """
        if critical.defer(signum):
            return  # raised again when the token rotation in progress is saved
        if self.gate.hold(signum):
            return  # the run stops when the batch in flight is recorded
        self._stop(self.gate.held or signum, cut=self.gate.in_flight)

    def _stop(self, signum: int, *, cut: bool = False) -> None:
        """Save what QuickBooks confirmed, say so in one line, and end the process."""
        critical.wait_idle(TERMINATION_GRACE_SECONDS)
        with contextlib.suppress(Exception):
            self._save_confirmed()
        self.logger.warning("%s", interrupted_line(
            self.results, signum=signum, dry_run=self.dry_run, cut=cut,
            under_meltano=meltano_state_id() is not None))
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signum)

    @contextlib.contextmanager
    def batch_in_flight(self) -> Iterator[None]:
        """Around each batch a sink hands to the writer (see ``interrupt.BatchGate``)."""
        with self.gate.batch():
            yield
