"""The sync service the sinks call: map → resolve existing → batch write → record results.

One :class:`SyncService` per run owns the QuickBooks client, the state, the
resolver and the configured references. Sinks hand it a batch of records of one
stream; it never lets one bad record stop the others:

- a record the mapper or QuickBooks refuses is **rejected** (kept in state with
  QuickBooks' code, Detail and intuit_tid and a fix hint, retried next run);
- a document whose customer or item is not in QuickBooks yet is **deferred**
  (kept in state with the reason, retried next run);
- configuration errors (a missing account...) stop the run: every record would
  fail the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from target_quickbooks.accounts import References
from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.customers import (
    customer_display_name,
    customer_key,
    discriminator,
    map_customer,
)
from target_quickbooks.mappers.documents import (
    CREDIT_MEMO,
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
from target_quickbooks.mappers.items import (
    ACCOUNT_ROLES,
    item_name,
    item_type,
    map_product,
    payload_hash,
    product_sku,
    update_payload,
)
from target_quickbooks.mappers.money import ZERO, cents, to_decimal
from target_quickbooks.mappers.names import doc_number, short_hash
from target_quickbooks.qbo import (
    BatchOperation,
    QuickBooksError,
    QuickBooksFault,
    canonical_json,
    request_id,
)
from target_quickbooks.resolver import Resolver, changed_fields, entry_of
from target_quickbooks.results import RunResults
from target_quickbooks.settings import tax_code_table
from target_quickbooks.state import ENTITY_OF_KIND, MapEntry, SyncState, json_safe

PRODUCTS = "products"
CUSTOMERS = "customers"
STREAMS = (PRODUCTS, CUSTOMERS, INVOICE, CREDIT_MEMO)
STREAM_ALIASES = {"creditmemos": CREDIT_MEMO}
KIND = {PRODUCTS: "items", CUSTOMERS: "customers", INVOICE: "invoices",
        CREDIT_MEMO: "credit_memos"}
DRY_RUN_ID = "dry-run"
#: Source document states meaning the sale did not happen (``state`` field).
CANCELED_STATES = frozenset({"canceled", "cancelled"})
CREDIT_MEMO_CANCELED_HINT = (
    "QuickBooks cannot void a credit memo through its API: delete it in QuickBooks, or set "
    "its amounts to 0; the target checks it again on every run and clears this entry once "
    "the credit memo is gone or its total is 0"
)

#: What to do about the QuickBooks error codes a person can fix.
FIX_HINTS = {
    "6240": "another QuickBooks object (maybe a Vendor or Employee, or an inactive one) "
            "already uses this name: rename one of them",
    "6000": "QuickBooks refused a business rule: read the Detail; for tax errors check "
            "`tax_code` and `tax_code_map`",
    "2500": "a referenced object (customer, item, account or tax code) does not exist or is "
            "inactive in QuickBooks: check the settings and reactivate it",
    "2020": "a required field is missing: check the record against the record contract",
    "2010": "QuickBooks refused a field the target sent: report this as a target bug",
    "6520": "inventory item lines need a quantity (`items[].qty`)",
    "6140": "a document with this DocNumber already exists in QuickBooks",
    "5010": "the object was changed in QuickBooks during the run: the next run retries it",
    "610": "the object was deleted in QuickBooks: the next run recreates it",
    "2050": "a text field is longer than QuickBooks allows (see the Detail): shorten it at "
            "the source",
    "2040": "a name holds a character QuickBooks refuses (see the Detail): change it at the "
            "source",
}
CURRENCY_HINT = (
    "turn on multicurrency in QuickBooks (Settings > Account and settings > Advanced > "
    "Currency) and add this currency, or export the document in the company's home currency"
)
DEFAULT_FAULT_HINT = (
    "read QuickBooks' Detail above, then fix the record at the source or the setting it names; "
    "the record is retried on the next run"
)


def fault_hint(fault: QuickBooksFault) -> str:
    """The fix to suggest for a Fault QuickBooks returned for one record."""
    about = " ".join(
        f"{error.element or ''} {error.detail} {error.message}" for error in fault.errors
    ).lower()
    if "currency" in about:
        return CURRENCY_HINT
    return FIX_HINTS.get(fault.code, DEFAULT_FAULT_HINT)


def mapping_hint(error: MappingError) -> str:
    """The fix of a record the mapper refused: its own hint, else one naming the field."""
    if error.hint:
        return error.hint
    field_name = error.field or "the field named above"
    return (f"correct {field_name!r} at the source (see the record contract in the "
            "target-quickbooks README) or convert it with stream_maps; the record is retried "
            "on the next run")


def canonical_stream(name: str) -> str:
    """The stream name the target works with (``creditmemos`` → ``credit_memos``)."""
    return STREAM_ALIASES.get(name, name)


def is_canceled(record: Mapping[str, Any]) -> bool:
    """Whether a document was canceled at the source (``state`` ``canceled``)."""
    return str(record.get("state") or "").strip().lower() in CANCELED_STATES


def _zero_total(row: Mapping[str, Any]) -> bool:
    if row.get("TotalAmt") in (None, ""):
        return False
    try:
        return cents(to_decimal(row["TotalAmt"], "TotalAmt")) == ZERO
    except MappingError:
        return False


def is_voided(entity: str, row: Mapping[str, Any]) -> bool:
    """Whether QuickBooks' document is already voided (Invoice) or zeroed (CreditMemo)."""
    if entity == "Invoice":
        return _zero_total(row) and str(row.get("PrivateNote") or "").startswith("Voided")
    return _zero_total(row)


def void_document(client: Any, entity: str, payload: Mapping[str, Any], *,
                  request_id: str) -> dict[str, Any]:
    """Void a document: ``POST /{entity}?operation=void`` with ``{Id, SyncToken}``.

    QuickBooks voids through the entity endpoint, not ``/batch``'s create/update.
    """
    return dict(client.void(entity, dict(payload), request_id=request_id))


@dataclass
class Job:
    """One create or update to send, with what is needed to record its outcome."""

    stream: str
    key: str
    record: Mapping[str, Any]
    operation: str
    payload: dict[str, Any]
    content_hash: str = ""
    request_key: str = ""
    retried: bool = False
    suffixed: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """Name of the ID map (``items``, ``customers``, ...)."""
        return KIND[self.stream]

    @property
    def entity(self) -> str:
        """QuickBooks entity name."""
        return ENTITY_OF_KIND[self.kind]


@dataclass(frozen=True)
class Unchanged:
    """Nothing to send; ``entry`` is the map entry to record (found identical), if any."""

    entry: MapEntry | None = None


@dataclass(frozen=True)
class Skip:
    """Nothing to send because of ``product_mode``."""

    reason: str


Plan = Job | Unchanged | Skip

_LABEL_FIELDS = ("id", "increment_id", "sku", "name", "customer_key", "email", "customer_id")


def _fallback_key(record: Mapping[str, Any]) -> str:
    """A key for a record whose own key is missing, so it can still be kept in state.

    Derived from the record's JSON form, which is the same before and after a trip
    through state (Decimals become strings there): a record retried from state gets
    the key it was stored under, so it replaces its own pending entry. A readable
    label (its id, number or name) lets messages and ``report`` name the record.
    """
    safe = json_safe(record)
    label = next((str(safe[name]).strip() for name in _LABEL_FIELDS
                  if isinstance(safe, Mapping) and str(safe.get(name) or "").strip()), "")
    digest = short_hash(canonical_json(safe))
    return f"missing-key:{label[:40]}:{digest}" if label else f"missing-key:{digest}"


class SyncService:
    """Writes batches of records of one stream to QuickBooks and records the outcomes."""

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

    # Entry points

    def process(self, stream: str, records: Iterable[Mapping[str, Any]]) -> None:
        """Write one batch of records of ``stream`` (pending ones of earlier runs first)."""
        stream = canonical_stream(stream)
        batch = self._with_pending(stream, list(records))
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
        for stream in (canonical_stream(name) for name in streams):
            if stream not in self._retried and self.state.pending_count(stream):
                self.process(stream, [])

    def use_state(self, state: SyncState) -> None:
        """Work on another state object (the dry run's throwaway copy)."""
        self.state = state
        self._resolver = None

    # Pending records

    def _key(self, stream: str, record: Mapping[str, Any]) -> str:
        try:
            if stream == PRODUCTS:
                return product_sku(record)
            if stream == CUSTOMERS:
                return customer_key(record)
            return document_id(record)
        except MappingError:
            return _fallback_key(record)

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
        replay = []
        for key, entry in pending.items():
            self._previous[(stream, key)] = entry
            if key not in fresh and isinstance(entry.get("record"), Mapping):
                replay.append(entry["record"])
                current = self._key(stream, entry["record"])
                if current != key:
                    self._stale_keys.setdefault((stream, current), []).append(key)
                    self._previous.setdefault((stream, current), entry)
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
        return base

    # Outcomes

    def _settled(self, stream: str, key: str) -> None:
        """The record of ``key`` has its outcome: forget its entries under older keys."""
        for stale in self._stale_keys.pop((stream, key), []):
            self.state.drop_pending(stream, stale)

    def _outcome(self, stream: str, key: str, outcome: str) -> None:
        self.results.add(stream, outcome)
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
        self.results.add(stream, "rejected")
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
        self.results.add(stream, "deferred")
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
                self._reject_mapping(stream, _fallback_key(record), record, error)
        return latest

    # Products

    def _write_products(self, records: list[Mapping[str, Any]]) -> None:
        stream = PRODUCTS
        latest = self._latest_by_key(stream, records, product_sku)
        typed: dict[str, str] = {}
        names: dict[str, str] = {}
        for sku, record in list(latest.items()):
            try:
                typed[sku] = item_type(record)
                names[sku] = item_name(record)
            except MappingError as error:
                self._reject_mapping(stream, sku, record, error)
                del latest[sku]
        if not latest:
            return
        roles = {role for qbo_type in typed.values() for role in ACCOUNT_ROLES[qbo_type]}
        found = self.resolver.find_items(latest)
        suffixed = self.state.suffixed | self._colliding(names)
        # Account references checked by an earlier run are enough to tell what changed;
        # they are checked again (one query) only when something is to be written.
        accounts = self._known_accounts(roles)
        checked = accounts is None
        if accounts is None:
            accounts = self._checked_accounts(roles)
        plans = self._product_plans(latest, accounts, suffixed, found)
        if not checked and any(isinstance(plan, Job) for plan in plans.values()):
            fresh = self._checked_accounts(roles)
            if fresh != accounts:
                plans = self._product_plans(latest, fresh, suffixed, found)
        jobs = []
        for sku, plan in plans.items():
            if isinstance(plan, MappingError):
                self._reject_mapping(stream, sku, latest[sku], plan)
            elif (job := self._apply_plan(stream, sku, plan)) is not None:
                job.suffixed = sku in suffixed
                jobs.append(job)
        self._run(jobs)

    def _known_accounts(self, roles: Iterable[str]) -> dict[str, dict[str, str]] | None:
        """The account references the state remembers for ``roles``, or None if any is new."""
        known = {}
        for role in roles:
            ref = self.state.refs.get(self.references.account_key(role))
            if ref is None:
                return None
            known[role] = dict(ref)
        return known

    def _checked_accounts(self, roles: Iterable[str]) -> dict[str, dict[str, str]]:
        """The account references of ``roles`` checked in QuickBooks, remembered in state."""
        accounts = self.references.accounts(roles)
        for role, ref in accounts.items():
            self.state.refs[self.references.account_key(role)] = dict(ref)
        return accounts

    def _product_plans(
        self,
        latest: Mapping[str, Mapping[str, Any]],
        accounts: Mapping[str, Mapping[str, str]],
        suffixed: set[str],
        found: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, Plan | MappingError]:
        """What to do with each product (nothing is recorded or sent yet)."""
        plans: dict[str, Plan | MappingError] = {}
        for sku, record in latest.items():
            try:
                payload = map_product(record, accounts=accounts,
                                      inv_start_date=self.inv_start_date,
                                      suffixed=sku in suffixed)
            except MappingError as error:
                plans[sku] = error
                continue
            plans[sku] = self._plan_upsert(PRODUCTS, sku, record, payload,
                                           update_payload(payload), found.get(sku))
        return plans

    def _colliding(self, names: Mapping[str, str]) -> set[str]:
        """SKUs whose cleaned names collide in this batch and must carry the SKU suffix.

        The plain name stays with the item that already has it in QuickBooks (mapped
        and not suffixed), else with the smallest SKU: the same choice on every run.
        """
        groups: dict[str, list[str]] = {}
        for sku, name in names.items():
            groups.setdefault(name.casefold(), []).append(sku)
        losers: set[str] = set()
        for skus in groups.values():
            if len(skus) < 2:
                continue
            holders = [sku for sku in skus if self.state.get("items", sku)
                       and sku not in self.state.suffixed]
            keeper = min(holders) if holders else min(skus)
            losers.update(sku for sku in skus if sku != keeper)
        return losers

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

    # Customers

    def _write_customers(self, records: list[Mapping[str, Any]]) -> None:
        stream = CUSTOMERS
        payloads: dict[str, tuple[Mapping[str, Any], dict[str, Any]]] = {}
        for record in records:
            try:
                key = customer_key(record)
            except MappingError as error:
                self._reject_mapping(stream, _fallback_key(record), record, error)
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

    # Invoices and credit memos

    def _write_documents(self, stream: str, records: list[Mapping[str, Any]]) -> None:
        latest = self._latest_by_key(stream, records, document_id)
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
            self._reject_memos_over_invoice(latest, totals)
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
            try:
                payload = map_document(record, stream=stream, refs=refs)
            except MappingError as error:
                self._reject_mapping(stream, key, record, error)
                continue
            jobs.append(Job(stream, key, record, "create", payload,
                            request_key=self._request_key(stream, key),
                            info={"doc_number": numbers[key]}))
        self._run(jobs)

    def _find_existing_documents(self, stream: str, latest: dict[str, Mapping[str, Any]],
                                 numbers: Mapping[str, str]) -> None:
        """Map the unmapped documents QuickBooks already has, found by DocNumber.

        A document found by number is adopted only if it is this record's (same date,
        total and, when known, customer); otherwise another source document already
        uses the number and this record is rejected: adopting it would silently drop
        this document from the books.
        """
        kind = KIND[stream]
        for key, row in self.resolver.lookup(kind, "DocNumber", numbers).items():
            record = latest[key]
            conflict = self._document_conflict(stream, record, row)
            if conflict:
                self._reject_duplicate_number(stream, key, record, conflict)
                del latest[key]
            else:
                self.resolver.adopt(kind, key, row)

    def _document_conflict(self, stream: str, record: Mapping[str, Any],
                           row: Mapping[str, Any], customer_id: str | None = None) -> str:
        """Why QuickBooks' document ``row`` (same DocNumber) is not ``record``'s, or ``""``."""
        differences = []
        expected = check_totals(record, stream=stream).grand_total
        if row.get("TotalAmt") not in (None, ""):
            try:
                total = to_decimal(row.get("TotalAmt"), "TotalAmt")
            except MappingError:
                total = ZERO
            if cents(total) != cents(expected):
                differences.append(f"TotalAmt {cents(total)} but grand_total {cents(expected)}")
        date = str(row.get("TxnDate") or "")
        wanted_date = txn_date(record.get("created_at"), self.references.timezone().tz)
        if date and date != wanted_date:
            differences.append(f"TxnDate {date} but created_at {wanted_date}")
        if customer_id is None:
            mapped = self.state.get("customers", customer_key(record))
            customer_id = mapped.id if mapped else None
        found_customer = str((row.get("CustomerRef") or {}).get("value") or "")
        if customer_id and found_customer and found_customer != customer_id:
            differences.append(f"customer Id {found_customer} but this record's is {customer_id}")
        if not differences:
            return ""
        entity = ENTITY_OF_KIND[KIND[stream]]
        return (f"DocNumber {row.get('DocNumber')!r} is already used by QuickBooks {entity} Id "
                f"{row.get('Id')}, which is another document ({'; '.join(differences)})")

    def _reject_duplicate_number(self, stream: str, key: str, record: Mapping[str, Any],
                                 conflict: str) -> None:
        self._reject(
            stream, key, record, conflict, field_name="increment_id",
            hint="give every document its own increment_id at the source; if the QuickBooks "
                 "document is this one edited by hand, fix it in QuickBooks (documents are "
                 "never updated by the target)",
        )

    def _reject_memos_over_invoice(self, latest: dict[str, Mapping[str, Any]],
                                   totals: Mapping[str, Decimal]) -> None:
        """Reject credit memos that refund more than their invoice's grand_total.

        The invoice's total comes from this run (same target run) or from QuickBooks
        when this state's ID map knows the invoice; a credit memo whose invoice the
        target has never seen cannot be checked and is written as it is.
        """
        invoice_of = {key: str(latest[key].get("invoice_id") or "").strip() for key in latest}
        unknown = {invoice for invoice in invoice_of.values()
                   if invoice and invoice not in self._invoice_totals}
        ids = {invoice: entry.id for invoice in unknown
               if (entry := self.state.get("invoices", invoice)) is not None}
        if ids:
            rows = self.client.query_in("Invoice", "Id", sorted(set(ids.values())))
            by_id = {str(row.get("Id")): row for row in rows}
            for invoice, qbo_id in ids.items():
                row = by_id.get(qbo_id)
                if row is not None and row.get("TotalAmt") is not None:
                    with contextlib.suppress(MappingError):
                        self._invoice_totals[invoice] = to_decimal(row["TotalAmt"], "TotalAmt")
        for key, invoice in invoice_of.items():
            limit = self._invoice_totals.get(invoice)
            if limit is None or key not in totals or cents(totals[key]) <= cents(limit):
                continue
            self._reject(
                CREDIT_MEMO, key, latest.pop(key),
                f"grand_total {cents(totals[key])} is larger than its invoice {invoice!r} "
                f"({cents(limit)}): a credit memo cannot refund more than was invoiced",
                field_name="grand_total",
                hint="check the refund and its adjustments at the source; the credit memo is "
                     "retried on the next run",
            )

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

    # Canceled documents

    def _write_canceled(self, stream: str, canceled: Mapping[str, Mapping[str, Any]]) -> None:
        """Documents canceled at the source: skip them, or void the ones already written.

        Not in QuickBooks (map or DocNumber): nothing to book, ``skipped``. An invoice
        already written is voided (``operation=void``: amounts 0, kept for the audit
        trail). QuickBooks has no void for credit memos: one already written is kept
        in pending as ``needs_attention`` for a person, and cleared once it is deleted
        or zeroed in QuickBooks.
        """
        kind = KIND[stream]
        entity = ENTITY_OF_KIND[kind]
        numbers: dict[str, str] = {}
        for key, record in canceled.items():
            with contextlib.suppress(MappingError):
                numbers[key] = doc_number(record.get("increment_id"))[0]
        for key, row in self.resolver.lookup(kind, "DocNumber", numbers).items():
            try:
                conflict = self._document_conflict(stream, canceled[key], row)
            except MappingError as error:
                conflict = str(error)
            same_date = str(row.get("TxnDate") or "") == self._txn_date_or_none(canceled[key])
            if not conflict or (is_voided(entity, row) and same_date):
                self.resolver.adopt(kind, key, row)
        todo: dict[str, str] = {}
        for key in canceled:
            entry = self.state.get(kind, key)
            if entry is None:
                self._skip(stream, key, "canceled at the source and not in QuickBooks: "
                                        "nothing to book")
            elif stream == INVOICE and key in self.state.voided:
                self._outcome(stream, key, "unchanged")
            else:
                todo[key] = entry.id
        if not todo:
            return
        rows = self.client.query_in(entity, "Id", sorted(set(todo.values())))
        by_id = {str(row.get("Id")): row for row in rows}
        for key, qbo_id in todo.items():
            record, current = canceled[key], by_id.get(qbo_id)
            if current is None:
                self.state.forget(kind, key)
                self._skip(stream, key, f"canceled at the source; {entity} Id {qbo_id} is no "
                                        "longer in QuickBooks")
            elif is_voided(entity, current):
                if stream == INVOICE:
                    self.state.voided.add(key)
                self._outcome(stream, key, "unchanged")
            elif stream == INVOICE:
                self._void_invoice(key, record, current)
            else:
                self._needs_attention(stream, key, record, (
                    f"canceled at the source, but {entity} Id {qbo_id} (DocNumber "
                    f"{current.get('DocNumber')!r}) is in QuickBooks, which cannot void a "
                    "credit memo through its API"))

    def _txn_date_or_none(self, record: Mapping[str, Any]) -> str | None:
        try:
            return txn_date(record.get("created_at"), self.references.timezone().tz)
        except MappingError:
            return None

    def _void_invoice(self, key: str, record: Mapping[str, Any], row: Mapping[str, Any]) -> None:
        payload = {"Id": str(row["Id"]), "SyncToken": str(row.get("SyncToken", "0"))}
        if self.dry_run:
            self._outcome(INVOICE, key, "updated")
            return
        rid = request_id(self.state.realm_id, "Invoice", f"void:{key}", canonical_json(payload))
        try:
            voided = void_document(self.client, "Invoice", payload, request_id=rid)
        except QuickBooksFault as fault:
            self._reject(INVOICE, key, record,
                         f"the invoice was canceled at the source, but QuickBooks refused to "
                         f"void Invoice Id {payload['Id']}: {fault.describe()}", fault=fault)
            return
        self.state.voided.add(key)
        if voided.get("Id"):
            self.state.put("invoices", key, entry_of(voided))
        self._outcome(INVOICE, key, "updated")
        self.logger.info("Voided QuickBooks Invoice Id %s: invoice %r was canceled at the "
                         "source.", payload["Id"], key)

    def _needs_attention(self, stream: str, key: str, record: Mapping[str, Any],
                         reason: str) -> None:
        self.results.add(stream, "skipped")
        self.state.add_pending(stream, key, record, status="needs_attention", reason=reason,
                               field="state", hint=CREDIT_MEMO_CANCELED_HINT)
        self._settled(stream, key)
        self.logger.warning("Credit memo %r needs attention: %s. Fix: %s.", key, reason,
                            CREDIT_MEMO_CANCELED_HINT)

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

    # Sending

    def _run(self, jobs: list[Job]) -> None:
        """Send jobs in batches; retry once what can be recovered (5010, 6240, 610)."""
        round_ = jobs
        while round_:
            if self.dry_run:
                for job in round_:
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
            for job, result in zip(round_, results, strict=True):
                if result.ok:
                    self._succeeded(job, result.entity)
                    continue
                fault = result.fault
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
            round_ = next_round

    def _succeeded(self, job: Job, entity: Mapping[str, Any] | None) -> None:
        if entity is None or "Id" not in entity:
            self._reject(job.stream, job.key, job.record,
                         "QuickBooks answered without the object")
            return
        self.state.put(job.kind, job.key, entry_of(entity, job.content_hash))
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
            row = self.resolver.lookup(job.kind, "DocNumber",
                                       {job.key: job.info["doc_number"]}).get(job.key)
            if row is None:
                return None
            conflict = self._document_conflict(
                job.stream, job.record, row,
                customer_id=str(job.payload.get("CustomerRef", {}).get("value") or "") or None)
            if conflict:
                self._reject_duplicate_number(job.stream, job.key, job.record, conflict)
            else:
                self.resolver.adopt(job.kind, job.key, row)
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
