"""One thin sink per stream: collect a batch, hand it to the sync service."""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import InvalidRecord
from singer_sdk.sinks import BatchSink
from typing_extensions import override

from target_quickbooks.schema_mismatch import SchemaMismatches
from target_quickbooks.settings import DEFAULT_BATCH_SIZE

if t.TYPE_CHECKING:
    from target_quickbooks.target import TargetQuickBooks


class QuickBooksSink(BatchSink):
    """Base sink: batches of ``batch_size`` records go to ``SyncService.process``."""

    #: Streams whose sinks must be drained before this one writes (dependencies).
    depends_on: t.ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        target: TargetQuickBooks,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        """Keep the target: document sinks drain the product and customer sinks first."""
        super().__init__(target, stream_name, schema, key_properties)
        self.target = target
        self.schema_mismatches = SchemaMismatches(stream_name, self.logger)

    @property
    @override
    def max_size(self) -> int:
        return int(self.config.get("batch_size") or DEFAULT_BATCH_SIZE)

    @override
    def process_batch(self, context: dict) -> None:
        with self.target.batch_in_flight():  # Ctrl-C waits for it (interrupt.py)
            if self.depends_on:
                self.target.drain_streams(self.depends_on)
                self.target.service.retry_pending(self.depends_on)
            self.target.service.process(self.stream_name, context.get("records", []))
            self.target.emit_progress()

    # Bad input is the writer's job: a record that does not match the tap's schema, or
    # lacks its key, is rejected and kept in state by the writer with a message naming
    # the field, instead of stopping the whole run (the SDK's default). The mismatch
    # itself is logged once per field (schema_mismatch.py), not once per record.

    @override
    def _validate_and_parse(self, record: dict) -> dict:
        if self._validator is not None:
            try:
                self._validator.validate(record)
            except InvalidRecord as error:
                self.schema_mismatches.note(error)
        # Timestamps stay as the tap wrote them: the mappers read ISO 8601 text and
        # reject anything else with a message naming the field.
        return record

    @override
    def _singer_validate_message(self, record: dict) -> None:
        return

    @override
    def clean_up(self) -> None:
        self.schema_mismatches.summary()
        super().clean_up()


class ProductsSink(QuickBooksSink):
    """``products`` → Items."""


class CustomersSink(QuickBooksSink):
    """``customers`` → Customers."""


class DocumentsSink(QuickBooksSink):
    """``invoices`` → Invoices, ``credit_memos`` → CreditMemos, after items and customers."""

    depends_on = ("products", "customers")
