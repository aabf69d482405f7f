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
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

from target_quickbooks.idmap import MAPS, IdMap
from target_quickbooks.rates_seen import MAX_RATES, sorted_rates
from target_quickbooks.state_check import Problems, entry_of, validate_entry
from target_quickbooks.state_json import BOOKMARK, write_state_line

STATE_VERSION = 1
__all__ = ["BOOKMARK", "ENTITY_OF_KIND", "MAPS", "MapEntry", "SyncState", "json_safe",
           "parse_map_value", "target_entry", "without_entry"]
#: QuickBooks entity of each ID map (the one table; writer and resolver both use it).
ENTITY_OF_KIND = {"items": "Item", "customers": "Customer", "invoices": "Invoice",
                  "credit_memos": "CreditMemo", "payments": "Payment"}
#: The ID map kind of each stream's records (pending records are kept by stream).
STREAM_KINDS = {"products": "items", "customers": "customers", "invoices": "invoices",
                "credit_memos": "credit_memos", "payments": "payments"}
#: Pending status of a document deleted in QuickBooks, waiting for its source record
#: (its key is listed under ``resend`` for the tap; see :mod:`target_quickbooks.drift`).
DELETED_IN_QUICKBOOKS = "deleted_in_quickbooks"
#: Product outcomes that need no ``products`` entry: the items map says it is synced.
SYNCED_OUTCOMES = frozenset({"created", "updated", "unchanged"})


@dataclass(frozen=True)
class MapEntry:
    """A QuickBooks entity the target wrote or found: Id, SyncToken and content hash.

    ``entity`` names the QuickBooks entity when it is not the map's own
    (:data:`ENTITY_OF_KIND`): a credit memo of a paid invoice is a ``RefundReceipt``
    in the ``credit_memos`` map. Empty means the map's entity.
    """

    id: str
    sync_token: str = ""
    content_hash: str = ""
    entity: str = ""

    @property
    def ref(self) -> dict[str, str]:
        """A QuickBooks reference (``{"value": Id}``)."""
        return {"value": self.id}


def parse_map_value(raw: str) -> MapEntry:
    """A map value (``Id``, ``Id:SyncToken:hash`` or ``Id:SyncToken:hash:Entity``) as an entry."""
    parts = raw.split(":")
    return MapEntry(id=parts[0], sync_token=parts[1] if len(parts) > 1 else "",
                    content_hash=parts[2] if len(parts) > 2 else "",
                    entity=parts[3] if len(parts) > 3 else "")


def utc_now() -> str:
    """Now, ISO 8601 UTC to the second."""
    return dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0).isoformat()


def json_safe(value: Any) -> Any:
    """Copy a record so that it survives JSON exactly: Decimal → str, datetime → ISO."""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def target_entry(value: Any) -> Mapping[str, Any] | None:
    """This target's entry in a STATE value (or a Meltano state), if it has one.

    Raises:
        StateDamagedError: there is an entry, but it is not an object.
    """
    return entry_of(value)


def without_entry(state: Mapping[str, Any]) -> dict[str, Any]:
    """A shallow copy of a STATE value without this target's entry.

    Every STATE message of the tap carries back the (old) ID map it was given;
    keeping those copies would make memory grow with the catalog for nothing,
    since :meth:`SyncState.merged_into` puts the current entry back on emit.
    """
    bookmarks = state.get("bookmarks")
    if not isinstance(bookmarks, Mapping) or BOOKMARK not in bookmarks:
        return dict(state)
    return {**state, "bookmarks": {k: v for k, v in bookmarks.items() if k != BOOKMARK}}


def _reactivated(raw: Any) -> dict[str, dict[str, str]]:
    """The ``reactivated`` entry, keeping only well-formed intents (``{"token": ...}``)."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(key): {str(k): str(v) for k, v in value.items()}
            for key, value in raw.items()
            if isinstance(value, Mapping) and value.get("token") not in (None, "")}


class SyncState:
    """The ID map, pending records and results of one realm."""

    def __init__(self, realm_id: str, *, logger: logging.Logger | None = None) -> None:
        self.realm_id = str(realm_id)
        self.logger = logger or logging.getLogger(__name__)
        self.idmap = IdMap()
        self.suffixed: set[str] = set()
        self.voided: set[str] = set()
        #: Credit memos in QuickBooks per invoice source id (writer/refunds.py).
        self.refunded: dict[str, dict[str, str]] = {}
        #: Inactive items and customers made active for a document write, to be made
        #: inactive again (``writer/inactive.py``): ``"Entity:Id"`` → SyncTokens.
        self.reactivated: dict[str, dict[str, str]] = {}
        self.refs: dict[str, dict[str, str]] = {}
        #: VAT rates of the documents handled so far (:mod:`target_quickbooks.rates_seen`).
        self.rates_seen: set[str] = set()
        #: Entries of other realms, written back unchanged (a realm switch loses nothing).
        self.other_realms: dict[str, dict[str, Any]] = {}
        self.products: dict[str, list[str]] = {}
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}
        self.results: dict[str, dict[str, int]] = {}
        self.last_run: str | None = None
        #: Where the next check of QuickBooks' changes starts (ISO UTC), None: not yet.
        self.changes_checked: str | None = None
        #: stream → key → documents edited in QuickBooks after the target wrote them.
        self.drift: dict[str, dict[str, dict[str, Any]]] = {}
        self.loaded = False
        #: Whether this run touched anything before an entry was loaded; what it touched
        #: is marked in the ID map's file (``_merge_late_entry``), not held in memory.
        self._early = False
        #: Bumped on every change of the maps or pending records, so the target emits a
        #: progress state only when there is something new to keep.
        self.revision = 0

    # Loading and emitting

    def load_state_message(self, value: Mapping[str, Any] | None,
                           maps: IdMap | None = None, problems: Problems | None = None
                           ) -> bool:
        """Read the entry from a STATE message value, once (the first that has one).

        Later STATE messages carry the tap's copy of the same, older, entry: they
        are ignored. An entry for another realm is ignored with a warning.
        ``maps`` holds the entry's maps when the line was read by
        :func:`~target_quickbooks.state_json.decode_state_line` (the entry then has
        no map keys); it becomes this state's map, or is closed. ``problems`` holds
        the damaged map pairs that decoding found (left out of ``maps``).

        Returns:
            True when this message's entry was loaded.

        Raises:
            StateDamagedError: the entry has a field of the wrong type. Nothing is
                loaded: the run must stop before it writes anything.
        """
        if self.loaded:
            if maps is not None:
                maps.close()
            return False
        try:
            entry = target_entry(value)
            if entry is not None:
                validate_entry(entry, problems)
        except BaseException:
            if maps is not None:
                maps.close()
            raise
        if entry is None:
            if maps is not None:
                maps.close()
            return False
        self.loaded = True
        streamed = maps is not None
        incoming = maps if maps is not None else IdMap()
        for kind in MAPS:
            raw = entry.get(kind)
            if isinstance(raw, Mapping):
                incoming.load(kind, raw.items())
        others = entry.get("other_realms")
        for realm, item in (others.items() if isinstance(others, Mapping) else []):
            if isinstance(item, Mapping):
                self.other_realms.setdefault(str(realm), dict(item))
        current = {key: value for key, value in entry.items()
                   if key != "other_realms" and key not in MAPS}
        realm = str(entry.get("realm_id"))
        if realm != self.realm_id:
            # Kept verbatim for that realm, its maps put back into the entry.
            # Verbatim: a map the entry lacks (older than the map) is not added to it.
            self.other_realms[realm] = {**current, **{kind: incoming.as_dict(kind)
                                                      for kind in MAPS if streamed
                                                      or kind in entry or incoming.count(kind)}}
            incoming.close()
            mine = self.other_realms.pop(self.realm_id, None)
            if mine is None:
                self.logger.warning(
                    "State holds a QuickBooks ID map for realm %s, not for the configured "
                    "realm %s: it is kept for that realm, and entities of realm %s are looked "
                    "up by natural key.", realm, self.realm_id, self.realm_id,
                )
                return False
            self.logger.info("Switched to realm %s: using its ID map kept in the state "
                             "(the map of realm %s is kept too).", self.realm_id, realm)
            incoming = IdMap.from_dicts({kind: dict(mine[kind]) for kind in MAPS
                                         if isinstance(mine.get(kind), Mapping)})
            current = {key: value for key, value in mine.items() if key not in MAPS}
        if self._early:
            self._merge_late_entry(current, incoming)
        else:
            self.idmap.close()
            self.idmap = incoming
            self._load_entry(current)
        return True

    def _load_entry(self, entry: Mapping[str, Any]) -> None:
        """Take everything but the maps from ``entry`` (the state this run starts from)."""
        self.suffixed = {str(sku) for sku in entry.get("suffixed") or []}
        self.voided = {str(key) for key in entry.get("voided") or []}
        refunded = entry.get("refunded")
        self.refunded = ({str(invoice): {str(memo): str(amount) for memo, amount in memos.items()}
                          for invoice, memos in refunded.items() if isinstance(memos, Mapping)}
                         if isinstance(refunded, Mapping) else {})
        self.reactivated = _reactivated(entry.get("reactivated"))
        self.rates_seen = {str(rate) for rate in entry.get("rates_seen") or []}
        refs = entry.get("refs")
        self.refs = ({str(key): dict(value) for key, value in refs.items()
                      if isinstance(value, Mapping)} if isinstance(refs, Mapping) else {})
        self.products = {str(k): list(v) for k, v in (entry.get("products") or {}).items()
                         if not (v and v[0] in SYNCED_OUTCOMES)}
        pending = entry.get("pending") or {}
        self.pending = {
            str(stream): {str(key): dict(item) for key, item in records.items()}
            for stream, records in pending.items() if isinstance(records, Mapping)
        }
        self.results = copy.deepcopy(dict(entry.get("results") or {}))
        self.last_run = entry.get("last_run")
        self.changes_checked = entry.get("changes_checked")
        drift = entry.get("drift") or {}
        self.drift = {str(stream): {str(key): dict(item) for key, item in records.items()}
                      for stream, records in drift.items() if isinstance(records, Mapping)}

    def _merge_late_entry(self, entry: Mapping[str, Any], maps: IdMap) -> None:
        """Merge an entry that arrived after this run had already recorded outcomes.

        A tap that sends its first STATE message after some records (singer-sdk taps
        send it first; others may not) would otherwise have the older entry replace
        what QuickBooks confirmed in this run, or this run drop the older map and
        pending records. Whatever this run touched keeps this run's value; the rest
        comes from the entry.
        """
        early = self.idmap.is_marked
        for kind in MAPS:
            self.idmap.load(kind, maps.items(kind), older=True)
        maps.close()
        older = SyncState(self.realm_id, logger=self.logger)
        older._load_entry(entry)
        self.suffixed |= {sku for sku in older.suffixed if not early("items", sku)}
        self.voided |= older.voided
        self.changes_checked = self.changes_checked or older.changes_checked
        for stream, records in older.drift.items():
            for key, item in records.items():
                self.drift.setdefault(stream, {}).setdefault(key, item)
        for invoice, memos in older.refunded.items():
            for memo, amount in memos.items():
                if not early("credit_memos", memo):
                    self.refunded.setdefault(invoice, {}).setdefault(memo, amount)
        self.reactivated = {**older.reactivated, **self.reactivated}
        self.refs = {**older.refs, **self.refs}
        self.rates_seen |= older.rates_seen
        for sku, status in older.products.items():
            if not early("products", sku) and not early("items", sku):
                self.products.setdefault(sku, status)
        for stream, records in older.pending.items():
            kind = STREAM_KINDS.get(stream, stream)
            for key, item in records.items():
                if not early(stream, key) and not early(kind, key):
                    self.pending.setdefault(stream, {}).setdefault(key, item)
        self.idmap.clear_marks()
        self._early = False
        self.revision += 1
        self.logger.warning(
            "The ID map arrived in a STATE message after records were written (the tap "
            "sends its first state late): merged, this run's outcomes kept.")

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
