"""The one job runner: batch, send, recover what can be recovered, record outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from target_quickbooks.mappers.customers import map_customer
from target_quickbooks.mappers.items import (
    ACCOUNT_ROLES,
    item_name,
    item_type,
    map_product,
    payload_hash,
    update_payload,
)
from target_quickbooks.qbo import BatchOperation, QuickBooksError, QuickBooksFault
from target_quickbooks.resolver import changed_fields, entry_of
from target_quickbooks.writer.inactive import InactiveReferences
from target_quickbooks.writer.jobs import CUSTOMERS, DRY_RUN_ID, PRODUCTS, Job
from target_quickbooks.writer.matching import DocumentMatching


class JobRunner(DocumentMatching, InactiveReferences):
    """Sends jobs in batches and records each one's outcome."""

    # Sending

    def _run(self, jobs: list[Job]) -> None:
        """Send jobs in batches; retry once what can be recovered (5010, 6240, 610, 2500).

        A document refused for an inactive item or customer (2500) is sent again after
        they are made active, and they are made inactive again at the end, even when
        the run stops (``writer/inactive.py``).
        """
        reactivated: list[str] = []
        try:
            self._run_rounds(jobs, reactivated)
        finally:
            self._settle_reactivations(reactivated)

    def _run_rounds(self, jobs: list[Job], reactivated: list[str]) -> None:
        round_ = jobs
        while round_:
            if self.dry_run:
                for job in round_:
                    self.dry_run_listing.add_job(job)
                    self._succeeded(job, {"Id": DRY_RUN_ID, "SyncToken": "0"})
                return
            operations = [BatchOperation(entity=job.entity, operation=job.operation,  # type: ignore[arg-type]
                                         payload=job.payload, request_key=job.request_key)
                          for job in round_]
            try:
                results = self.client.batch(operations)
            except QuickBooksError as error:
                for job, result in zip(round_, error.partial_results or [], strict=False):
                    if result is not None and result.ok:
                        self._succeeded(job, result.entity)
                raise
            next_round: list[Job] = []
            inactive: list[tuple[Job, QuickBooksFault]] = []
            for job, result in zip(round_, results, strict=True):
                if result.ok:
                    self._succeeded(job, result.entity)
                    continue
                fault = result.fault
                if fault is not None and self._inactive_reference(job, fault):
                    inactive.append((job, fault))
                    continue
                try:
                    follow = None if job.retried or fault is None else self._recover(job, fault)
                except QuickBooksFault as error:
                    # The recovery's own read or lookup failed: only this record is
                    # rejected, the run and the other records go on.
                    self._reject(job.stream, job.key, job.record,
                                 f"QuickBooks refused the {job.operation} "
                                 f"({fault.describe() if fault else '-'}), and the recovery "
                                 f"failed: {error.describe()}", fault=error)
                    continue
                if isinstance(follow, Job):
                    next_round.append(follow)
                elif follow is None:
                    reason = fault.describe() if fault else "QuickBooks gave no answer"
                    self._reject(job.stream, job.key, job.record,
                                 f"QuickBooks refused the {job.operation}: {reason}",
                                 fault=fault)
            next_round.extend(self._reactivate_for(inactive, reactivated))
            round_ = next_round

    def _succeeded(self, job: Job, entity: Mapping[str, Any] | None) -> None:
        if entity is None or "Id" not in entity:
            self._reject(job.stream, job.key, job.record,
                         "QuickBooks answered without the object")
            return
        self.state.put(job.kind, job.key, entry_of(entity, job.content_hash, job.entity))
        if job.stream == PRODUCTS:
            if job.suffixed:
                self.state.suffixed.add(job.key)
            else:
                self.state.suffixed.discard(job.key)
        self._outcome(job.stream, job.key, "created" if job.operation == "create" else "updated")

    def _recover(self, job: Job, fault: QuickBooksFault) -> Job | bool | None:
        """A follow-up job for a recoverable fault, True when resolved, None when not."""
        if fault.has_code("5010") and job.operation == "update":
            fresh = self.resolver.read(job.kind, str(job.payload["Id"]))
            payload = {**job.payload, "SyncToken": str(fresh.get("SyncToken", "0"))}
            return replace(job, payload=payload, retried=True)
        if fault.has_code("610") and job.operation == "update":
            self.state.forget(job.kind, job.key)
            return self._recreate(job)
        if fault.has_code("6140") and job.kind in ("invoices", "credit_memos"):
            row = self.resolver.lookup(job.kind, "DocNumber", {job.key: job.info["doc_number"]},
                                       job.entity).get(job.key)
            if row is None:
                return None
            conflict = self._document_conflict(
                job.stream, job.record, row,
                customer_id=str(job.payload.get("CustomerRef", {}).get("value") or "") or None,
                entity=job.entity)
            holder = None if conflict else self._holder_of(job.kind, row.get("Id"), job.key,
                                                           job.entity)
            if conflict:
                self._reject_duplicate_number(job.stream, job.key, job.record, conflict)
            elif holder is not None:
                self._reject_twin(job.stream, job.key, job.record, holder=holder,
                                  qbo_id=row.get("Id"), number=job.info["doc_number"],
                                  entity=job.entity)
            else:
                self.resolver.adopt(job.kind, job.key, row, job.entity)
                self._outcome(job.stream, job.key, "unchanged")
            return True
        if fault.has_code("6240"):
            return self._recover_duplicate_name(job)
        return None

    def _recreate(self, job: Job) -> Job | None:
        if job.stream == PRODUCTS:
            payload = map_product(job.record, accounts=self.references.accounts(
                ACCOUNT_ROLES[item_type(job.record)]), inv_start_date=self.inv_start_date,
                suffixed=job.suffixed)
        elif job.stream == CUSTOMERS:
            payload = map_customer(job.record)[0]
        else:
            return None
        return replace(job, operation="create", payload=payload, retried=True,
                       request_key=self._request_key(job.stream, job.key, ":recreate"))

    def _recover_duplicate_name(self, job: Job) -> Job | bool | None:
        field_name = "Name" if job.stream == PRODUCTS else "DisplayName"
        name = str(job.payload.get(field_name, ""))
        if job.stream not in (PRODUCTS, CUSTOMERS) or not name:
            return None
        holder = self.resolver.by_field(job.kind, field_name, name)
        ours = holder is not None and (
            job.stream == CUSTOMERS or str(holder.get("Sku") or "") == job.key
        )
        if holder is not None and ours and job.operation == "create":
            # It is this record's object (the ID map did not know it): update what differs.
            changes = update_payload(job.payload) if job.stream == PRODUCTS else job.payload
            changes = changed_fields(changes, holder)
            if not changes:
                self.state.put(job.kind, job.key, entry_of(holder, job.content_hash))
                if job.stream == PRODUCTS:
                    (self.state.suffixed.add if job.suffixed
                     else self.state.suffixed.discard)(job.key)
                self._outcome(job.stream, job.key, "unchanged")
                return True
            self.state.put(job.kind, job.key, entry_of(holder))
            update = {**changes, "Id": str(holder["Id"]),
                      "SyncToken": str(holder.get("SyncToken", "0")), "sparse": True}
            return replace(job, operation="update", payload=update, retried=True,
                           request_key=self._request_key(job.stream, job.key,
                                                         f":{job.content_hash}"))
        if job.stream == PRODUCTS and not job.suffixed:
            self.logger.info(
                "Item name %r is taken by another item in QuickBooks: using the SKU-suffixed "
                "name for SKU %r.", name, job.key,
            )
            unique = item_name(job.record, suffixed=True)
            payload = {**job.payload, "Name": unique}
            changes = update_payload(payload)
            return replace(job, payload=payload, retried=True, suffixed=True,
                           content_hash=payload_hash(
                               {key: value for key, value in changes.items()
                                if key not in ("Id", "SyncToken", "sparse")}),
                           request_key=self._request_key(job.stream, job.key, ":suffixed"))
        return None
