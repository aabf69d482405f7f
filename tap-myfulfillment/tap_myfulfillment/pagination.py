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

    Without a total, a short page ends the listing; an empty page always does
    (singer-sdk stops on an empty page by itself).
    """

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
