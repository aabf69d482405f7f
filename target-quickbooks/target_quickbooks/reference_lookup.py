"""Finding a configured QuickBooks object by Id or exact Name, once per run.

Why a module of its own: every configured reference (accounts, tax codes, the
shipping and adjustment items) is looked up the same way, against the same
cached lists and under the same lock; the roles built on it
(:mod:`.account_rules`, :mod:`.tax_references`, :mod:`.setting_items`,
:mod:`.account_defaults`) only add their checks and messages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from target_quickbooks.company_time import CompanyZone
from target_quickbooks.mappers.vat import SalesRate

__all__ = [
    "SMALL_LISTS",
    "ConfigurationError",
    "QueryClient",
    "ReferenceLookup",
    "describe_entity",
    "entity_ref",
]

#: Entities read whole, once per run, to resolve settings locally.
SMALL_LISTS = ("Account", "TaxCode", "TaxRate")


class ConfigurationError(Exception):
    """A setting points at nothing, or at the wrong kind of QuickBooks object."""


class QueryClient(Protocol):
    """The part of ``QuickBooksClient`` this module uses."""

    def query(self, statement: str) -> list[dict]:
        """Run a query, every page."""
        ...

    @staticmethod
    def escape(value: str) -> str:
        """Escape a query literal."""
        ...

    def preferences(self) -> dict:
        """The company's Preferences."""
        ...

    def create(self, entity: str, payload: dict, *, request_id: str) -> dict:
        """Create an object (idempotent by ``request_id``)."""
        ...


def entity_ref(entity: Mapping[str, Any]) -> dict[str, str]:
    """The ``{"value": Id, "name": Name}`` reference of a QuickBooks object."""
    return {"value": str(entity["Id"]), "name": str(entity.get("Name", ""))}


def describe_entity(entity: Mapping[str, Any]) -> str:
    """``Id 7 'Sales', Income/SalesOfProductIncome``: an object as messages name it."""
    kind = entity.get("AccountType")
    sub = entity.get("AccountSubType")
    kind_text = f", {kind}/{sub}" if sub else (f", {kind}" if kind else "")
    return f"Id {entity.get('Id')} '{entity.get('Name')}'{kind_text}"


class ReferenceLookup:
    """The cache, lock and lookups every kind of configured reference shares."""

    def __init__(
        self,
        client: QueryClient,
        config: Mapping[str, Any],
        *,
        logger: logging.Logger | None = None,
    ) -> None:
        self.client = client
        self.config = config
        # The logger keeps the name it had before this module was split out of accounts.py.
        self.logger = logger or logging.getLogger("target_quickbooks.accounts")
        self._cache: dict[tuple[str, str], dict[str, str]] = {}
        self._tables: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.RLock()
        self._zone: CompanyZone | None = None
        self._sales_rates: dict[str, SalesRate] | None = None
        self._preferences: dict[str, Any] | None = None

    def _all(self, entity: str) -> list[dict[str, Any]]:
        """Every active object of a small list entity (Account, TaxCode), read once."""
        if entity not in self._tables:
            self._tables[entity] = self.client.query(f"SELECT * FROM {entity}")  # noqa: S608
        return self._tables[entity]

    def listed(self, entity: str) -> list[dict[str, Any]]:
        """Every object of a small list entity (``Account``, ``TaxCode``, ``TaxRate``).

        The same rows the settings are resolved against, read once per run.
        """
        with self._lock:
            return list(self._all(entity))

    def _find(self, entity: str, value: str) -> dict[str, Any] | None:
        """An object of ``entity`` whose Id (digits) or exact Name is ``value``.

        Accounts and tax codes are short lists: one query reads them all, so checking
        several settings costs one request (reads are metered on some plans).
        """
        text = str(value).strip()
        if entity in SMALL_LISTS:
            rows = self._all(entity)
            by_id = [row for row in rows if text.isdigit() and str(row.get("Id")) == text]
            matches = by_id or [row for row in rows if row.get("Name") == text]
            return matches[0] if matches else None
        if text.isdigit():
            rows = self.client.query(f"SELECT * FROM {entity} WHERE Id = '{text}'")  # noqa: S608
            if rows:
                return rows[0]
        rows = self.client.query(
            f"SELECT * FROM {entity} WHERE Name = '{self.client.escape(text)}'"  # noqa: S608
        )
        return rows[0] if rows else None
