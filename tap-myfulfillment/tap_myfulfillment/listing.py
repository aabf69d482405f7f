"""Reading a myFulfillment listing page by page, each page checked before use.

``limit``/``offset`` paging with a small overlap between pages, newest first
(``sorts[updated_at]=desc`` then ``sorts[id]=desc`` so that rows of the same
second keep one order). A page that disagrees with its ``meta.total`` is asked
for again; a server that ignores the sort is detected once per endpoint and run
(``_server_sorts``) so that the incremental read (``client``) never stops early
on a listing that is not really sorted.
"""

from __future__ import annotations

import time
import typing as t

from typing_extensions import override

from tap_myfulfillment.errors import ListingPageError
from tap_myfulfillment.normalize import parse_timestamp
from tap_myfulfillment.pagination import SHRUNK, MyFulfillmentPaginator, page_fault, page_total
from tap_myfulfillment.requesting import MyFulfillmentRequests

if t.TYPE_CHECKING:
    import datetime as dt

    import requests
    from singer_sdk.helpers.types import Context

#: Records re-read at the start of each page (at most half a page), so that a
#: record leaving the listing during the scan cannot make the next one unseen.
PAGE_OVERLAP = 2

#: Requests of one page, the first included, while it disagrees with its
#: ``meta.total`` (waits follow the retry backoff: about 1, 2, 4 s by default).
PAGE_TRIES = 4

#: The listing order: newest first, ties broken by id so pages are stable.
LISTING_SORTS: tuple[tuple[str, str], ...] = (("updated_at", "desc"), ("id", "desc"))

#: The opposite order, asked for one record to check that the server sorts.
PROBE_SORTS: tuple[tuple[str, str], ...] = (("updated_at", "asc"), ("id", "asc"))


class ListingShiftedError(Exception):
    """The first record of a page was not on the previous page: records may be unseen."""


def _sort_params(sorts: tuple[tuple[str, str], ...], *, tie_breaker: bool = True) -> dict[str, str]:
    """``sorts[..]`` parameters; without the tie-breaker only the first sort is sent."""
    chosen = sorts if tie_breaker else sorts[:1]
    return {f"sorts[{name}]": direction for name, direction in chosen}


class ListingReader(MyFulfillmentRequests):
    """Pages of one listing, newest first, checked against their ``meta.total``."""

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
            ListingShiftedError: the total stayed lower than at the start of the read.
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
            raise ListingShiftedError(f"{where}, {PAGE_TRIES} times")
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
