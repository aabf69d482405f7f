"""The target's memory between runs, kept inside Meltano state.

A target cannot read Meltano state, but a singer-sdk tap re-emits every entry of
``bookmarks`` it was given in a STATE message before any record. So the target
reads its entry (``bookmarks["target-quickbooks"]``) from the first STATE message
that has one, and writes it back, updated, into every state it emits.

Layout of the entry (compact on purpose; it travels through every run)::

    {"realm_id": "9130...", "v": 1,
     "items": {sku: "Id:SyncToken:hash8"},
     "customers": {customer_key: "Id:SyncToken:hash8"},
     "invoices": {source id: "Id:SyncToken:fingerprint"},
     "credit_memos": {...},  # a RefundReceipt: "Id:SyncToken:fingerprint:RefundReceipt"
     "payments": {"invoice:<source id>" | "credit_memo:<source id>": "Id:SyncToken:fp"},
                                         # Payments written (writer/payments.py)
     "suffixed": [sku, ...],             # items whose Name carries the SKU suffix
     "voided": [invoice source id, ...],  # canceled invoices voided in QuickBooks
     "refunded": {invoice source id: {credit memo source id: "amount"}},  # memos written
     "reactivated": {"Item:12": {"token": "3", "after": "4"}},  # to make inactive again
     "refs": {role:setting: {value, name}},  # account references last checked
     "rates_seen": ["5.5", "20", ...],    # VAT rates of the documents handled (check)
     "products": {sku: [status, at]},     # only SKUs not synced (rejected, skipped...)
     "pending": {stream: {key: {status, reason, code, detail, intuit_tid, hint,
                                since, attempts, record}}},
     "results": {stream: {created, updated, unchanged, deferred, rejected, skipped}},
     "changes_checked": iso,              # QuickBooks' changes are checked from here (drift.py)
     "drift": {stream: {key: {id, doc_number, changes, seen, hint}}},  # edited in QuickBooks
     "resend": {stream: [key, ...]},      # written by the target only: deleted in QuickBooks,
                                          # the tap sends these records again (tap resend.py)
     "last_run": iso,
     "other_realms": {realm_id: entry}}  # entries of other companies, kept verbatim

Only what QuickBooks confirmed is written to the maps. A product whose last outcome
is created, updated or unchanged (or skipped while mapped: it is in QuickBooks) has
no ``products`` entry: ``report`` shows every mapped SKU without one as synced,
which keeps the state small for large catalogues.

During a run the four maps live in an :class:`~target_quickbooks.idmap.IdMap`
(SQLite), filled straight from the STATE line and written straight into the next
one (:mod:`target_quickbooks.state_json`): memory does not grow with the catalogue.

An entry with a field of the wrong type (hand-edited, say) stops the run before
anything is written, naming the field and the repair
(:mod:`target_quickbooks.state_check`).

The parts: :mod:`target_quickbooks.map_entry` (map entries),
:mod:`target_quickbooks.state_values` (STATE value and JSON helpers),
:mod:`target_quickbooks.state_fields` (the fields and constants),
:mod:`target_quickbooks.state_load` (reading an entry); this module adds the
run's use of the state and writing it back, and keeps every old name importable.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, TextIO

from target_quickbooks.idmap import MAPS
from target_quickbooks.map_entry import ENTITY_OF_KIND, MapEntry, parse_map_value
from target_quickbooks.rates_seen import MAX_RATES, sorted_rates
from target_quickbooks.state_fields import (  # STREAM_KINDS: still importable from here
    DELETED_IN_QUICKBOOKS,
    STATE_VERSION,
    STREAM_KINDS,  # noqa: F401
    SYNCED_OUTCOMES,
)
from target_quickbooks.state_json import BOOKMARK, write_state_line
from target_quickbooks.state_load import StateLoading
from target_quickbooks.state_values import json_safe, target_entry, utc_now, without_entry

__all__ = ["BOOKMARK", "ENTITY_OF_KIND", "MAPS", "MapEntry", "SyncState", "json_safe",
           "parse_map_value", "target_entry", "without_entry"]


class SyncState(StateLoading):
    """The ID map, pending records and results of one realm."""

    def to_bookmark(self) -> dict[str, Any]:
        """The entry to write under ``bookmarks["target-quickbooks"]``, maps included.

        Builds every map as a dict: for tests and tools. Runs write states with
        :meth:`write_merged`, which streams the maps.
        """
        entry = self._entry_without_maps()
        for name in MAPS:
            entry[name] = self.idmap.as_dict(name)
        return entry

    def _entry_without_maps(self) -> dict[str, Any]:
        """The entry with None in place of each map (filled in by the writer)."""
        entry: dict[str, Any] = {"realm_id": self.realm_id, "v": STATE_VERSION}
        for name in MAPS:
            entry[name] = None
        entry["suffixed"] = sorted(self.suffixed)
        if self.voided:
            entry["voided"] = sorted(self.voided)
        if self.refunded:
            entry["refunded"] = {invoice: dict(sorted(memos.items())) for invoice, memos
                                 in sorted(self.refunded.items()) if memos}
        if self.reactivated:
            entry["reactivated"] = dict(sorted(self.reactivated.items()))
        if self.refs:
            entry["refs"] = dict(sorted(self.refs.items()))
        if self.rates_seen:
            entry["rates_seen"] = sorted_rates(self.rates_seen)
        entry["products"] = dict(sorted(self.products.items()))
        entry["pending"] = {stream: dict(records) for stream, records in
                            sorted(self.pending.items()) if records}
        entry["results"] = copy.deepcopy(self.results)
        entry["last_run"] = self.last_run
        if self.changes_checked:
            entry["changes_checked"] = self.changes_checked
        drift = {stream: dict(sorted(records.items()))
                 for stream, records in sorted(self.drift.items()) if records}
        if drift:
            entry["drift"] = drift
        resend = self.resend()
        if resend:
            entry["resend"] = resend
        if self.other_realms:
            entry["other_realms"] = {realm: self.other_realms[realm]
                                     for realm in sorted(self.other_realms)}
        return entry

    def merged_into(self, state: Mapping[str, Any] | None) -> dict[str, Any]:
        """A copy of ``state`` (the tap's latest) with this entry under ``bookmarks``."""
        merged = copy.deepcopy(dict(state or {}))
        bookmarks = merged.get("bookmarks")
        if not isinstance(bookmarks, dict):
            bookmarks = {}
            merged["bookmarks"] = bookmarks
        bookmarks[BOOKMARK] = self.to_bookmark()
        return merged

    def write_merged(self, out: TextIO, state: Mapping[str, Any] | None) -> None:
        """Write ``state`` (the tap's latest) with this entry as one STATE value line.

        The same JSON as ``merged_into`` serialised, but the maps are streamed from
        SQLite: no copy of them is built in memory.
        """
        write_state_line(out, without_entry(state or {}), self._entry_without_maps(),
                         self.idmap.items)

    def copy(self) -> SyncState:
        """An independent copy (a dry run's throwaway state)."""
        twin = SyncState(self.realm_id, logger=self.logger)
        twin.idmap.close()
        twin.idmap = self.idmap.copy()
        for name in ("suffixed", "voided", "refunded", "reactivated", "refs", "rates_seen",
                     "other_realms", "products", "pending", "results", "changes_checked", "drift"):
            setattr(twin, name, copy.deepcopy(getattr(self, name)))
        twin.last_run, twin.loaded, twin.revision = self.last_run, self.loaded, self.revision
        twin._early = self._early
        return twin

    def note_rates(self, rates: set[str]) -> None:
        """Remember VAT rates documents carried (``check`` wants each one mapped)."""
        new = rates - self.rates_seen
        if new and len(self.rates_seen) < MAX_RATES:
            self.rates_seen |= new
            self.revision += 1

    def map_counts(self) -> dict[str, int]:
        """How many entries each map has (for logs)."""
        return {name: self.idmap.count(name) for name in MAPS}

    # The ID map

    def get(self, kind: str, key: str) -> MapEntry | None:
        """The mapped entity of ``kind`` (``items``, ``customers``...) for a source key."""
        raw = self.idmap.get(kind, key)
        return parse_map_value(raw) if raw else None

    def entity_of(self, kind: str, key: str) -> str | None:
        """The QuickBooks entity of a mapped source key (None when it is not mapped)."""
        entry = self.get(kind, key)
        return None if entry is None else entry.entity or ENTITY_OF_KIND[kind]

    def keys_of(self, kind: str, qbo_id: str) -> list[str]:
        """The source keys the map of ``kind`` holds for QuickBooks Id ``qbo_id``."""
        return self.idmap.keys_with_id(kind, qbo_id)

    def _touch(self, kind: str, key: str) -> None:
        self.revision += 1
        if not self.loaded:
            self.idmap.mark(kind, key)
            self._early = True

    def put(self, kind: str, key: str, entry: MapEntry) -> None:
        """Remember an entity QuickBooks confirmed (created, updated or found).

        Documents keep ``Id:SyncToken:fingerprint`` (``Id`` alone when neither is known),
        so a later change in QuickBooks can be told from the target's own. An entity
        other than the map's own is added as a fourth part
        (``Id:SyncToken:fingerprint:RefundReceipt``).
        """
        other = entry.entity if entry.entity not in ("", ENTITY_OF_KIND.get(kind)) else ""
        if other:
            self.idmap.set(kind, key,
                           f"{entry.id}:{entry.sync_token}:{entry.content_hash}:{other}")
        elif kind in ("invoices", "credit_memos") and not (entry.sync_token
                                                           or entry.content_hash):
            self.idmap.set(kind, key, entry.id)
        else:
            self.idmap.set(kind, key, f"{entry.id}:{entry.sync_token}:{entry.content_hash}")
        self._touch(kind, key)

    def set_reactivated(self, key: str, intent: Mapping[str, str] | None) -> None:
        """Record (or, with None, drop) the intent to make ``key`` inactive again."""
        if intent is None:
            if self.reactivated.pop(key, None) is None:
                return
        else:
            self.reactivated[key] = dict(intent)
        self.revision += 1

    def forget(self, kind: str, key: str) -> None:
        """Drop a map entry (its object was deleted in QuickBooks)."""
        if self.idmap.delete(kind, key):
            self._touch(kind, key)

    # Pending records

    def add_pending(
        self,
        stream: str,
        key: str,
        record: Mapping[str, Any] | None,
        *,
        status: str,
        reason: str,
        code: str | None = None,
        detail: str | None = None,
        intuit_tid: str | None = None,
        hint: str | None = None,
        field: str | None = None,
        deleted_id: str | None = None,
    ) -> None:
        """Keep a deferred or rejected record, to retry it at the start of the next run.

        ``since`` and ``attempts`` carry over from the entry this replaces, so a record
        that keeps failing shows how long and how often (and gets a new request id each
        attempt, see ``SyncService._request_key``). So does ``deleted_id``, the Id of the
        QuickBooks document a person deleted: until the record is written again, every
        attempt needs a requestid other than the one that created that document.
        ``record`` is None for such a document while its source record has not come back.
        """
        previous = self.pending.get(stream, {}).get(key, {})
        item: dict[str, Any] = {
            "status": status,
            "reason": reason,
            "since": previous.get("since") or utc_now(),
            "attempts": int(previous.get("attempts") or 0) + 1,
        }
        if record is not None:  # None: a document deleted in QuickBooks, awaiting its record
            item["record"] = json_safe(record)
        if previous.get("deleted_id"):  # its rewrite needs a new requestid, whatever happens
            item["deleted_id"] = previous["deleted_id"]
        for name, value in (("field", field), ("code", code), ("detail", detail),
                            ("intuit_tid", intuit_tid), ("hint", hint),
                            ("deleted_id", deleted_id)):
            if value:
                item[name] = value
        self.pending.setdefault(stream, {})[key] = item
        self._touch(stream, key)

    def pending_of(self, stream: str) -> dict[str, dict[str, Any]]:
        """A copy of the pending records of a stream (key → entry).

        They stay in the state until each one gets an outcome (written, superseded,
        kept again): a run that stops half-way never loses one.
        """
        return dict(self.pending.get(stream, {}))

    def resend(self) -> dict[str, list[str]]:
        """Stream → keys deleted in QuickBooks whose source record the tap should send again."""
        found = {stream: sorted(key for key, item in records.items()
                                if item.get("status") == DELETED_IN_QUICKBOOKS)
                 for stream, records in sorted(self.pending.items())}
        return {stream: keys for stream, keys in found.items() if keys}

    def drop_pending(self, stream: str, key: str) -> None:
        """Forget a pending record (it was written or superseded)."""
        if self.pending.get(stream, {}).pop(key, None) is not None:
            self._touch(stream, key)

    def pending_count(self, stream: str | None = None) -> int:
        """How many records are pending (of one stream, or all)."""
        if stream is not None:
            return len(self.pending.get(stream, {}))
        return sum(len(records) for records in self.pending.values())

    def set_product_status(self, sku: str, status: str) -> None:
        """Remember a product's last sync outcome for the ``report`` command.

        Only outcomes other than created/updated/unchanged are stored: ``report``
        derives "synced" from the items map, so a 100,000-product catalogue does not
        carry 100,000 status entries in every state. A mapped SKU skipped (the
        ``create-products`` feed on a product already in QuickBooks) is synced too.
        """
        if status in SYNCED_OUTCOMES or (status == "skipped" and self.get("items", sku)):
            if self.products.pop(sku, None) is not None:
                self._touch("products", sku)
            return
        self.products[sku] = [status, utc_now()]
        self._touch("products", sku)

    def finish_run(self, results: Mapping[str, Mapping[str, int]]) -> None:
        """Store this run's results and time."""
        self.results = {stream: dict(counts) for stream, counts in results.items()}
        self.last_run = utc_now()
