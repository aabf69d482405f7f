"""TargetQuickBooks: the Singer target writing myFulfillment records to QuickBooks Online.

The parts: :mod:`.state_emission` (when a STATE line is emitted and what it may
claim), :mod:`.termination` (SIGINT/SIGTERM), :mod:`.client_setup` (the
QuickBooks client from the settings), :mod:`.run_errors` (how a run stops),
:mod:`.run_summary` (the end-of-run report), :mod:`.meltano_env` (the state id).
This module keeps the target and its message handling, and every old name
importable.
"""

from __future__ import annotations

import copy
import time
import typing as t

from typing_extensions import override

from target_quickbooks.client_setup import build_client
from target_quickbooks.interrupt import BatchGate
from target_quickbooks.meltano_env import meltano_state_id
from target_quickbooks.progress import ProgressReporter
from target_quickbooks.results import RunResults
from target_quickbooks.run_errors import (
    OPERATOR_ERRORS,
    RecordsRejectedError,
    RunStoppedError,
    UnknownStreamError,
)
from target_quickbooks.run_summary import report_run
from target_quickbooks.settings import (
    CONFIG_SCHEMA,
    DEFAULT_PROGRESS_INTERVAL,
    DEFAULT_STATE_INTERVAL,
)
from target_quickbooks.sinks import CustomersSink, DocumentsSink, ProductsSink, QuickBooksSink
from target_quickbooks.state import SyncState, without_entry
from target_quickbooks.state_check import StateDamagedError
from target_quickbooks.state_json import StateMapReader
from target_quickbooks.termination import TERMINATION_GRACE_SECONDS, Termination
from target_quickbooks.writer import STREAM_ALIASES, STREAMS, SyncService, canonical_stream

__all__ = [
    "OPERATOR_ERRORS",
    "SINKS",
    "TERMINATION_GRACE_SECONDS",
    "RecordsRejectedError",
    "RunStoppedError",
    "TargetQuickBooks",
    "UnknownStreamError",
    "build_client",
    "meltano_state_id",
]

SINKS: dict[str, type[QuickBooksSink]] = {
    "products": ProductsSink,
    "customers": CustomersSink,
    "invoices": DocumentsSink,
    "credit_memos": DocumentsSink,
}


class TargetQuickBooks(Termination):
    """Writes ``products``, ``customers``, ``invoices`` and ``credit_memos`` to QuickBooks.

    The ID map lives in Meltano state under ``bookmarks["target-quickbooks"]``: read
    from the first STATE message that carries it (the tap re-emits it) and written
    back into every state this target emits.
    """

    name = "target-quickbooks"
    # A copy: singer-sdk appends its built-in settings to the class's schema, which
    # must not leak into CONFIG_SCHEMA (the declared settings: the typo check, meltano.yml).
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    default_sink_class = ProductsSink
    #: Streams the ID map of incoming STATE lines into SQLite (flat memory).
    message_reader_class = StateMapReader

    def __init__(self, *, client: t.Any = None, **kwargs: t.Any) -> None:
        """Initialise; ``client`` replaces the real QuickBooks client (tests)."""
        #: Holds Ctrl-C until the batch in flight is recorded (``interrupt.py``); set
        #: first, since the SDK installs the signal handlers as it initialises.
        self.gate = BatchGate(self._stop)
        super().__init__(**kwargs)
        # Documents drain products and customers first: one sink at a time.
        self.max_parallelism = 1
        realm_id = str(self.config.get("realm_id") or "")
        self.sync_state = SyncState(realm_id, logger=self.logger)
        if isinstance(self.message_reader, StateMapReader):
            self.message_reader.want_maps = lambda: not self.sync_state.loaded
        self.results = RunResults()
        self.dry_run = bool(self.config.get("dry_run"))
        self._client = client
        self.service = SyncService(
            config=self.config,
            # A dry run works on a throwaway copy: the emitted state stays as it came.
            state=SyncState(realm_id, logger=self.logger) if self.dry_run else self.sync_state,
            results=self.results,
            client_factory=self._make_client,
            logger=self.logger,
        )
        # Lets the SDK call _write_state_message at the end even when the tap sends no
        # STATE message; whether anything is written is decided there.
        self._latest_state = {"bookmarks": {}}
        self._tap_state_seen = False
        # The newest tap state whose records were all handled (written or kept pending):
        # the only bookmarks a state emitted before the end of the run may carry.
        self._safe_state: dict | None = None
        self._emitted_revision = 0
        self._emitted_tap_state: dict | None = None
        interval = self.config.get("state_interval_seconds")
        #: Progress states at most this often (a large catalogue's state is megabytes).
        self.state_interval = float(DEFAULT_STATE_INTERVAL if interval is None else interval)
        self._last_emit = time.monotonic()
        #: Set once the input has ended: the final state is always emitted.
        self._ending = False
        self._failed = False
        # The state the run started from (what a tap re-emits before any record): all
        # a dry run may emit, since the tap's later states claim records it did not write.
        self._incoming_state: dict | None = None
        self._records_seen = False
        # An intent (an item made active for a write) is saved before QuickBooks changes.
        self.service.checkpoint_hook = self.save_checkpoint
        every = self.config.get("progress_interval_seconds")
        #: "n written of n received so far" in the log, at a steady interval.
        self.progress = ProgressReporter(
            interval=float(DEFAULT_PROGRESS_INTERVAL if every is None else every),
            results=self.results, waited=self._limiter_waited, log=self.logger.info,
            dry_run=self.dry_run)

    def _limiter_waited(self) -> float:
        """Seconds the rate limiter made requests wait so far (0 before any request)."""
        limiter = getattr(self._client, "limiter", None)
        return float(getattr(limiter, "waited_seconds", 0.0))

    def _make_client(self) -> t.Any:
        if self._client is None:
            self._client = build_client(self.config, self.logger)
        return self._client

    # Streams and sinks

    @override
    def get_sink_class(self, stream_name: str) -> type[QuickBooksSink]:
        sink_class = SINKS.get(canonical_stream(stream_name))
        if sink_class is None:
            known = ", ".join([*STREAMS, *STREAM_ALIASES])
            raise UnknownStreamError(
                f"target-quickbooks cannot write stream '{stream_name}'. Known streams: "
                f"{known}. Rename another tap's stream with stream_maps, e.g. "
                f'`stream_maps: {{"{stream_name}": {{"__alias__": "products"}}}}`, '
                "and its fields to the record contract in the README."
            )
        return sink_class

    def drain_streams(self, streams: t.Iterable[str]) -> None:
        """Drain the sinks of ``streams`` now (documents need their items and customers)."""
        wanted = set(streams)
        for sink in list(self._sinks_active.values()):
            if canonical_stream(sink.stream_name) in wanted:
                self.drain_one(sink)

    # Messages: every callback runs guarded, so a fatal error still saves what
    # QuickBooks confirmed (see _emit_after_failure). When a STATE line is emitted
    # is decided in state_emission.py; signals in termination.py.

    @override
    def _process_record_message(self, message_dict: dict) -> None:
        self._records_seen = True
        self.progress.add_received(canonical_stream(str(message_dict.get("stream"))))
        with self._guard():
            super()._process_record_message(message_dict)

    @override
    def _process_schema_message(self, message_dict: dict) -> None:
        with self._guard():
            super()._process_schema_message(message_dict)

    @override
    def _process_state_message(self, message_dict: dict) -> None:
        with self._guard():
            self._tap_state_seen = True
            value = message_dict.get("value")
            reader = self.message_reader
            maps, problems = ((reader.take_maps(), reader.take_problems())
                              if isinstance(reader, StateMapReader) else (None, None))
            if self.sync_state.load_state_message(value, maps, problems):
                self.logger.info(
                    "Loaded the QuickBooks ID map from state: %s.",
                    ", ".join(f"{count} {name}" for name, count in
                              self.sync_state.map_counts().items()),
                )
                if self.dry_run:
                    self.service.use_state(self.sync_state.copy())
            if isinstance(value, dict):
                # The map now lives in ``sync_state``; the tap's copies are dropped.
                value = without_entry(value)
                message_dict = {**message_dict, "value": value}
            super()._process_state_message(message_dict)
            if isinstance(value, dict) and not self._records_seen:
                self._incoming_state = copy.deepcopy(value)
            if isinstance(value, dict) and not self._undrained():
                # Every record before this STATE has been handled already.
                self._safe_state = copy.deepcopy(value)

    @classmethod
    @override
    def invoke(cls, **kwargs: t.Any) -> None:  # type: ignore[override]
        """Run the target; errors a person must fix end with one clear line, exit 1."""
        try:
            super().invoke(**kwargs)
        except StateDamagedError as error:
            error.state_id = error.state_id or meltano_state_id()
            raise RunStoppedError(error.message()) from None
        except OPERATOR_ERRORS as error:
            raise RunStoppedError(
                f"{error} The run stopped: what QuickBooks confirmed was saved to the state "
                "and everything else is sent again by the next run."
            ) from None

    # End of run

    @override
    def process_endofpipe(self) -> None:
        with self._guard():
            self._process_endofpipe()

    def _process_endofpipe(self) -> None:
        try:
            self._finish_input()
        finally:
            self.progress.stop()

    def _finish_input(self) -> None:
        # What changed in QuickBooks, even in a run without document records (a deleted
        # document is found and listed for the tap to send again: drift.py).
        self.service.check_quickbooks_changes(
            canonical_stream(sink.stream_name) for sink in self._sinks_active.values())
        # Items and customers before documents; then the pending records of streams
        # that got nothing this run; only then the final state.
        for stream in STREAMS:
            self.drain_streams([stream])
            self.service.retry_pending([stream])
        self.drain_streams(stream for stream in self._sinks_active)
        if not self.dry_run:
            self.sync_state.finish_run(self.results.as_dict())
        self._ending = True
        super().process_endofpipe()
        report_run(logger=self.logger, results=self.results, service=self.service,
                   client=self._client, dry_run=self.dry_run)


if __name__ == "__main__":
    TargetQuickBooks.cli()
