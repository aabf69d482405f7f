"""Read calls of the QuickBooks client: single objects, queries with paging, CDC.

Kept apart from the transport so the paging rules (1,000-row pages until a short
one, long statements as a POST body, IN lists chunked and run concurrently as
plain queries) sit together; every request still goes through
:meth:`~target_quickbooks.qbo.transport.QuickBooksTransport._request`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import requests

from target_quickbooks.qbo import query as q
from target_quickbooks.qbo.cdc import CdcAnswer, cdc_params, parse_cdc
from target_quickbooks.qbo.transport import QuickBooksTransport

__all__ = ["MAX_GET_QUERY", "ReadCalls"]

#: Queries longer than this go in a POST body (application/text) instead of the URL.
_MAX_GET_QUERY = 1800
#: Public name of that limit: read-only callers size their IN lists to stay GET requests.
MAX_GET_QUERY = _MAX_GET_QUERY


class ReadCalls(QuickBooksTransport):
    """Reads and queries, mixed into :class:`~target_quickbooks.qbo.client.QuickBooksClient`."""

    @staticmethod
    def escape(value: str) -> str:
        r"""Escape a value for a query string literal (``O'Brien`` → ``O\'Brien``)."""
        return q.escape(value)

    def company_info(self) -> dict:
        """The company's ``CompanyInfo`` (name, country, ...)."""
        path = f"/companyinfo/{self.realm_id}"
        return self._request("GET", path, kind="read").data["CompanyInfo"]

    def preferences(self) -> dict:
        """The company's ``Preferences`` (inventory tracking, custom numbers, currency...)."""
        return self._request("GET", "/preferences", kind="read").data["Preferences"]

    def read(self, entity: str, entity_id: str) -> dict:
        """Read one object by Id.

        Args:
            entity: entity name, e.g. ``Item``.
            entity_id: QuickBooks Id.

        Returns:
            The object.
        """
        q.check_identifier(entity, "entity")
        path = f"/{entity.lower()}/{requests.utils.quote(str(entity_id), safe='')}"
        return self._request("GET", path, kind="read").data[entity]

    def cdc(self, entities: Sequence[str], changed_since: datetime) -> CdcAnswer:
        """What changed or was deleted since ``changed_since`` (one metered read).

        Args:
            entities: entity names, e.g. ``("Invoice", "CreditMemo")``: one request for all.
            changed_since: aware time, at most 30 days ago (see :mod:`~target_quickbooks.qbo.cdc`).

        Returns:
            The answer, split into changed objects and deleted Ids per entity.
        """
        params = cdc_params(entities, changed_since)
        return parse_cdc(self._request("GET", "/cdc", kind="cdc", params=params).data)

    def _query_page(self, statement: str) -> dict:
        if len(statement) <= _MAX_GET_QUERY:
            response = self._request("GET", "/query", kind="query", params={"query": statement})
        else:
            response = self._request("POST", "/query", kind="query", text_body=statement)
        return response.data.get("QueryResponse") or {}

    def _query_from(self, statement: str, start: int) -> list[dict]:
        return [row for page in self._pages_from(statement, start) for row in page]

    def _pages_from(self, statement: str, start: int) -> Iterator[list[dict]]:
        while True:
            page = q.rows(self._query_page(q.paged(statement, start)))
            yield page
            if len(page) < q.PAGE_SIZE:
                return
            start += q.PAGE_SIZE

    def query_pages(self, statement: str) -> Iterator[list[dict]]:
        """Run a query one 1,000-row page at a time, yielding each page as it arrives.

        For reads too large to hold whole (``reconcile``'s 100,000 documents): the
        caller keeps what it needs of a page and lets its rows go. Same requests as
        :meth:`query`.
        """
        return self._pages_from(q.check_no_paging(statement), 1)

    def query(self, statement: str) -> list[dict]:
        """Run a query and return every row, paging 1000 at a time until a short page.

        Args:
            statement: ``SELECT ... FROM ... [WHERE ...] [ORDERBY ...]`` without
                STARTPOSITION/MAXRESULTS. Escape literals with :meth:`escape`.

        Returns:
            All matching objects.
        """
        return self._query_from(q.check_no_paging(statement), 1)

    def query_in(
        self,
        entity: str,
        field: str,
        values: Iterable[str],
        *,
        extra_where: str = "",
        chunk: int = 500,
    ) -> list[dict]:
        """Find objects whose ``field`` is one of ``values`` (escaped here), chunk by chunk.

        One statement per ``chunk`` values, each run as a plain (paged) query,
        up to ``max_workers`` at a time. Plain queries draw on QuickBooks'
        500-requests-per-minute budget; sending them through ``/batch`` would
        spend the scarce 40-batches-per-minute budget the writes need.

        Args:
            entity: entity to query, e.g. ``Item``.
            field: field to match, e.g. ``Sku``.
            values: values to match; duplicates are ignored.
            extra_where: trusted condition ANDed to each statement.
            chunk: values per statement. 500 keeps a whole sink batch in one
                request (fewer requests per written entity) and its answer in one
                1,000-row page; longer statements go as a POST body.

        Returns:
            Matching objects, in chunk order (whatever order the queries finish in).

        Raises:
            QuickBooksError: a query failed (after retries); the first failing
                statement's error, in chunk order.
        """
        statements = list(
            q.in_statements(entity, field, values, extra_where=extra_where, chunk=chunk)
        )
        if not statements:
            return []
        if len(statements) == 1:
            return self._query_from(statements[0], 1)
        with ThreadPoolExecutor(
            max_workers=min(self.max_workers, len(statements)), thread_name_prefix="qbo-query"
        ) as pool:
            futures = [pool.submit(self._query_from, statement, 1) for statement in statements]
            try:
                pages = [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()  # statements not started yet are not sent
                raise
        return [row for page in pages for row in page]
