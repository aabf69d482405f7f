"""Finds the QuickBooks entity of a source record: the ID map first, then natural keys.

Natural keys (Item ``Sku``, Customer ``DisplayName``, document ``DocNumber``) are
looked up in batched ``IN (...)`` queries, so a first run, a run after another
tap, or a wiped state finds existing entities instead of creating duplicates.
Every entity found is written to the ID map with an empty content hash; the
writer then compares the record with the object found (:func:`changed_fields`)
and sends only what differs.

A customer whose name changed at the source has a new DisplayName, but its
discriminator (``(#42)`` or ``(email)``, the end of every DisplayName) never
changes: :meth:`Resolver.find_customers_by_discriminator` finds it by that suffix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from target_quickbooks.drift import document_fingerprint, is_document
from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.names import NAME_MAX, clean_name
from target_quickbooks.qbo import BatchOperation, BatchResult
from target_quickbooks.qbo import query as q
from target_quickbooks.state import ENTITY_OF_KIND, MapEntry, SyncState

#: QuickBooks queries hide inactive objects unless asked; inactive ones still own
#: their Sku, Name and DisplayName.
ANY_ACTIVE = "Active IN (true, false)"


class LookupClient(Protocol):
    """The part of ``QuickBooksClient`` the resolver uses."""

    def query_in(self, entity: str, field: str, values: Iterable[str], *,
                 extra_where: str = "", chunk: int = 500) -> list[dict]:
        """Objects whose field is one of values."""
        ...

    def read(self, entity: str, entity_id: str) -> dict:
        """One object by Id."""
        ...

    def batch(self, operations: Sequence[BatchOperation]) -> list[BatchResult]:
        """Operations through ``/batch`` (queries run 30 per request, in parallel)."""
        ...

    @staticmethod
    def escape(value: str) -> str:
        """Escape a query literal."""
        ...


def entry_of(entity: Mapping[str, Any], content_hash: str = "", name: str = "") -> MapEntry:
    """A map entry for an object QuickBooks returned (``name``: its entity, when not the map's).

    A document (Invoice, CreditMemo, RefundReceipt) gets the fingerprint of what
    QuickBooks answered as its content hash: the baseline a later edit in QuickBooks is
    compared with (:mod:`target_quickbooks.drift`).
    """
    if not content_hash and is_document(entity):
        content_hash = document_fingerprint(entity)
    return MapEntry(id=str(entity["Id"]), sync_token=str(entity.get("SyncToken", "")),
                    content_hash=content_hash, entity=name)


# Comparing a payload with the object QuickBooks holds

def _normal(value: Any) -> Any:
    """A value in comparable form: refs by ``value``, numbers as Decimal, nested Ids dropped."""
    if isinstance(value, Mapping):
        if "value" in value:
            return ("ref", str(value.get("value")))
        return {str(key): _normal(item) for key, item in value.items() if key != "Id"}
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, (list, tuple)):
        return [_normal(item) for item in value]
    return value


def _same(wanted: Any, current: Any) -> bool:
    left, right = _normal(wanted), _normal(current)
    if isinstance(left, Decimal) and isinstance(right, str):
        try:
            right = Decimal(right)
        except InvalidOperation:
            return False
    if left in (None, "") and right in (None, ""):
        return True
    return bool(left == right)


#: Fields QuickBooks leaves out of an answer when they hold their default.
_DEFAULTS = {"Active": True}


def changed_fields(wanted: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``wanted`` whose value differs from QuickBooks' object ``current``.

    References compare by their ``value`` (QuickBooks may add or rename the ``name``),
    numbers as Decimals (``10`` equals ``10.00``), strings exactly, booleans as such;
    nested objects (addresses, emails) field by field without QuickBooks' own ``Id``.
    Fields ``current`` has but ``wanted`` does not are left alone (sparse updates).
    """
    return {key: value for key, value in wanted.items()
            if not _same(value, current.get(key, _DEFAULTS.get(key)))}


def display_name_tail(discriminator: str) -> str:
    """The end of every DisplayName of a customer: ``(<discriminator>)``, as the mapper cleans it.

    Raises:
        MappingError: for a discriminator QuickBooks cannot hold.
    """
    return clean_name(f"({discriminator})", field="customer_key")


def has_tail(display_name: object, tail: str) -> bool:
    """Whether a DisplayName is a customer's with this discriminator ``tail`` (exactly)."""
    name = str(display_name or "")
    if len(tail) + 1 >= NAME_MAX:  # the mapper keeps only the cut discriminator
        return name == tail[:NAME_MAX]
    return name.endswith(" " + tail)


class Resolver:
    """ID map plus batched natural-key lookups, writing what it finds into the map."""

    def __init__(self, client: LookupClient, state: SyncState, *,
                 logger: logging.Logger | None = None) -> None:
        self.client = client
        self.state = state
        self.logger = logger or logging.getLogger(__name__)

    def lookup(self, kind: str, field: str, wanted: Mapping[str, str],
               entity: str = "") -> dict[str, dict]:
        """QuickBooks objects of the unmapped keys of ``wanted`` (source key → natural key).

        Batched ``IN (...)`` queries of ``entity`` (default: the map's own); nothing is
        written to the map (see :meth:`adopt`).
        """
        missing = {key: value for key, value in wanted.items()
                   if self.state.get(kind, key) is None}
        if not missing:
            return {}
        extra = ANY_ACTIVE if kind in ("items", "customers") else ""
        entity = entity or ENTITY_OF_KIND[kind]
        rows = self.client.query_in(entity, field, sorted(set(missing.values())),
                                    extra_where=extra)
        by_value: dict[str, dict] = {}
        for row in rows:
            by_value.setdefault(str(row.get(field, "")), row)
        found = {key: by_value[value] for key, value in missing.items() if value in by_value}
        if found:
            self.logger.info("Found %d existing QuickBooks %s by %s (not in the ID map).",
                             len(found), entity, field)
        return found

    def adopt(self, kind: str, key: str, row: Mapping[str, Any], entity: str = "") -> None:
        """Map a source key to an object of ``entity`` found in QuickBooks."""
        self.state.put(kind, key, entry_of(row, name=entity))

    def _lookup(self, kind: str, field: str, wanted: Mapping[str, str]) -> dict[str, dict]:
        """Find ``wanted`` (source key → natural key) not yet mapped, map and return them."""
        found = self.lookup(kind, field, wanted)
        for key, row in found.items():
            self.adopt(kind, key, row)
        return found

    def find_items(self, skus: Iterable[str]) -> dict[str, dict]:
        """Look up unmapped SKUs by ``Sku``; map them and return SKU → object found."""
        return self._lookup("items", "Sku", {sku: sku for sku in skus})

    def find_customers(self, names_by_key: Mapping[str, str]) -> dict[str, dict]:
        """Look up unmapped customer keys by their DisplayName; key → object found."""
        return self._lookup("customers", "DisplayName", names_by_key)

    def find_customers_by_discriminator(self, discriminators: Mapping[str, str]
                                        ) -> dict[str, dict]:
        """Look up unmapped customer keys by the end of their DisplayName; key → object.

        The name part of a DisplayName follows the source (a document may carry an
        older name than the latest order), the ``(#42)`` / ``(email)`` tail does not:
        one ``DisplayName LIKE '%(#42)'`` query per customer, sent together through
        the batch endpoint, then the tail is checked exactly (LIKE ignores case and
        a ``%`` in an email would match anything).
        """
        tails: dict[str, str] = {}
        for key, discriminator in discriminators.items():
            if self.state.get("customers", key) is not None:
                continue
            try:
                tails[key] = display_name_tail(discriminator)
            except MappingError:
                continue
        unique = sorted(set(tails.values()))
        if not unique:
            return {}
        operations = [BatchOperation(entity="Customer", operation="query",
                                     query=q.paged(self._tail_query(tail), 1))
                      for tail in unique]
        by_tail: dict[str, dict] = {}
        for tail, result in zip(unique, self.client.batch(operations), strict=True):
            if result.fault is not None:
                raise result.fault
            rows = [row for row in q.rows(result.query_response)
                    if has_tail(row.get("DisplayName"), tail)]
            if len(rows) > 1:
                self.logger.warning(
                    "%d QuickBooks customers end with %r: using the active one with the "
                    "lowest Id.", len(rows), tail)
            if rows:
                by_tail[tail] = min(rows, key=lambda row: (
                    row.get("Active") is False, len(str(row.get("Id"))), str(row.get("Id"))))
        found = {key: by_tail[tail] for key, tail in tails.items() if tail in by_tail}
        for key, row in found.items():
            self.adopt("customers", key, row)
        if found:
            self.logger.info("Found %d existing QuickBooks customers by the discriminator at "
                             "the end of their DisplayName.", len(found))
        return found

    def _tail_query(self, tail: str) -> str:
        if len(tail) + 1 >= NAME_MAX:
            condition = f"DisplayName = '{self.client.escape(tail[:NAME_MAX])}'"
        else:
            condition = f"DisplayName LIKE '%{self.client.escape(tail)}'"
        return f"SELECT * FROM Customer WHERE {condition} AND {ANY_ACTIVE}"  # noqa: S608

    def find_documents(self, stream: str, numbers_by_id: Mapping[str, str]) -> dict[str, dict]:
        """Look up unmapped documents by ``DocNumber``."""
        return self._lookup(stream, "DocNumber", numbers_by_id)

    def by_field(self, kind: str, field: str, value: str) -> dict[str, Any] | None:
        """The object of ``kind`` whose ``field`` equals ``value`` (active or not)."""
        extra = ANY_ACTIVE if kind in ("items", "customers") else ""
        rows = self.client.query_in(ENTITY_OF_KIND[kind], field, [value], extra_where=extra)
        return next((row for row in rows if str(row.get(field)) == value), None)

    def read(self, kind: str, entity_id: str) -> dict[str, Any]:
        """Read an object by Id (for a fresh SyncToken after a stale-object error)."""
        return self.client.read(ENTITY_OF_KIND[kind], entity_id)

    def ref(self, kind: str, key: str) -> dict[str, str] | None:
        """The QuickBooks reference of a mapped source key, or None."""
        entry = self.state.get(kind, key)
        return entry.ref if entry else None
