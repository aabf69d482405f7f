"""The writer's shared core: collaborators, pending records and outcomes.

Every planner (products, customers, documents) records its outcomes through
these methods, so state, results and logs always agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from target_quickbooks.accounts import References
from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.customers import customer_key
from target_quickbooks.mappers.documents import document_id
from target_quickbooks.mappers.items import payload_hash, product_sku
from target_quickbooks.qbo import QuickBooksFault
from target_quickbooks.resolver import Resolver, changed_fields, entry_of
from target_quickbooks.results import RunResults
from target_quickbooks.state import DELETED_IN_QUICKBOOKS, SyncState
from target_quickbooks.writer.dry_run import DryRunListing
from target_quickbooks.writer.hints import (
    DEFAULT_FAULT_HINT,
    fault_hint,
    mapping_hint,
    waiting_message,
)
from target_quickbooks.writer.jobs import (
    CUSTOMERS,
    KIND,
    PRODUCTS,
    Job,
    Plan,
    Skip,
    Unchanged,
    fallback_key,
)


class WriterBase:
    """State, results, pending records and the upsert plan shared by every entity."""

    def __init__(
        self,
        *,
        config: Mapping[str, Any],
        state: SyncState,
        results: RunResults,
        client_factory: Callable[[], Any],
        logger: logging.Logger | None = None,
    ) -> None:
        self.config = config
        self.state = state
        self.results = results
        self.logger = logger or logging.getLogger(__name__)
        self.dry_run = bool(config.get("dry_run"))
        #: What a dry run would write, listed at the end of the run (``writer/dry_run.py``).
        self.dry_run_listing = DryRunListing()
        self.product_mode = str(config.get("product_mode") or "upsert")
        start = config.get("inventory_start_date")
        self.inv_start_date = str(start) if start else dt.date.today().isoformat()
        self._client_factory = client_factory
        self._client: Any = None
        self._resolver: Resolver | None = None
        self._references: References | None = None
        self._retried: set[str] = set()
        self._previous: dict[tuple[str, str], dict[str, Any]] = {}
        #: grand_total of the invoices seen this run, to check their credit memos.
        self._invoice_totals: dict[str, Decimal] = {}
        #: Pending entries stored under a key their record no longer gets (an older
        #: version's key): dropped once the record has its outcome under the new key.
        self._stale_keys: dict[tuple[str, str], list[str]] = {}

    # Lazily built collaborators

    @property
    def client(self) -> Any:
        """The QuickBooks client, built on first use (so a run with no records needs none)."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    @property
    def resolver(self) -> Resolver:
        """ID map + natural-key lookups."""
        if self._resolver is None:
            self._resolver = Resolver(self.client, self.state, logger=self.logger)
        return self._resolver

    @property
    def references(self) -> References:
        """Configured accounts, tax codes and items."""
        if self._references is None:
            self._references = References(self.client, self.config, logger=self.logger)
        return self._references


    # Pending records

    def _key(self, stream: str, record: Mapping[str, Any]) -> str:
        try:
            if stream == PRODUCTS:
                return product_sku(record)
            if stream == CUSTOMERS:
                return customer_key(record)
            return document_id(record)
        except MappingError:
            return fallback_key(record)

    def _with_pending(self, stream: str, records: list[Mapping[str, Any]]) -> list[Any]:
        """This batch's records, after the stream's pending ones of earlier runs.

        Pending entries stay in the state until each record gets its outcome (written,
        kept again, or replaced by the fresher record of this batch): if the run stops
        before, the state it emits still holds them.
        """
        if stream in self._retried:
            return records
        self._retried.add(stream)
        pending = self.state.pending_of(stream)
        if not pending:
            return records
        fresh = {self._key(stream, record) for record in records}
        placeholders = _placeholder_keys(stream, records)
        replay = []
        for key, entry in pending.items():
            self._previous[(stream, key)] = entry
            if key not in fresh and key in placeholders:
                # The order's customer is identified now: its fresh record replaces the
                # placeholder's entry once it has an outcome (kept until then).
                self._stale_keys.setdefault((stream, placeholders[key]), []).append(key)
                self.logger.info("Pending customer %r is superseded by customer %r, built "
                                 "from the same order.", key, placeholders[key])
            elif key not in fresh and isinstance(entry.get("record"), Mapping):
                replay.append(entry["record"])
                current = self._key(stream, entry["record"])
                if current != key:
                    self._stale_keys.setdefault((stream, current), []).append(key)
                    self._previous.setdefault((stream, current), entry)
            elif key not in fresh and entry.get("status") == DELETED_IN_QUICKBOOKS:
                self.logger.warning("%s", waiting_message(stream, key, entry))
            elif key not in fresh:
                self.logger.warning("Pending %s record %r has no record to retry; it stays in "
                                    "the state for a person to look at.", stream, key)
        self.logger.info(
            "Retrying %d deferred or rejected %s record(s) from earlier runs (%d superseded "
            "by newer records).", len(replay), stream, len(pending) - len(replay),
        )
        return replay + records

    def _request_key(self, stream: str, key: str, suffix: str = "") -> str:
        previous = self._previous.get((stream, key))
        base = f"{KIND[stream]}:{key}{suffix}"
        if previous and previous.get("code"):
            # QuickBooks refused the earlier attempt: a new id, so it is not replayed.
            base += f"~{previous.get('attempts', 1)}"
        if previous and previous.get("deleted_id"):
            # Its document was deleted in QuickBooks: the old id would replay the old create.
            base += f":redo{previous['deleted_id']}"
        return base

    # Outcomes

    def _settled(self, stream: str, key: str) -> None:
        """The record of ``key`` has its outcome: forget its entries under older keys."""
        for stale in self._stale_keys.pop((stream, key), []):
            self.state.drop_pending(stream, stale)

    def _count(self, stream: str, key: str, outcome: str) -> None:
        """Count one outcome in this run's results (``writer/receipts.py`` names the row)."""
        self.results.add(stream, outcome)

    def _outcome(self, stream: str, key: str, outcome: str) -> None:
        self._count(stream, key, outcome)
        self.state.drop_pending(stream, key)
        self._settled(stream, key)
        if stream == PRODUCTS:
            self.state.set_product_status(key, outcome)

    def _reject(
        self,
        stream: str,
        key: str,
        record: Mapping[str, Any],
        reason: str,
        *,
        fault: QuickBooksFault | None = None,
        hint: str = "",
        field_name: str | None = None,
    ) -> None:
        code = fault.code if fault else None
        hint = hint or (fault_hint(fault) if fault else DEFAULT_FAULT_HINT)
        field_name = field_name or (fault.element if fault else None)
        self._count(stream, key, "rejected")
        self.state.add_pending(
            stream, key, record, status="rejected", reason=reason, code=code,
            detail=fault.detail if fault else None,
            intuit_tid=fault.intuit_tid if fault else None, hint=hint or None,
            field=field_name,
        )
        self._settled(stream, key)
        if stream == PRODUCTS:
            self.state.set_product_status(key, "rejected")
        self.logger.error("Rejected %s record %r%s: %s. Fix: %s.", stream, key,
                          f" (field {field_name!r})" if field_name else "",
                          reason.rstrip("."), hint.rstrip("."))

    def _reject_mapping(self, stream: str, key: str, record: Mapping[str, Any],
                        error: MappingError) -> None:
        self._reject(stream, key, record, str(error), hint=mapping_hint(error),
                     field_name=error.field)

    def _defer(self, stream: str, key: str, record: Mapping[str, Any], reason: str,
               *, field_name: str) -> None:
        hint = ("write the missing customer or item first (the customers and products feeds); "
                "the document is retried at the start of every run until they exist")
        self._count(stream, key, "deferred")
        self.state.add_pending(stream, key, record, status="deferred", reason=reason,
                               field=field_name, hint=hint)
        self._settled(stream, key)
        self.logger.warning("Deferred %s record %r (field %r) to the next run: %s. Fix: %s.",
                            stream, key, field_name, reason, hint)

    def _skip(self, stream: str, key: str, reason: str) -> None:
        self._outcome(stream, key, "skipped")
        self.logger.info("Skipped %s record %r: %s", stream, key, reason)

    def _latest_by_key(
        self,
        stream: str,
        records: Iterable[Mapping[str, Any]],
        key_of: Callable[[Mapping[str, Any]], str],
    ) -> dict[str, Mapping[str, Any]]:
        """The last record of each source key; a record without a key is rejected."""
        latest: dict[str, Mapping[str, Any]] = {}
        for record in records:
            try:
                latest[key_of(record)] = record
            except MappingError as error:
                self._reject_mapping(stream, fallback_key(record), record, error)
        return latest


    def _plan_upsert(  # noqa: PLR0917 (one record's full context)
        self,
        stream: str,
        key: str,
        record: Mapping[str, Any],
        payload: dict[str, Any],
        changes: dict[str, Any],
        found: Mapping[str, Any] | None = None,
    ) -> Plan:
        """A create or sparse update job, or the outcome when there is nothing to send.

        ``found`` is QuickBooks' object when it was found by natural key in this run
        (not in the ID map): only the fields that differ from it are sent, and
        nothing at all when none does (a feed with its own state, like
        ``update-products``, then does not rewrite the whole catalogue).
        """
        content_hash = payload_hash(changes)
        entry = self.state.get(KIND[stream], key)
        mode = self.product_mode if stream == PRODUCTS else "upsert"
        if entry is None:
            if mode == "update":
                return Skip("not in QuickBooks and product_mode is 'update'")
            return Job(stream, key, record, "create", payload, content_hash,
                       self._request_key(stream, key))
        if entry.content_hash == content_hash:
            return Unchanged()
        if found is not None:
            changes = changed_fields(changes, found)
            if not changes:
                return Unchanged(entry_of(found, content_hash))
        if mode == "create":
            return Skip("already in QuickBooks and product_mode is 'create'")
        update = {**changes, "Id": entry.id, "SyncToken": entry.sync_token or "0",
                  "sparse": True}
        return Job(stream, key, record, "update", update, content_hash,
                   self._request_key(stream, key, f":{content_hash}"))

    def _apply_plan(self, stream: str, key: str, plan: Plan) -> Job | None:
        """Record a plan's outcome (unchanged, skipped); return the job to send, if any."""
        if isinstance(plan, Job):
            return plan
        if isinstance(plan, Skip):
            self._skip(stream, key, plan.reason)
            return None
        if plan.entry is not None:
            self.state.put(KIND[stream], key, plan.entry)
        self._outcome(stream, key, "unchanged")
        return None


#: Key prefix of a customer the source could not identify (no id, no email), as
#: tap-myfulfillment builds it: ``unidentified:order:<order id>`` (record contract).
PLACEHOLDER_CUSTOMER = "unidentified:order:"


def _placeholder_keys(stream: str, records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Placeholder customer key → the key of this batch's customer built from that order.

    A customer record carries the ``order_id`` it was built from. When a person adds
    the missing email to that order, the next record of the order is a real customer:
    the placeholder's pending entry (rejected for the missing email) would otherwise be
    retried, and rejected, on every run forever.
    """
    if stream != CUSTOMERS:
        return {}
    found: dict[str, str] = {}
    for record in records:
        order_id = record.get("order_id")
        if order_id in (None, ""):
            continue
        try:
            key = customer_key(record)
        except MappingError:
            continue
        if not key.startswith(PLACEHOLDER_CUSTOMER):
            found[f"{PLACEHOLDER_CUSTOMER}{order_id}"] = key
    return found
