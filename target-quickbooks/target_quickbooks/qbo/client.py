"""The one QuickBooks Online client: every request of the target goes through here.

It owns what each call needs and none should repeat: ``minorversion``, the
bearer token (refreshed once on a 401), client-side throttling, retries with
exponential backoff and full jitter for 429/5xx/lost connections (resending the
same ``requestid`` so QuickBooks replays rather than duplicates), translation of
Faults into exceptions, paging of queries and chunking of batches.

The work is split by role so each part can be read alone:
:mod:`~target_quickbooks.qbo.transport` (send, retry, count),
:mod:`~target_quickbooks.qbo.reads` (reads, queries, CDC),
:mod:`~target_quickbooks.qbo.writes` (create, update, void) and
:mod:`~target_quickbooks.qbo.batching` (``/batch``). This module joins them
into the one class callers use, under its old import path.
"""

from __future__ import annotations

from target_quickbooks.qbo.batch import BatchOperation, BatchResult
from target_quickbooks.qbo.batching import BatchCalls
from target_quickbooks.qbo.reads import MAX_GET_QUERY, ReadCalls
from target_quickbooks.qbo.writes import WriteCalls

__all__ = ["MAX_GET_QUERY", "BatchOperation", "BatchResult", "QuickBooksClient"]


class QuickBooksClient(ReadCalls, WriteCalls, BatchCalls):
    """Talks to one QuickBooks company (realm); safe to share between threads.

    Construct it with the arguments of
    :class:`~target_quickbooks.qbo.transport.QuickBooksTransport`.
    """
