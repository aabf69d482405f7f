"""Customers → QuickBooks Customers: plans creates and updates."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.customers import customer_key, discriminator, map_customer
from target_quickbooks.writer.jobs import CUSTOMERS, fallback_key
from target_quickbooks.writer.runner import JobRunner


class CustomerWriter(JobRunner):
    """Turns customer records into Customer jobs."""

    # Customers

    def _write_customers(self, records: list[Mapping[str, Any]]) -> None:
        stream = CUSTOMERS
        payloads: dict[str, tuple[Mapping[str, Any], dict[str, Any]]] = {}
        for record in records:
            try:
                key = customer_key(record)
            except MappingError as error:
                self._reject_mapping(stream, fallback_key(record), record, error)
                continue
            try:
                payload, warnings = map_customer(record)
            except MappingError as error:
                self._reject_mapping(stream, key, record, error)
                continue
            for warning in warnings:
                self.logger.warning("Customer %r: %s", key, warning)
            payloads[key] = (record, payload)
        if not payloads:
            return
        found = self.resolver.find_customers(
            {key: payload["DisplayName"] for key, (_, payload) in payloads.items()}
        )
        # Renamed at the source since QuickBooks got it (and not in this feed's map):
        # the discriminator at the end of the DisplayName still finds it.
        renamed: dict[str, str] = {}
        for key, (record, _payload) in payloads.items():
            if key not in found and self.state.get("customers", key) is None:
                with contextlib.suppress(MappingError):
                    renamed[key] = discriminator(record)
        if renamed:
            found.update(self.resolver.find_customers_by_discriminator(renamed))
        jobs = [
            job for key, (record, payload) in payloads.items()
            if (job := self._apply_plan(stream, key, self._plan_upsert(
                stream, key, record, payload, payload, found.get(key)))) is not None
        ]
        self._run(jobs)
