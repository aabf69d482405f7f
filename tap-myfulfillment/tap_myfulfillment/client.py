"""Base stream for myFulfillment: auth, paging, retries and incremental reads.

The SDK's request machinery (``request_decorator``, ``_request``, the paginator)
sends every call; this class plugs in myFulfillment's specifics through the SDK
hooks:

* ``authenticator`` / ``_request``: bearer token from ``/auth/token``, one fresh
  login and one retry on a 401;
* ``validate_response`` / ``backoff_*``: retry rate limiting (HTTP 400
  ``Too Many Attempts.``, 429) and 500/502/503/504 with exponential backoff and
  jitter; other 4xx fail with the server's message;
* ``get_new_paginator`` / ``get_url_params``: ``limit``/``offset`` paging with a
  small overlap between pages, newest first (``sorts[updated_at]=desc`` then
  ``sorts[id]=desc`` so that rows of the same second keep one order);
* ``get_records``: read page by page down to the bookmark (checking that the
  server really sorts before stopping early), spool to disk, emit oldest first.
"""

from __future__ import annotations

import random
import time
import typing as t
from decimal import Decimal

import backoff
import requests
from singer_sdk.streams import RESTStream
from typing_extensions import override

from tap_myfulfillment.errors import (
    CREDENTIALS_HINT,
    ListingChangedError,
    ListingPageError,
    MyFulfillmentAuthError,
    UnauthorizedError,
    raise_for_response,
)
from tap_myfulfillment.marks import Problem, attach
from tap_myfulfillment.normalize import (
    RecordFormatError,
    conform_record,
    missing_required,
    parse_timestamp,
)
from tap_myfulfillment.pagination import SHRUNK, MyFulfillmentPaginator, page_fault, page_total
from tap_myfulfillment.resend import emit_resent
from tap_myfulfillment.spool import ReverseSpool

if t.TYPE_CHECKING:
    import datetime as dt

    from singer_sdk.helpers.types import Context

    from tap_myfulfillment.auth import MyFulfillmentAuthenticator

#: Stream-state key holding the keys already emitted at the bookmark's timestamp.
EMITTED_AT_BOOKMARK = "emitted_keys_at_bookmark"

DEFAULT_PAGE_SIZE = 100

#: Records re-read at the start of each page (at most half a page), so that a
#: record leaving the listing during the scan cannot make the next one unseen.
PAGE_OVERLAP = 2

#: Full reads of a listing attempted when its pages stop joining up.
MAX_SCAN_ATTEMPTS = 3

#: Requests of one page, the first included, while it disagrees with its
#: ``meta.total`` (waits follow the retry backoff: about 1, 2, 4 s by default).
PAGE_TRIES = 4

#: The listing order: newest first, ties broken by id so pages are stable.
LISTING_SORTS: tuple[tuple[str, str], ...] = (("updated_at", "desc"), ("id", "desc"))

#: The opposite order, asked for one record to check that the server sorts.
PROBE_SORTS: tuple[tuple[str, str], ...] = (("updated_at", "asc"), ("id", "asc"))


class _ListingShiftedError(Exception):
    """The first record of a page was not on the previous page: records may be unseen."""


def _sort_params(sorts: tuple[tuple[str, str], ...], *, tie_breaker: bool = True) -> dict[str, str]:
    """``sorts[..]`` parameters; without the tie-breaker only the first sort is sent."""
    chosen = sorts if tie_breaker else sorts[:1]
    return {f"sorts[{name}]": direction for name, direction in chosen}


class MyFulfillmentStream(RESTStream[int]):
    """A myFulfillment list endpoint read incrementally by ``updated_at``."""

    records_jsonpath = "$.data[*]"
    replication_key = "updated_at"
    #: Field whose values identify records already emitted at the bookmark second.
    boundary_key: str = "id"
    #: Schema of the API's records, when it differs from the emitted ``schema``.
    source_schema: t.ClassVar[dict[str, t.Any] | None] = None

    #: Retry tuning. Defaults wait about 1+2+4+8+16+30+30 s (with jitter) before
    #: giving up, long enough for myFulfillment's one-minute rate-limit window.
    #: Tests lower ``retry_base_seconds`` to 0.
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 30.0
    retry_max_tries: int = 8
    #: Per-request timeout in seconds.
    request_timeout: int = 120

    @property
    @override
    def url_base(self) -> str:
        """The ``base_url`` setting, e.g. ``https://fr3.myfulfillment.boostmyshop.com/api``."""
        return str(self.config["base_url"]).rstrip("/")

    @property
    @override
    def is_sorted(self) -> bool:
        """Records are emitted oldest first, so an interrupted sync can resume."""
        return True

    @property
    @override
    def timeout(self) -> int:
        """Request timeout in seconds."""
        return self.request_timeout

    @property
    def page_size(self) -> int:
        """The ``page_size`` setting (records per request)."""
        return int(self.config.get("page_size") or DEFAULT_PAGE_SIZE)

    @property
    @override
    def authenticator(self) -> MyFulfillmentAuthenticator:
        """The tap-wide authenticator, so one login serves every stream."""
        return self._tap.authenticator  # type: ignore[attr-defined, no-any-return]

    @property
    @override
    def http_headers(self) -> dict:
        """Ask for JSON answers."""
        return {**super().http_headers, "Accept": "application/json"}

    # ---- requests -------------------------------------------------------------

    @property
    def page_overlap(self) -> int:
        """Records shared by consecutive pages (none with one-record pages)."""
        return min(PAGE_OVERLAP, self.page_size // 2)

    @override
    def get_new_paginator(self) -> MyFulfillmentPaginator:
        """Page with ``limit``/``offset`` until ``meta.total``, pages overlapping."""
        return MyFulfillmentPaginator(
            start_value=0, page_size=self.page_size, overlap=self.page_overlap
        )

    @override
    def get_url_params(
        self,
        context: Context | None,
        next_page_token: int | None,
    ) -> dict[str, t.Any]:
        """Ask for one page, newest first.

        Args:
            context: Unused (streams are not partitioned).
            next_page_token: The offset of the page.

        Returns:
            ``limit``, ``offset``, ``sorts[updated_at]=desc`` and the tie-breaker
            ``sorts[id]=desc`` (several sorts apply in order).
        """
        return {
            "limit": self.page_size,
            "offset": next_page_token or 0,
            **_sort_params(LISTING_SORTS, tie_breaker=self._tie_breaker),
        }

    @property
    def _tie_breaker(self) -> bool:
        """Whether ``sorts[id]`` may be sent (setting ``id_tie_breaker``)."""
        return bool(self.config.get("id_tie_breaker", True))

    @override
    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        """Prepare the request without authenticating it yet.

        The SDK authenticates again in ``_request``, inside the backoff decorator;
        doing it only there means the login itself is retried on rate limiting.

        Returns:
            The prepared, not yet authenticated request.
        """
        kwargs["headers"] = {"User-Agent": self.user_agent, **(kwargs.get("headers") or {})}
        request = requests.Request(*args, **kwargs)
        return self.requests_session.prepare_request(request)

    @override
    def _request(
        self,
        prepared_request: requests.PreparedRequest,
        context: Context | None,
    ) -> requests.Response:
        """Send a request; on a 401, log in again once and resend.

        Args:
            prepared_request: The request.
            context: Stream context.

        Returns:
            The successful response.

        Raises:
            MyFulfillmentAuthError: a freshly issued token was refused too.
        """
        try:
            return super()._request(prepared_request, context)
        except UnauthorizedError:
            self.logger.info("Token refused on %s; logging in again", self.path)
            self.authenticator.invalidate()
        try:
            return super()._request(prepared_request, context)
        except UnauthorizedError as exc:
            msg = (
                f"myFulfillment refused a freshly issued token on {self.path} (HTTP 401 twice): "
                f"the API user may lack access to this endpoint; {CREDENTIALS_HINT}."
            )
            raise MyFulfillmentAuthError(msg) from exc

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Classify the response (see ``tap_myfulfillment.errors.raise_for_response``).

        Args:
            response: The HTTP response.
        """
        raise_for_response(response)

    @override
    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Yield the ``data`` records, numbers parsed as ``Decimal``.

        Args:
            response: A list response.

        Yields:
            Each raw record.
        """
        body = response.json(parse_float=Decimal)
        data = body.get("data") if isinstance(body, dict) else None
        if data is None:
            return
        if not isinstance(data, list):
            msg = f"myFulfillment {self.path}: `data` is not a list in the answer"
            raise RecordFormatError(msg)
        yield from data

    @override
    def backoff_wait_generator(self) -> t.Generator[float, None, None]:
        """Exponential waits: base, 2*base, 4*base... capped at ``retry_max_seconds``."""
        return backoff.expo(
            base=2,
            factor=self.retry_base_seconds,
            max_value=self.retry_max_seconds,
        )

    @override
    def backoff_max_tries(self) -> int:
        """Attempts before giving up (the first try included)."""
        return self.retry_max_tries

    @override
    def backoff_jitter(self, value: float) -> float:
        """Wait between half and all of ``value`` so parallel runs spread out.

        Args:
            value: The exponential wait.

        Returns:
            The jittered wait in seconds.
        """
        return value * random.uniform(0.5, 1.0)

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

    def _send(
        self, context: Context | None, params: dict[str, t.Any], path: str | None = None
    ) -> requests.Response:
        """Send one GET of the listing with retries, re-login and request metrics.

        Args:
            context: Stream context.
            params: Query parameters.
            path: Another endpoint than the stream's (e.g. a lookup).

        Returns:
            The successful response.
        """
        prepared = self.build_prepared_request(
            method=self.http_method,
            url=self.url_base + path if path else self.get_url(context),
            params=params,
            headers=self.http_headers,
        )
        response = self.request_decorator(self._request)(prepared, context)
        self.update_sync_costs(prepared, response, context)
        return response

    def _pages(self, context: Context | None) -> t.Iterator[tuple[list[dict], bool]]:
        """Read the listing page by page, newest first, each page checked first.

        Args:
            context: Stream context.

        Yields:
            Each non-empty page's raw records, and whether more pages follow.
        """
        paginator = self.get_new_paginator()
        reference: int | None = None
        with self.get_http_request_counter() as counter:
            counter.with_context(context)
            while not paginator.finished:
                params = self.get_url_params(context, paginator.current_value)
                response, rows, total = self._checked_page(context, params, reference, counter)
                if not rows:
                    return
                reference = total if total is not None else reference
                paginator.advance(response)
                yield rows, not paginator.finished

    def _checked_page(
        self,
        context: Context | None,
        params: dict[str, t.Any],
        reference: int | None,
        counter: t.Any,
    ) -> tuple[requests.Response, list[dict], int | None]:
        """Get one page; ask again (with backoff) while it disagrees with its total.

        See ``pagination.page_fault`` for what is checked. A page that stays
        empty or short fails the stream (``ListingPageError``); a total that
        stays lower makes the whole listing be read again (the listing changed).
        Nothing of the stream has been emitted at that point, so its bookmark
        does not move.

        Returns:
            The response, its records and its ``meta.total``.

        Raises:
            ListingPageError: the page stayed empty or short.
            _ListingShiftedError: the total stayed lower than at the start of the read.
        """
        offset, limit = int(params["offset"]), int(params["limit"])
        waited = 0.0
        for attempt in range(1, PAGE_TRIES + 1):
            response = self._send(context, params)
            counter.increment()
            rows = list(self.parse_response(response))
            total = page_total(response)
            fault = page_fault(offset, limit, len(rows), total, reference)
            if fault is None:
                return response, rows, total
            kind, what = fault
            where = f"the page at offset {offset} (limit {limit}) of {self.path} {what}"
            if attempt < PAGE_TRIES:
                wait = self.backoff_jitter(
                    min(self.retry_base_seconds * 2 ** (attempt - 1), self.retry_max_seconds)
                )
                self.logger.warning(
                    "%s: %s; asking again in %.1f s (try %d of %d)",
                    self.name, where, wait, attempt + 1, PAGE_TRIES,
                )
                time.sleep(wait)
                waited += wait
        if kind == SHRUNK:
            raise _ListingShiftedError(f"{where}, {PAGE_TRIES} times")
        msg = (
            f"{self.name}: {where}, {PAGE_TRIES} times over {waited:.0f} s. Nothing of "
            f"{self.name} was emitted and its bookmark did not move, so the records after "
            "this page are not lost; run the sync again later, and if this persists, report "
            "this message to Boostmyshop (the listing and its meta.total disagree)"
        )
        raise ListingPageError(msg)

    def _server_sorts(self, context: Context | None, newest_id: str, oldest: dt.datetime) -> bool:
        """Check, once per endpoint and run, that the server honours the sort.

        A server that ignores ``sorts[..]`` can still return a first page that
        happens to look newest first; stopping there would lose the newer
        records further down for good. So before the first early stop, one
        record is read in the opposite order (``updated_at`` then ``id``
        ascending). A sorting server answers its oldest record: a different
        record from the newest one, and not newer than anything already read. A
        server that ignores the sort answers the same first record again.

        Args:
            context: Stream context.
            newest_id: ``id`` of the first record of the newest-first listing.
            oldest: Oldest ``updated_at`` read so far.

        Returns:
            True if the listing can be trusted to be sorted newest first.
        """
        checks: dict[str, bool] = self._tap.sort_checks  # type: ignore[attr-defined]
        if self.path not in checks:
            params = {"limit": 1, "offset": 0,
                      **_sort_params(PROBE_SORTS, tie_breaker=self._tie_breaker)}
            response = self._send(context, params)
            rows = list(self.parse_response(response))
            total = page_total(response)
            if not rows:
                checks[self.path] = total == 0
            else:
                probe = rows[0]
                where = f"{self.name} sort check record id={probe.get('id')!r}, field updated_at"
                stamp = parse_timestamp(probe.get("updated_at"), where=where)
                checks[self.path] = str(probe.get("id")) != newest_id and stamp <= oldest
            if not checks[self.path]:
                self.logger.warning(
                    "%s: the server ignored sorts[updated_at]=asc/desc; "
                    "reading the whole listing and filtering locally",
                    self.path,
                )
        return checks[self.path]

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
                except _ListingShiftedError as exc:
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
        unseen and ``_ListingShiftedError`` asks for a new read. (A record
        updated during the read moves to the top and shifts the others *down*,
        which only repeats records; the updated record itself is newer than the
        bookmark this run sets, so the next run reads it.)

        Raises:
            _ListingShiftedError: the pages no longer join up.
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
                    raise _ListingShiftedError(msg)
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

    def _pages_split(self, previous_page: set[str] | None, page: set[str], key: str) -> bool:
        """Tell whether a page's first record shows that the pages no longer overlap.

        Args:
            previous_page: Keys of the previous page (None on the first page).
            page: Keys met so far on this page.
            key: Key of the record being read.

        Returns:
            True when ``key`` opens a page and was not on the previous one.
        """
        return (
            bool(self.page_overlap)
            and previous_page is not None
            and not page
            and key not in previous_page
        )

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
