"""TargetQuickBooks: the Singer target writing myFulfillment records to QuickBooks Online."""

from __future__ import annotations

import copy
import sys
import typing as t
from pathlib import Path

import click
from singer_sdk import Target
from singer_sdk.singerlib.json import serialize_json
from typing_extensions import override

from target_quickbooks.results import RunResults
from target_quickbooks.settings import CONFIG_SCHEMA, DEFAULT_TOKEN_STORE
from target_quickbooks.sinks import CustomersSink, DocumentsSink, ProductsSink, QuickBooksSink
from target_quickbooks.state import SyncState
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


def build_client(config: t.Mapping[str, t.Any], logger: t.Any) -> t.Any:
    """Build the QuickBooks client (token store, OAuth, rate limiter) from the settings."""
    from target_quickbooks.qbo import (  # noqa: PLC0415 (only runs that write need it)
        QuickBooksAuth,
        QuickBooksClient,
        RateLimiter,
        TokenStore,
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
    limiter = RateLimiter(
        per_minute=int(config.get("max_requests_per_minute") or 500),
        per_second=int(config.get("max_requests_per_second") or 10),
        batch_per_minute=int(config.get("max_batch_requests_per_minute") or 40),
        max_concurrent=int(config.get("max_concurrent_requests") or 10),
        time_scale=float(config.get("rate_limit_time_scale") or 1),
    )
    return QuickBooksClient(
        realm_id=str(config["realm_id"]),
        api_url=config.get("api_url") or QuickBooksClient.base_url_for(environment),
        auth=auth,
        minor_version=int(config.get("minor_version") or 75),
        limiter=limiter,
        logger=logger,
    )


class TargetQuickBooks(Target):
    """Writes ``products``, ``customers``, ``invoices`` and ``credit_memos`` to QuickBooks.

    The ID map lives in Meltano state under ``bookmarks["target-quickbooks"]``: read
    from the first STATE message that carries it (the tap re-emits it) and written
    back into every state this target emits.
    """

    name = "target-quickbooks"
    config_jsonschema = CONFIG_SCHEMA
    default_sink_class = ProductsSink

    def __init__(self, *, client: t.Any = None, **kwargs: t.Any) -> None:
        """Initialise; ``client`` replaces the real QuickBooks client (tests)."""
        super().__init__(**kwargs)
        # Documents drain products and customers first: one sink at a time.
        self.max_parallelism = 1
        realm_id = str(self.config.get("realm_id") or "")
        self.sync_state = SyncState(realm_id, logger=self.logger)
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
        # Emit our entry even when the tap sends no STATE message at all.
        self._latest_state = {"bookmarks": {}}

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

    @override
    def _process_state_message(self, message_dict: dict) -> None:
        value = message_dict.get("value")
        if self.sync_state.load_state_message(value):
            self.logger.info(
                "Loaded the QuickBooks ID map from state: %s.",
                ", ".join(f"{len(entries)} {name}" for name, entries in
                          self.sync_state.maps.items()),
            )
            if self.dry_run:
                self.service.use_state(copy.deepcopy(self.sync_state))
        super()._process_state_message(message_dict)

    @override
    def _write_state_message(self, state: dict) -> None:
        # A dry run passes the incoming state through untouched (its entry included).
        merged = state if self.dry_run else self.sync_state.merged_into(state)
        sys.stdout.write(serialize_json(merged) + "\n")
        sys.stdout.flush()

    # End of run

    @override
    def process_endofpipe(self) -> None:
        # Items and customers before documents; then the pending records of streams
        # that got nothing this run; only then the final state.
        for stream in STREAMS:
            self.drain_streams([stream])
            self.service.retry_pending([stream])
        self.drain_streams(stream for stream in self._sinks_active)
        if not self.dry_run:
            self.sync_state.finish_run(self.results.as_dict())
        super().process_endofpipe()
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
