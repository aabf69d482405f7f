"""The ``shipping_item`` and ``adjustment_item`` settings: found, or created when missing.

Why a module of its own: it is the one reference the target may create in
QuickBooks (a Service item), so the rules for when it may (not an Id, not with
``create_missing_items`` off, never in a dry run) and the idempotent creation
are read together.
"""

from __future__ import annotations

from collections.abc import Mapping

from target_quickbooks.account_rules import AccountReferences
from target_quickbooks.company_defaults import (
    creates_missing_items,
    item_name,
    service_item_payload,
)
from target_quickbooks.qbo.errors import QuickBooksError
from target_quickbooks.qbo.idempotency import request_id
from target_quickbooks.reference_lookup import ConfigurationError, entity_ref

__all__ = ["SettingItems"]


class SettingItems(AccountReferences):
    """Resolves (and creates when allowed) the items named by settings."""

    def find_item(self, setting: str) -> dict[str, str] | None:
        """The item of ``shipping_item``/``adjustment_item`` if QuickBooks has it."""
        value = item_name(self.config, setting)
        with self._lock:
            if ("Item", value) in self._cache:
                return self._cache[("Item", value)]
            found = self._find("Item", value)
            if found is not None:
                self._cache[("Item", value)] = entity_ref(found)
            return self._cache.get(("Item", value))

    def item(self, setting: str) -> dict[str, str]:
        """The reference of the ``shipping_item`` or ``adjustment_item`` setting.

        A missing item is created (a Service item of that name on the service income
        account) unless ``create_missing_items`` is off; a dry run only says it would.

        Raises:
            ConfigurationError: the item is missing and may not be created (or its
                name is an Id, which cannot name a new item), or the service income
                account is not usable.
        """
        value = item_name(self.config, setting)
        with self._lock:
            found = self.find_item(setting)
            if found is not None:
                return found
            self.item_creation_problem(setting)
            income = self.account("service_income")
            if self.config.get("dry_run"):
                self.logger.info("Dry run: would create the Service item %r (setting `%s`) on "
                                 "income account %s.", value, setting, income["name"])
                return {"value": "", "name": value}
            created = self._create_item(value, income)
            self.logger.warning("Created the Service item %r (Id %s, income account %s) for "
                                "setting `%s`: QuickBooks had none.", value, created["value"],
                                income["name"], setting)
            self._cache[("Item", value)] = created
            return created

    def item_creation_problem(self, setting: str) -> None:
        """Raise why the missing item of ``setting`` cannot be created (nothing if it can)."""
        value = item_name(self.config, setting)
        if value.isdigit():
            raise ConfigurationError(
                f"Setting `{setting}` = {value!r}: no QuickBooks Item has this Id. Set it to "
                "the Id or exact name of a Service item, or to a new name the target creates.")
        if not creates_missing_items(self.config):
            raise ConfigurationError(
                f"Setting `{setting}` = {value!r}: no QuickBooks Item has this Id or Name, and "
                "`create_missing_items` is false. Create a Service item of that name in "
                "QuickBooks, change the setting, or set `create_missing_items` to true.")

    def _create_item(self, name: str, income: Mapping[str, str]) -> dict[str, str]:
        rid = request_id(str(self.config.get("realm_id") or ""), "Item", f"setting-item:{name}")
        try:
            return entity_ref(self.client.create("Item", service_item_payload(name, income),
                                           request_id=rid))
        except QuickBooksError:
            found = self._find("Item", name)  # another feed created it at the same moment
            if found is None:
                raise
            return entity_ref(found)
