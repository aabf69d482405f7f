"""Loading the target's entry from a STATE message into a :class:`SyncState`.

Why a module of its own: the entry may be for another realm (kept verbatim, or
switched to), may arrive after this run already wrote records (merged, this run's
outcomes kept), or may be damaged (the run stops before writing): those rules
are read together here, apart from how the state is used during a run.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from target_quickbooks.idmap import MAPS, IdMap
from target_quickbooks.state_check import Problems, validate_entry
from target_quickbooks.state_fields import STREAM_KINDS, SYNCED_OUTCOMES, StateFields
from target_quickbooks.state_values import target_entry

__all__ = ["StateLoading"]


def _reactivated(raw: Any) -> dict[str, dict[str, str]]:
    """The ``reactivated`` entry, keeping only well-formed intents (``{"token": ...}``)."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(key): {str(k): str(v) for k, v in value.items()}
            for key, value in raw.items()
            if isinstance(value, Mapping) and value.get("token") not in (None, "")}


class StateLoading(StateFields):
    """Reads the entry of a STATE message into the fields (base of ``SyncState``)."""

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
        older = StateLoading(self.realm_id, logger=self.logger)
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
