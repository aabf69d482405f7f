"""When the target emits a STATE line, and which tap bookmarks it may carry.

Why a module of its own: a state claims that every record before its bookmarks
is handled, so emitting one too early loses records and emitting none loses the
Ids QuickBooks confirmed. The rules (progress states at an interval, a
checkpoint before a write that a later step must undo, what is saved when the
run fails, what a dry run may emit) are read together here; the target mixes
this class in and keeps the message handling.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import time
from collections.abc import Iterator

from singer_sdk import Target
from singer_sdk.singerlib.json import serialize_json
from typing_extensions import override

from target_quickbooks.qbo import critical
from target_quickbooks.run_errors import RecordsRejectedError
from target_quickbooks.state import SyncState
from target_quickbooks.state_check import StateDamagedError

__all__ = ["StateEmission"]


class StateEmission(Target):
    """The state-emitting half of :class:`~target_quickbooks.target.TargetQuickBooks`.

    The attributes are set by the target's ``__init__``.
    """

    sync_state: SyncState
    dry_run: bool
    state_interval: float
    _tap_state_seen: bool
    _records_seen: bool
    _safe_state: dict | None
    _incoming_state: dict | None
    _emitted_revision: int
    _emitted_tap_state: dict | None
    _last_emit: float
    _ending: bool
    _failed: bool

    @override
    def _write_state_message(self, state: dict) -> None:
        # Called by the SDK after draining every sink: all records before ``state`` are
        # handled. A dry run wrote nothing: it emits the state it started from (or ``{}``,
        # which Meltano ignores), never the tap's newer bookmarks, or the next real run
        # would skip the records the dry run only looked at.
        if self.dry_run:
            if self.sync_state.loaded:
                # The entry as it came (the dry run changed only its own copy).
                self.sync_state.write_merged(sys.stdout, self._incoming_state)
            else:
                self._print_state(self._incoming_state or {})
            return
        self._safe_state = copy.deepcopy(state)
        if not (self._tap_state_seen or self._records_seen or self.sync_state.loaded
                or self.sync_state.revision):
            # No message from the tap at all (say it failed at start): a state now would
            # carry neither its bookmarks nor the ID map, and Meltano would replace the
            # state it has with it. Writing none keeps that one.
            self.logger.info("No STATE and no record from the tap: no state emitted.")
            return
        if self._ending or self._interval_elapsed():
            self._emit(state)

    def _interval_elapsed(self) -> bool:
        return time.monotonic() - self._last_emit >= self.state_interval

    def _print_state(self, state: dict) -> None:
        sys.stdout.write(serialize_json(state) + "\n")
        sys.stdout.flush()

    def _emit(self, tap_state: dict) -> None:
        """Emit ``tap_state`` with our entry (what QuickBooks confirmed so far).

        The line is written in pieces (the maps are streamed): a termination signal
        waits until it is whole (``critical.section``), and it counts as emitted only
        then, so a signal never leaves a cut line as the last state.
        """
        revision = self.sync_state.revision
        with critical.section():
            self.sync_state.write_merged(sys.stdout, tap_state)
            self._emitted_revision = revision
            self._emitted_tap_state = copy.deepcopy(tap_state)
            self._last_emit = time.monotonic()

    def _undrained(self) -> bool:
        sinks = [*self._sinks_active.values(), *self._sinks_to_clear]
        return any(sink.current_size for sink in sinks)

    def emit_progress(self) -> None:
        """Emit a state after a written batch, so a crash loses no confirmed write.

        It carries the tap bookmarks of :attr:`_safe_state` (older than the records
        in flight, which the tap sends again after a crash) and the current ID map
        and pending records. Before the tap's first state (a first run: the tap sends
        it after its records) it carries the state the run started from, as
        :meth:`save_checkpoint` does: a stop then costs an extraction from the start,
        never the Ids QuickBooks confirmed (``meltano run`` keeps only the states
        emitted before a Ctrl-C). Never sooner than ``state_interval_seconds`` after
        the previous state.
        """
        if (self.dry_run or self.sync_state.revision == self._emitted_revision
                or not self._interval_elapsed()):
            return
        self._emit(self._resumable_tap_state())

    def _resumable_tap_state(self) -> dict:
        """The tap bookmarks a state emitted before the end may carry (see above)."""
        if self._safe_state is not None:
            return self._safe_state
        return self._incoming_state or {"bookmarks": {}}

    def save_checkpoint(self) -> None:
        """Emit a state now, whatever the interval.

        The writer calls it before it changes something in QuickBooks that a later
        step must undo, so a crash in between leaves a state saying what to undo. It
        carries the bookmarks of :attr:`_safe_state`, like every progress state. Before
        one exists (a first run: the tap sends its first STATE after the records), it
        carries the tap state the run started from, or none: a crash then makes the
        next run extract again what this one did (found in the ID map or by natural
        key, never written twice), which is the price of never losing the intent.
        """
        if self.dry_run:
            return
        self._emit(self._resumable_tap_state())

    def _emit_after_failure(self) -> None:
        if self._save_confirmed():
            self.logger.warning(
                "Saved to the state what QuickBooks confirmed before the run stopped; records "
                "that were not written yet are sent again by the next run.")

    def _save_confirmed(self) -> bool:
        """Emit a state with what QuickBooks confirmed, if it holds anything new.

        Its bookmarks are those of :attr:`_safe_state`; before the tap's first state
        has been handled (a first run stopped early), the state the run started from,
        as :meth:`save_checkpoint` does: the ID map must not be lost, and the next run
        extracts again what this one did (found in the map, never written twice).

        Returns:
            True when a state was emitted.
        """
        if self.dry_run or (self._safe_state is None and not self.sync_state.revision):
            return False
        tap_state = self._resumable_tap_state()
        if (self.sync_state.revision == self._emitted_revision
                and tap_state == self._emitted_tap_state):
            return False
        self._emit(tap_state)
        return True

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Around every message callback: a fatal error still saves what QuickBooks confirmed."""
        try:
            yield
        except RecordsRejectedError:
            raise
        except StateDamagedError as error:
            # No state at all: Meltano then keeps the stored one, damage and all, for a
            # person to repair (a state emitted now would replace it without the entry).
            self._failed = True
            error.wrote_before = self.sync_state.revision > 0
            raise
        except Exception:
            if not self._failed:
                self._failed = True
                self._emit_after_failure()
            raise
