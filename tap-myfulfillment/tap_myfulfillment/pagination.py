"""Offset paging over ``{"data": [...], "meta": {"total": "441"}}`` responses."""

from __future__ import annotations

import requests
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import OffsetPaginator
from typing_extensions import override


def page_total(response: requests.Response) -> int | None:
    """Read ``meta.total`` (a string in myFulfillment's answers) as an int.

    Args:
        response: A list response.

    Returns:
        The total number of matching records, or None when the server omits it.

    Raises:
        FatalAPIError: the total is not an integer.
    """
    body = response.json()
    meta = body.get("meta") if isinstance(body, dict) else None
    total = meta.get("total") if isinstance(meta, dict) else None
    if total is None or total == "":
        return None
    try:
        return int(str(total).strip())
    except ValueError:
        msg = f"myFulfillment {response.url}: meta.total {total!r} is not an integer"
        raise FatalAPIError(msg) from None


class MyFulfillmentPaginator(OffsetPaginator):
    """``limit``/``offset`` paging that stops once ``offset >= meta.total``.

    Without a total, a short page ends the listing; an empty page always does.

    Consecutive pages overlap by ``overlap`` records (the next offset is
    ``offset + page_size - overlap``). Offset paging over a listing that changes
    during the scan is not stable: a record that leaves the listing (or moves to
    a later position) shifts every later record up by one, so the record at the
    next page's first position would never be read. Re-reading the last records
    of the previous page both absorbs a small upward shift and lets the stream
    check that the pages still join up (see ``MyFulfillmentStream``).
    """

    def __init__(self, start_value: int, page_size: int, overlap: int = 0) -> None:
        """Set up the paging.

        Args:
            start_value: First offset.
            page_size: Records per request (``limit``).
            overlap: Records re-read at the start of each next page; must be
                smaller than ``page_size`` so that paging progresses.

        Raises:
            ValueError: the overlap would stop the paging from progressing.
        """
        if not 0 <= overlap < page_size:
            msg = f"page overlap {overlap} must be at least 0 and below the page size {page_size}"
            raise ValueError(msg)
        super().__init__(start_value=start_value, page_size=page_size)
        self.overlap = overlap

    @override
    def get_next(self, response: requests.Response) -> int | None:
        """The next offset: one page further, minus the overlap.

        Args:
            response: The current page.

        Returns:
            The offset of the next page.
        """
        return self.current_value + self.page_size - self.overlap

    @override
    def has_more(self, response: requests.Response) -> bool:
        """Tell whether another page exists after the current one.

        Args:
            response: The current page.

        Returns:
            True when the next offset is still below the total.
        """
        next_offset = self.current_value + self.page_size
        total = page_total(response)
        if total is not None:
            return next_offset < total
        body = response.json()
        data = body.get("data") if isinstance(body, dict) else None
        return isinstance(data, list) and len(data) >= self.page_size


#: What can be wrong with a page: its total fell, or it holds fewer records than its total says.
SHRUNK, EMPTY, SHORT = "shrunk", "empty", "short"


def page_fault(
    offset: int, limit: int, rows: int, total: int | None, reference: int | None
) -> tuple[str, str] | None:
    """Tell what is wrong with a page, if anything, before its records are used.

    A page is trusted when it holds every record its own ``meta.total`` says
    lies at its offset (``min(limit, total - offset)``), and when that total is
    not lower than the one the read started with. An empty or short page before
    the total would otherwise end the read early, and a lower total would make
    the paging stop early: either way, the records after that page would never
    be read and the bookmark would pass them for good. A higher total is fine:
    records entering a newest-first listing (new orders during a long read)
    shift the others down, which only repeats records; and a total that is
    wrongly high shows up as an empty page further on.

    Args:
        offset: The page's offset.
        limit: The page's limit.
        rows: Records in the page.
        total: The page's ``meta.total`` (None when the server sends none:
            nothing can be checked, a short page then ends the listing).
        reference: The total of the previous pages of this read (None on the first).

    Returns:
        ``(kind, description)`` with kind ``SHRUNK``, ``EMPTY`` or ``SHORT``, or None.
    """
    if total is None:
        return None
    if reference is not None and total < reference:
        return SHRUNK, f"says meta.total is {total} where the previous pages said {reference}"
    expected = min(limit, total - offset)
    if expected <= 0 or rows >= expected:
        return None
    if rows == 0:
        return EMPTY, f"came back empty although meta.total is {total} ({expected} expected)"
    return SHORT, f"held {rows} records although meta.total is {total} ({expected} expected)"
