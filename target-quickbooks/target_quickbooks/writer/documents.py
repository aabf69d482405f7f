"""Invoices and credit memos → QuickBooks documents: checks, dependencies, jobs.

A credit memo of a paid invoice is written as a RefundReceipt (``writer/receipts.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.customers import customer_display_name, customer_key, discriminator
from target_quickbooks.mappers.documents import (
    INVOICE,
    DocumentRefs,
    check_totals,
    customer_lookup_record,
    document_id,
    document_skus,
    map_document,
    needed_settings,
    txn_date,
)
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.mappers.refund_receipts import REFUND_RECEIPT, refund_receipt_payload
from target_quickbooks.rates_seen import document_rates
from target_quickbooks.settings import tax_code_table
from target_quickbooks.writer.canceled import is_canceled
from target_quickbooks.writer.jobs import KIND, Job
from target_quickbooks.writer.receipts import RefundReceipts
from target_quickbooks.writer.refunds import RefundChecks
from target_quickbooks.writer.twin_rounds import TwinRounds


class DocumentWriter(RefundReceipts, RefundChecks, TwinRounds):
    """Turns invoice and credit memo records into document jobs."""

    # Invoices and credit memos

    def _write_documents(self, stream: str, records: list[Mapping[str, Any]]) -> None:
        latest = self._latest_by_key(stream, records, document_id)
        self._route(stream, latest)  # CreditMemo or RefundReceipt (writer/receipts.py)
        canceled = {key: record for key, record in latest.items() if is_canceled(record)}
        if canceled:
            for key in canceled:
                del latest[key]
            self._write_canceled(stream, canceled)
        numbers: dict[str, str] = {}
        totals: dict[str, Decimal] = {}
        for key, record in list(latest.items()):
            try:
                totals[key] = check_totals(record, stream=stream).grand_total
                document_skus(record)
                customer_key(record)
                txn_date(record.get("created_at"))
                numbers[key] = doc_number(record.get("increment_id"))[0]
            except MappingError as error:
                self._reject_mapping(stream, key, record, error)
                del latest[key]
        if stream == INVOICE:
            self._invoice_totals.update(totals)
        else:
            self._note_memos(latest, totals)
        if not latest:
            return
        kind = KIND[stream]
        self._find_existing_documents(stream, latest, numbers)
        for key in [key for key in latest if self.state.get(kind, key)]:
            self._outcome(stream, key, "unchanged")
            del latest[key]
        if not latest:
            return
        self._find_document_dependencies(latest)
        refs_base = self._document_refs(latest.values(), stream)
        jobs: list[Job] = []
        for key, record in latest.items():
            missing, field_name = self._missing_dependencies(record)
            if missing:
                self._defer(stream, key, record, missing, field_name=field_name)
                continue
            refs = replace(
                refs_base,
                customer=self.state.get("customers", customer_key(record)).ref,  # type: ignore[union-attr]
                items={sku: self.state.get("items", sku).ref  # type: ignore[union-attr]
                       for sku in document_skus(record)},
            )
            entity = self._document_entity(stream, key, record)
            try:
                payload = map_document(record, stream=stream, refs=refs)
            except MappingError as error:
                self._reject_mapping(stream, key, record, error)
                continue
            if entity == REFUND_RECEIPT:
                payload = refund_receipt_payload(payload, self.references.refund_account())
            jobs.append(Job(stream, key, record, "create", payload,
                            request_key=self._request_key(stream, key),
                            info={"doc_number": numbers[key], "entity": entity}))
        self._run(jobs)


    def _find_document_dependencies(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        """Map the documents' customers and items that QuickBooks has but the map lacks.

        A customer is first looked up by the DisplayName rebuilt from the document's
        names (one ``IN`` query for the batch); those not found, e.g. because the
        document carries an older name than the latest order, or no name at all, are
        looked up by the discriminator every DisplayName ends with (``(#42)``).
        """
        names: dict[str, str] = {}
        discriminators: dict[str, str] = {}
        skus: set[str] = set()
        for record in records.values():
            key = customer_key(record)
            if self.state.get("customers", key) is None:
                lookup = customer_lookup_record(record)
                with contextlib.suppress(MappingError):
                    discriminators[key] = discriminator(lookup)
                with contextlib.suppress(MappingError):
                    names[key] = customer_display_name(lookup)
            skus.update(document_skus(record))
        if names:
            self.resolver.find_customers(names)
        if discriminators:
            self.resolver.find_customers_by_discriminator(discriminators)
        self.resolver.find_items(skus)


    def _missing_dependencies(self, record: Mapping[str, Any]) -> tuple[str, str]:
        """Why a document cannot be written yet (``""`` when it can), and the field."""
        reasons = []
        fields = []
        key = customer_key(record)
        if self.state.get("customers", key) is None:
            reasons.append(f"customer {key!r} is not in QuickBooks yet")
            fields.append("customer_key")
        skus = [sku for sku in document_skus(record) if self.state.get("items", sku) is None]
        if skus:
            reasons.append(f"item(s) {', '.join(map(repr, skus))} not in QuickBooks yet")
            fields.append("items[].sku")
        return "; ".join(reasons), ", ".join(fields)

    def _document_refs(self, records: Iterable[Mapping[str, Any]], stream: str) -> DocumentRefs:
        needs: set[str] = set()
        for record in records:
            needs |= needed_settings(record, stream=stream)
            self.state.note_rates(document_rates(record))  # for `check` (rates_seen.py)
        refs = self.references
        rates = tax_code_table(self.config).keys()
        return DocumentRefs(
            customer={},
            items={},
            tax_codes=refs.tax_code_for_rates(rates),
            default_tax_code=refs.default_tax_code(),
            shipping_item=refs.item("shipping_item") if "shipping_item" in needs else None,
            adjustment_item=(refs.item("adjustment_item") if "adjustment_item" in needs
                             else None),
            discount_account=refs.discount_account() if "discount_account" in needs else None,
            sales_rates=refs.sales_rates(),
            timezone=refs.timezone().tz,
        )
