"""Finds the QuickBooks entity of a source record: the ID map first, then natural keys.

Natural keys (Item ``Sku``, Customer ``DisplayName``, document ``DocNumber``) are
looked up in batched ``IN (...)`` queries, so a first run, a run after another
tap, or a wiped state finds existing entities instead of creating duplicates.
Every entity found is written to the ID map with an empty content hash, so the
next product or customer record refreshes it once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from target_quickbooks.state import MapEntry, SyncState

#: QuickBooks queries hide inactive objects unless asked; inactive ones still own
#: their Sku, Name and DisplayName.
ANY_ACTIVE = "Active IN (true, false)"

ENTITY_OF_MAP = {"items": "Item", "customers": "Customer", "invoices": "Invoice",
                 "credit_memos": "CreditMemo"}


class LookupClient(Protocol):
    """The part of ``QuickBooksClient`` the resolver uses."""

    def query_in(self, entity: str, field: str, values: Iterable[str], *,
                 extra_where: str = "", chunk: int = 200) -> list[dict]:
        """Objects whose field is one of values."""
        ...

    def read(self, entity: str, entity_id: str) -> dict:
        """One object by Id."""
        ...


def entry_of(entity: Mapping[str, Any], content_hash: str = "") -> MapEntry:
    """A map entry for an object QuickBooks returned."""
    return MapEntry(id=str(entity["Id"]), sync_token=str(entity.get("SyncToken", "")),
                    content_hash=content_hash)


class Resolver:
    """ID map plus batched natural-key lookups, writing what it finds into the map."""

    def __init__(self, client: LookupClient, state: SyncState, *,
                 logger: logging.Logger | None = None) -> None:
        self.client = client
        self.state = state
        self.logger = logger or logging.getLogger(__name__)

    def lookup(self, kind: str, field: str, wanted: Mapping[str, str]) -> dict[str, dict]:
        """QuickBooks objects of the unmapped keys of ``wanted`` (source key → natural key).

        Batched ``IN (...)`` queries; nothing is written to the map (see :meth:`adopt`).
        """
        missing = {key: value for key, value in wanted.items()
                   if self.state.get(kind, key) is None}
        if not missing:
            return {}
        extra = ANY_ACTIVE if kind in ("items", "customers") else ""
        rows = self.client.query_in(ENTITY_OF_MAP[kind], field, sorted(set(missing.values())),
                                    extra_where=extra)
        by_value: dict[str, dict] = {}
        for row in rows:
            by_value.setdefault(str(row.get(field, "")), row)
        found = {key: by_value[value] for key, value in missing.items() if value in by_value}
        if found:
            self.logger.info("Found %d existing QuickBooks %s by %s (not in the ID map).",
                             len(found), ENTITY_OF_MAP[kind], field)
        return found

    def adopt(self, kind: str, key: str, row: Mapping[str, Any]) -> None:
        """Map a source key to an object found in QuickBooks (empty content hash)."""
        self.state.put(kind, key, entry_of(row))

    def _lookup(self, kind: str, field: str, wanted: Mapping[str, str]) -> set[str]:
        """Find ``wanted`` (source key → natural key) not yet mapped, map and return them."""
        found = self.lookup(kind, field, wanted)
        for key, row in found.items():
            self.adopt(kind, key, row)
        return set(found)

    def find_items(self, skus: Iterable[str]) -> set[str]:
        """Look up unmapped SKUs by ``Sku``; map and return those QuickBooks has."""
        return self._lookup("items", "Sku", {sku: sku for sku in skus})

    def find_customers(self, names_by_key: Mapping[str, str]) -> set[str]:
        """Look up unmapped customer keys by their DisplayName."""
        return self._lookup("customers", "DisplayName", names_by_key)

    def find_documents(self, stream: str, numbers_by_id: Mapping[str, str]) -> set[str]:
        """Look up unmapped documents by ``DocNumber``."""
        return self._lookup(stream, "DocNumber", numbers_by_id)

    def by_field(self, kind: str, field: str, value: str) -> dict[str, Any] | None:
        """The object of ``kind`` whose ``field`` equals ``value`` (active or not)."""
        extra = ANY_ACTIVE if kind in ("items", "customers") else ""
        rows = self.client.query_in(ENTITY_OF_MAP[kind], field, [value], extra_where=extra)
        return next((row for row in rows if str(row.get(field)) == value), None)

    def read(self, kind: str, entity_id: str) -> dict[str, Any]:
        """Read an object by Id (for a fresh SyncToken after a stale-object error)."""
        return self.client.read(ENTITY_OF_MAP[kind], entity_id)

    def ref(self, kind: str, key: str) -> dict[str, str] | None:
        """The QuickBooks reference of a mapped source key, or None."""
        entry = self.state.get(kind, key)
        return entry.ref if entry else None
