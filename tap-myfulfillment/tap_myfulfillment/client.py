"""Base stream for myFulfillment: the incremental read, oldest first.

The stream's layers, one module each: ``requesting`` (login, retries, error
classification through the SDK hooks), ``listing`` (paging with overlap, each
page checked against its total, the sort check) and this module, which turns a
listing into an incremental sync: ``get_records`` reads page by page down to the
bookmark (checking that the server really sorts before stopping early), spools to
disk and emits oldest first.
"""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_myfulfillment.errors import ListingChangedError
from tap_myfulfillment.listing import ListingReader, ListingShiftedError
from tap_myfulfillment.marks import Problem, attach
from tap_myfulfillment.normalize import (
    RecordFormatError,
    conform_record,
    missing_required,
    parse_timestamp,
)
from tap_myfulfillment.resend import emit_resent
from tap_myfulfillment.spool import ReverseSpool

if t.TYPE_CHECKING:
    import datetime as dt

    from singer_sdk.helpers.types import Context

__all__ = ["EMITTED_AT_BOOKMARK", "MyFulfillmentStream"]

#: Stream-state key holding the keys already emitted at the bookmark's timestamp.
EMITTED_AT_BOOKMARK = "emitted_keys_at_bookmark"

#: Full reads of a listing attempted when its pages stop joining up.
MAX_SCAN_ATTEMPTS = 3


class MyFulfillmentStream(ListingReader):
    """A myFulfillment list endpoint read incrementally by ``updated_at``."""

    records_jsonpath = "$.data[*]"
    replication_key = "updated_at"
    #: Field whose values identify records already emitted at the bookmark second.
    boundary_key: str = "id"
    #: Schema of the API's records, when it differs from the emitted ``schema``.
    source_schema: t.ClassVar[dict[str, t.Any] | None] = None

    @property
    @override
    def is_sorted(self) -> bool:
        """Records are emitted oldest first, so an interrupted sync can resume."""
        return True

    # ---- records --------------------------------------------------------------

    def transform(self, raw: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """Turn one raw API record into a contract record (None to drop it).

        A field that cannot be normalised becomes null and is listed in the
        record's ``normalization_errors`` (see ``tap_myfulfillment.marks``), so one
        malformed document does not stop the stream. Only an unreadable
        ``updated_at`` still stops it: the record could not be placed against the
        bookmark, so the bookmark could pass it for good.

        Args:
            raw: The record as received.

        Returns:
            The normalised record.

        Raises:
            RecordFormatError: ``updated_at`` cannot be read.
        """
        schema = self.source_schema or self.schema
        problems: list[Problem] = []
        record = conform_record(
            raw, schema, stream=self.name, key_field=self.boundary_key, problems=problems
        )
        bookmark_field = self.replication_key or "updated_at"
        for problem in problems:
            if problem.field == bookmark_field:
                msg = (
                    f"{self.name} record {self.boundary_key}={raw.get(self.boundary_key)!r}, "
                    f"field {bookmark_field}: {problem.reason}; the stream stops because the "
                    "record cannot be placed against the bookmark"
                )
                raise RecordFormatError(msg, reason=problem.reason)
        skip = {self.boundary_key, bookmark_field, "customer_key", *self.primary_keys}
        problems += missing_required(record, raw, schema, skip=skip)
        return attach(record, problems)

    def boundary_value(self, record: dict[str, t.Any]) -> str:
        """Identify a record for the same-second bookmark rule.

        Args:
            record: A transformed record.

        Returns:
            The value of ``boundary_key``.
        """
        return str(record.get(self.boundary_key))

    def finish(self, record: dict[str, t.Any], context: Context | None) -> dict[str, t.Any]:
        """Complete a record just before it is emitted (see ``CreditMemosStream``).

        Runs only for the records the run emits, never for those the read skips.

        Args:
            record: A record read back from the spool.
            context: Stream context.

        Returns:
            The record, unchanged by default.
        """
        return record

    def start_dedupe(self) -> None:
        """Reset per-run duplicate tracking (see ``CustomersStream``)."""

    def is_duplicate(self, record: dict[str, t.Any]) -> bool:
        """Tell whether a newer record with the same key was already kept this run.

        Args:
            record: A transformed record, met newest first.

        Returns:
            False: by default every record is kept.
        """
        return False

    def _bookmark_keys(self, since: dt.datetime | None, context: Context | None) -> list[str]:
        """Keys already emitted at the bookmark, if the bookmark is the starting point.

        Also rewrites a hand-edited bookmark (``...Z``) in the records' format
        (``...+00:00``), because the SDK compares bookmarks as strings.
        """
        state = self.get_context_state(context)
        bookmark = state.get("replication_key_value")
        if not bookmark:
            return []
        parsed = parse_timestamp(bookmark, where=f"{self.name} state replication_key_value")
        state["replication_key_value"] = parsed.isoformat()
        keys = state.get(EMITTED_AT_BOOKMARK)
        if since is None or parsed != since or not isinstance(keys, list):
            return []
        return [str(key) for key in keys]

    def _stamp(self, record: dict[str, t.Any]) -> dt.datetime:
        value = record.get(self.replication_key or "updated_at")
        key = self.primary_keys[0]
        where = f"{self.name} record {key}={record.get(key)!r}"
        if not value:
            msg = f"{where}: `updated_at` is missing, so the record cannot be synced incrementally"
            raise RecordFormatError(msg)
        return parse_timestamp(value, where=f"{where}, field updated_at")

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Read newest first down to the bookmark, then emit oldest first.

        Reading stops at a page boundary, after a page whose records were all
        newest first and whose last record is strictly older than the bookmark
        (or ``start_date``), once the server was seen to honour the sort (see
        ``_server_sorts``); otherwise the whole listing is read and filtered
        locally. Nothing is emitted before the read is complete, so the
        bookmark never moves past a record that was not read. Records at the
        bookmark's exact second are emitted unless their key is in the state's
        ``emitted_keys_at_bookmark``, so a rerun emits nothing while a record
        changed later in that same second still comes out.

        Args:
            context: Stream context (unused).

        Yields:
            Contract records, oldest first.

        Raises:
            ListingChangedError: the listing kept shifting during every attempt.
        """
        resent = getattr(self._tap, "resend", {}).get(self.name)
        if resent:  # documents the target asks for again (deleted in QuickBooks)
            emit_resent(self, resent, context)
        since = self.get_starting_timestamp(context)
        done = set(self._bookmark_keys(since, context))
        for attempt in range(1, MAX_SCAN_ATTEMPTS + 1):
            with ReverseSpool() as spool:
                try:
                    self._scan(context, since, done, spool)
                except ListingShiftedError as exc:
                    if attempt == MAX_SCAN_ATTEMPTS:
                        msg = (
                            f"{self.name}: {exc}; the listing kept changing during "
                            f"{MAX_SCAN_ATTEMPTS} reads, so nothing was emitted and the "
                            "bookmark did not move; run the sync again later"
                        )
                        raise ListingChangedError(msg) from None
                    self.logger.warning("%s: %s; reading the listing again", self.name, exc)
                    continue
                self.logger.info(
                    "%s: %d new or changed records since %s", self.name, len(spool), since
                )
                yield from self._emit_oldest_first(spool, since, sorted(done), context)
                return

    def _scan(
        self,
        context: Context | None,
        since: dt.datetime | None,
        done: set[str],
        spool: ReverseSpool,
    ) -> None:
        """Read the listing into ``spool``: everything at or after ``since``, less repeats.

        Consecutive pages overlap (``page_overlap``): records of the previous
        page met again are skipped, and the first record of each page must be
        one of them, otherwise records may have moved up past the page boundary
        unseen and ``ListingShiftedError`` asks for a new read. (A record
        updated during the read moves to the top and shifts the others *down*,
        which only repeats records; the updated record itself is newer than the
        bookmark this run sets, so the next run reads it.)

        Raises:
            ListingShiftedError: the pages no longer join up.
        """
        self.start_dedupe()
        server_sorts = True
        newest_id: str | None = None
        previous: dt.datetime | None = None
        previous_page: set[str] | None = None
        for rows, more in self._pages(context):
            if newest_id is None:
                newest_id = str(rows[0].get("id"))
            page: set[str] = set()
            for raw in rows:
                record = self.transform(raw)
                if record is None:
                    continue
                key = self.boundary_value(record)
                if self._pages_split(previous_page, page, key):
                    msg = f"a page of {self.path} does not start with a record of the previous page"
                    raise ListingShiftedError(msg)
                page.add(key)
                if previous_page is not None and key in previous_page:
                    continue  # read again in the overlap
                stamp = self._stamp(record)
                if server_sorts and previous is not None and stamp > previous:
                    server_sorts = False
                    self.logger.warning(
                        "%s: the server ignored sorts[updated_at]=desc; "
                        "reading the whole listing and filtering locally",
                        self.path,
                    )
                previous = stamp
                if since is not None and stamp < since:
                    continue
                # Mark the customer as seen before the same-second check: an order
                # skipped there was still the customer's latest (see CustomersStream).
                duplicate = server_sorts and self.is_duplicate(record)
                if since is not None and stamp == since and key in done:
                    continue
                if duplicate:
                    continue
                spool.append([key, record], stamp=stamp.timestamp())
            previous_page = page
            if (
                more
                and server_sorts
                and since is not None
                and previous is not None
                and previous < since
                and newest_id is not None
            ):
                if self._server_sorts(context, newest_id, previous):
                    return
                server_sorts = False

    def _emit_oldest_first(
        self,
        spool: ReverseSpool,
        since: dt.datetime | None,
        done: list[str],
        context: Context | None,
    ) -> t.Iterator[dict[str, t.Any]]:
        """Yield spooled records and keep the state's same-second key list in step.

        The list is updated just before each record is handed to the SDK, which
        writes the record and then moves ``replication_key_value`` to its
        ``updated_at``; so every STATE message pairs a bookmark with exactly the
        keys emitted at that second.
        """
        state = self.get_context_state(context)
        current = since
        keys = list(done)
        for key, record in spool.oldest_first():
            stamp = self._stamp(record)
            if stamp != current:
                current = stamp
                keys = []
            keys.append(key)
            state[EMITTED_AT_BOOKMARK] = keys
            yield self.finish(record, context)
