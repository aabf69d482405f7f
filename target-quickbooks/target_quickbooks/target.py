"""TargetQuickBooks: the Singer target writing myFulfillment records to QuickBooks Online."""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import time
import typing as t
from collections.abc import Iterator
from pathlib import Path

import click
from singer_sdk import Target
from singer_sdk.singerlib.json import serialize_json
from typing_extensions import override

from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.interrupt import BatchGate, interrupted_line
from target_quickbooks.progress import ProgressReporter
from target_quickbooks.qbo import QuickBooksError, critical
from target_quickbooks.results import RunResults
from target_quickbooks.settings import (
    CONFIG_SCHEMA,
    DEFAULT_PROGRESS_INTERVAL,
    DEFAULT_STATE_INTERVAL,
    DEFAULT_TOKEN_STORE,
)
from target_quickbooks.sinks import CustomersSink, DocumentsSink, ProductsSink, QuickBooksSink
from target_quickbooks.state import SyncState, without_entry
from target_quickbooks.state_check import StateDamagedError
from target_quickbooks.state_json import StateMapReader
from target_quickbooks.writer import STREAM_ALIASES, STREAMS, SyncService, canonical_stream

SINKS: dict[str, type[QuickBooksSink]] = {
    "products": ProductsSink,
    "customers": CustomersSink,
    "invoices": DocumentsSink,
    "credit_memos": DocumentsSink,
}


class UnknownStreamError(ValueError):
    """A SCHEMA message for a stream the target cannot write."""


class RecordsRejectedError(click.ClickException):
    """Raised after the final state when records were rejected, so the run exits 1."""


class RunStoppedError(click.ClickException):
    """A fatal error, shown as one clear line (no traceback); the run exits 1."""


#: Errors a person fixes (settings, authorization, QuickBooks down): shown without traceback.
OPERATOR_ERRORS: tuple[type[Exception], ...] = (QuickBooksError, ConfigurationError,
                                                UnknownStreamError)
#: Seconds a termination signal waits for a token refresh running in another thread.
TERMINATION_GRACE_SECONDS = 30.0


def build_client(config: t.Mapping[str, t.Any], logger: t.Any) -> t.Any:
    """Build the QuickBooks client (token store, OAuth, rate limiter) from the settings."""
    from target_quickbooks.qbo import (  # noqa: PLC0415 (only runs that write need it)
        QuickBooksAuth,
        QuickBooksClient,
        RateLimiter,
        TokenStore,
    )
    from target_quickbooks.qbo.shared_limit import (  # noqa: PLC0415
        SharedRateLimiter,
        limits_path,
    )

    environment = str(config.get("environment") or "sandbox")
    store = TokenStore(Path(config.get("token_store_path") or DEFAULT_TOKEN_STORE))
    auth = QuickBooksAuth(
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        refresh_token=config.get("refresh_token"),
        realm_id=str(config["realm_id"]),
        environment=environment,
        discovery_url=config.get("oauth_discovery_url"),
        token_store=store,
        logger=logger,
    )
    limits: dict[str, t.Any] = {
        "per_minute": int(config.get("max_requests_per_minute") or 500),
        "per_second": int(config.get("max_requests_per_second") or 10),
        "batch_per_minute": int(config.get("max_batch_requests_per_minute") or 40),
        "max_concurrent": int(config.get("max_concurrent_requests") or 10),
        "time_scale": float(config.get("rate_limit_time_scale") or 1),
    }
    # Every feed of a company shares its limits (a file beside the token store), unless
    # the operator opted out: then this process alone counts its requests.
    limiter = (
        SharedRateLimiter(limits_path(store.path, str(config["realm_id"])), **limits)
        if config.get("shared_rate_limit", True) is not False
        else RateLimiter(**limits)
    )
    return QuickBooksClient(
        realm_id=str(config["realm_id"]),
        api_url=config.get("api_url") or QuickBooksClient.base_url_for(environment),
        auth=auth,
        minor_version=int(config.get("minor_version") or 75),
        limiter=limiter,
        logger=logger,
    )


def meltano_state_id() -> str | None:
    """The state id ``meltano run`` gives this run's state, when Meltano runs the target.

    Meltano passes each block the plugin names of the blocks before it
    (``MELTANO_EXTRACTOR_NAME``, ``MELTANO_LOADER_NAME``) and the environment; the id
    is ``<environment>:<extractor>-to-<loader>`` unless a state id suffix is set.
    """
    names = [os.environ.get(name) for name in
             ("MELTANO_ENVIRONMENT", "MELTANO_EXTRACTOR_NAME", "MELTANO_LOADER_NAME")]
    if not all(names):
        return None
    environment, extractor, loader = names
    suffix = os.environ.get("MELTANO_RUN_STATE_ID_SUFFIX")
    return f"{environment}:{extractor}-to-{loader}" + (f":{suffix}" if suffix else "")


class TargetQuickBooks(Target):
    """Writes ``products``, ``customers``, ``invoices`` and ``credit_memos`` to QuickBooks.

    The ID map lives in Meltano state under ``bookmarks["target-quickbooks"]``: read
    from the first STATE message that carries it (the tap re-emits it) and written
    back into every state this target emits.
    """

    name = "target-quickbooks"
    config_jsonschema = CONFIG_SCHEMA
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

    # State

    # Messages: every callback runs guarded, so a fatal error still saves what
    # QuickBooks confirmed (see _emit_after_failure).

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
        if self.dry_run:
            self.logger.info("%s", self.service.dry_run_listing.table())
        title = "target-quickbooks results" + (" (DRY RUN: nothing written)" if self.dry_run
                                               else "")
        self.logger.info("%s", self.results.table(title=title))
        if self._client is not None and hasattr(self._client, "stats"):
            self.logger.info("QuickBooks requests: %s", self._client.stats())
        pending = self.service.state.pending_count()
        if pending:
            self.logger.warning("%d record(s) kept in state for the next run (deferred or "
                                "rejected).", pending)
        rejected = self.results.total("rejected")
        if rejected:
            raise RecordsRejectedError(
                f"{rejected} record(s) were rejected (see the errors above and "
                f"bookmarks['target-quickbooks'].pending in the state); everything else was "
                "written and the state was saved."
            )


if __name__ == "__main__":
    TargetQuickBooks.cli()
