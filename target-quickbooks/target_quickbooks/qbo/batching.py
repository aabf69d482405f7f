"""Batch calls of the QuickBooks client: operations sent through ``/batch``.

Kept apart from :mod:`~target_quickbooks.qbo.batch` (which builds and parses
batch items without I/O) because this part sends them: 30 items per request,
chunks in parallel, one ``requestid`` per chunk so a retry is replayed, per-item
Faults returned rather than raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from target_quickbooks.qbo.batch import (
    MAX_BATCH_ITEMS,
    BatchOperation,
    BatchResult,
    chunks,
    parse_item,
)
from target_quickbooks.qbo.errors import QuickBooksError
from target_quickbooks.qbo.idempotency import batch_request_id
from target_quickbooks.qbo.transport import QuickBooksTransport

__all__ = ["BatchCalls"]


class BatchCalls(QuickBooksTransport):
    """``/batch`` requests, mixed into :class:`~target_quickbooks.qbo.client.QuickBooksClient`."""

    def _run_chunk(self, chunk: list[BatchOperation]) -> list[BatchResult]:
        if all(op.operation == "query" for op in chunk):
            # A replayed query would return stale rows: a fresh id per call, same id on retry.
            rid = str(uuid.uuid4())
        else:
            rid = batch_request_id([op.item_request_id(self.realm_id) for op in chunk])
        body = {"BatchItemRequest": [op.to_request_item(str(n)) for n, op in enumerate(chunk, 1)]}
        response = self._request(
            "POST", "/batch", kind="batch", json_body=body, request_id=rid, limiter_kind="batch"
        )
        items = response.data.get("BatchItemResponse") or []
        by_bid = {str(item.get("bId")): item for item in items if isinstance(item, dict)}
        results = [
            parse_item(op, by_bid.get(str(n)), response.intuit_tid) for n, op in enumerate(chunk, 1)
        ]
        self._count("batch_items", len(chunk))
        for result in results:
            if result.fault is not None:
                self._count("item_faults")
                op = result.operation
                self.logger.warning(
                    "QuickBooks batch %s %s %r failed: %s",
                    op.operation,
                    op.entity,
                    op.request_key,
                    result.fault.describe(),
                )
        return results

    def batch(self, operations: Sequence[BatchOperation]) -> list[BatchResult]:
        """Run operations through ``/batch``, 30 per request, chunks in parallel.

        Each chunk carries a ``requestid`` derived from its items, so a retry
        after a lost response (and a re-run of the same chunk) is answered with
        QuickBooks' original response. Per-item Faults come back as
        ``BatchResult.fault``; they are not raised.

        Args:
            operations: the operations; an item cannot see objects created by
                an earlier item of the same batch.

        Returns:
            One result per operation, in input order.

        Raises:
            QuickBooksError: a whole chunk failed (after retries); its
                ``partial_results`` holds the results of the chunks that finished.
        """
        ops = list(operations)
        if not ops:
            return []
        parts = chunks(ops, MAX_BATCH_ITEMS)
        results: list[BatchResult | None] = [None] * len(ops)
        failures: list[QuickBooksError] = []
        offsets = [i * MAX_BATCH_ITEMS for i in range(len(parts))]
        if len(parts) == 1:
            results[:] = self._run_chunk(parts[0])
            return results  # type: ignore[return-value]
        with ThreadPoolExecutor(
            max_workers=min(self.max_workers, len(parts)), thread_name_prefix="qbo-batch"
        ) as pool:
            futures = [pool.submit(self._run_chunk, part) for part in parts]
            for offset, future in zip(offsets, futures, strict=True):
                try:
                    chunk_results = future.result()
                except QuickBooksError as exc:
                    failures.append(exc)
                    continue
                results[offset : offset + len(chunk_results)] = chunk_results
        if failures:
            failure = failures[0]
            failure.partial_results = results
            raise failure
        return results  # type: ignore[return-value]
