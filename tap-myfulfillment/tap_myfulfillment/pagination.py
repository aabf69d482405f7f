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
