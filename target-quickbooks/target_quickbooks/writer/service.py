"""The sync service the sinks call: one per run, one method per batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from target_quickbooks.state import SyncState
from target_quickbooks.writer.changes import QuickBooksChanges
from target_quickbooks.writer.customers import CustomerWriter
from target_quickbooks.writer.jobs import CUSTOMERS, PRODUCTS, STREAMS, canonical_stream
from target_quickbooks.writer.normalization import NormalizationGate
from target_quickbooks.writer.payments import PaymentWriter
from target_quickbooks.writer.products import ProductWriter


class SyncService(QuickBooksChanges, PaymentWriter, ProductWriter, CustomerWriter,
                  NormalizationGate):
    """Writes batches of records of one stream to QuickBooks and records the outcomes."""

    # Entry points

    def process(self, stream: str, records: Iterable[Mapping[str, Any]]) -> None:
        """Write one batch of records of ``stream`` (pending ones of earlier runs first)."""
        stream = canonical_stream(stream)
        self._settle_old_reactivations()
        if stream not in (PRODUCTS, CUSTOMERS):
            self.check_quickbooks_changes([stream])  # before any document is "unchanged"
        batch = self._without_unnormalised(stream, self._with_pending(stream, list(records)))
        if not batch:
            return
        handler = {PRODUCTS: self._write_products, CUSTOMERS: self._write_customers}.get(stream)
        if handler is not None:
            handler(batch)
        else:
            self._write_documents(stream, batch)

    def retry_pending(self, streams: Iterable[str] = STREAMS) -> None:
        """Retry now the pending records of ``streams`` that got no batch yet this run.

        Called before documents are written (for their products and customers) and
        at the end of the run (for streams that had no records).
        """
        self._settle_old_reactivations()
        streams = list(streams)
        for stream in (canonical_stream(name) for name in streams):
            if stream not in self._retried and self.state.pending_count(stream):
                self.process(stream, [])
        self._retry_payments([canonical_stream(name) for name in streams])

    def use_state(self, state: SyncState) -> None:
        """Work on another state object (the dry run's throwaway copy)."""
        self.state = state
        self._resolver = None
