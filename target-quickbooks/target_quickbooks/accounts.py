"""Start-up checks of configured references: accounts, tax codes, shipping/adjustment items.

Each is given as an Id or an exact Name and resolved with one query, lazily: only
the references the records of this run need are looked up (a run with only
service items never asks for the inventory asset account). A wrong or missing
reference stops the run with a message naming the setting and the fix, because
every record that needs it would fail the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from target_quickbooks.company_defaults import (
    PREFERENCE_PATH,
    REFUND_ACCOUNT_TYPES,
    creates_missing_items,
    default_discount_account,
    default_refund_account,
    item_name,
    service_item_payload,
)
from target_quickbooks.company_time import CompanyZone, UnknownTimeZone, company_zone
from target_quickbooks.mappers.money import rate_key
from target_quickbooks.mappers.vat import SalesRate
from target_quickbooks.qbo.errors import QuickBooksError
from target_quickbooks.qbo.idempotency import request_id
from target_quickbooks.settings import tax_code_table

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


@dataclass(frozen=True)
class AccountRule:
    """Which setting holds an account role, and which account type it must have."""

    setting: str
    types: tuple[str, ...]
    sub_type: str | None
    needed_for: str


ACCOUNT_RULES: dict[str, AccountRule] = {
    "income": AccountRule("income_account", ("Income",), None, "inventory and non-inventory items"),
    "service_income": AccountRule("service_income_account", ("Income",), None, "service items"),
    "expense": AccountRule("expense_account", ("Cost of Goods Sold",), None,
                           "inventory and non-inventory items"),
    "asset": AccountRule("asset_account", ("Other Current Asset",), "Inventory",
                         "inventory items"),
    "discount": AccountRule("discount_account", ("Income", "Expense", "Other Income",
                                                 "Other Expense"), None, "discount lines"),
    "refund": AccountRule("refund_account", REFUND_ACCOUNT_TYPES, None,
                          "refund receipts (credit memos of paid invoices)"),
}


def _ref(entity: Mapping[str, Any]) -> dict[str, str]:
    return {"value": str(entity["Id"]), "name": str(entity.get("Name", ""))}


def _describe(entity: Mapping[str, Any]) -> str:
    kind = entity.get("AccountType")
    sub = entity.get("AccountSubType")
    kind_text = f", {kind}/{sub}" if sub else (f", {kind}" if kind else "")
    return f"Id {entity.get('Id')} '{entity.get('Name')}'{kind_text}"


class References:
    """Resolves and caches the configured QuickBooks references of a run."""

    def __init__(
        self,
        client: QueryClient,
        config: Mapping[str, Any],
        *,
        logger: logging.Logger | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.logger = logger or logging.getLogger(__name__)
        self._cache: dict[tuple[str, str], dict[str, str]] = {}
        self._tables: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.RLock()
        self._zone: CompanyZone | None = None
        self._sales_rates: dict[str, SalesRate] | None = None
        self._preferences: dict[str, Any] | None = None

    # Generic lookup

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

    # Accounts

    def account(self, role: str) -> dict[str, str]:
        """The reference of an account role, checked against its expected type.

        ``service_income`` falls back to ``income_account`` when it is not set.

        Raises:
            ConfigurationError: missing setting, unknown account, or wrong type.
        """
        rule = ACCOUNT_RULES[role]
        setting = rule.setting
        value = self.config.get(setting)
        if role == "service_income" and not value:
            setting, value = "income_account", self.config.get("income_account")
        return self._account(role, f"Setting `{setting}`", value)

    def _account(self, role: str, source: str, value: Any) -> dict[str, str]:
        """Resolve ``value`` (from ``source``, named in messages) as an account of ``role``."""
        rule = ACCOUNT_RULES[role]
        key = ("Account", f"{role}:{value}")
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            expected = " or ".join(rule.types) + (f" with sub-type {rule.sub_type}"
                                                  if rule.sub_type else "")
            if not value:
                raise ConfigurationError(
                    f"Setting `{rule.setting}` is required for {rule.needed_for} "
                    f"(an account of type {expected}). {self._candidates(rule)}"
                )
            found = self._find("Account", str(value))
            if found is None:
                raise ConfigurationError(
                    f"{source} = {value!r}: no QuickBooks account has this Id or "
                    f"Name. Expected an account of type {expected}. {self._candidates(rule)}"
                )
            wrong_type = found.get("AccountType") not in rule.types
            wrong_sub = rule.sub_type and found.get("AccountSubType") != rule.sub_type
            if wrong_type or wrong_sub:
                raise ConfigurationError(
                    f"{source} = {value!r} is account {_describe(found)}, but "
                    f"{rule.needed_for} need an account of type {expected}. "
                    f"{self._candidates(rule)}"
                )
            self._cache[key] = _ref(found)
            return self._cache[key]

    def account_key(self, role: str) -> str:
        """``role:setting value``: names one check of :meth:`account` (for the state's cache).

        A changed setting gives a new key, so a reference remembered from an earlier
        run is used only while the setting that produced it stays the same.
        """
        value = self.config.get(ACCOUNT_RULES[role].setting)
        if role == "service_income" and not value:
            value = self.config.get("income_account")
        return f"{role}:{value or ''}"

    def accounts(self, roles: Iterable[str]) -> dict[str, dict[str, str]]:
        """References of several account roles (each checked once per run)."""
        return {role: self.account(role) for role in sorted(set(roles))}

    def _candidates(self, rule: AccountRule) -> str:
        rows = [row for row in self._all("Account") if row.get("AccountType") in rule.types]
        if rule.sub_type:
            rows = [row for row in rows if row.get("AccountSubType") == rule.sub_type]
        if not rows:
            return "QuickBooks has no account of that type: create one first."
        names = "; ".join(_describe(row) for row in rows[:20])
        return f"Candidates: {names}."

    # Tax codes and items

    def _named(self, entity: str, setting: str, value: str) -> dict[str, str]:
        key = (entity, str(value))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            found = self._find(entity, str(value))
            if found is None:
                raise ConfigurationError(
                    f"Setting `{setting}` = {value!r}: no QuickBooks {entity} has this Id or "
                    f"Name. Create it in QuickBooks or change the setting."
                )
            self._cache[key] = _ref(found)
            return self._cache[key]

    def default_tax_code(self) -> dict[str, str] | None:
        """The ``tax_code`` reference, or None when the setting is empty."""
        value = self.config.get("tax_code")
        return self._named("TaxCode", "tax_code", value) if value else None

    def tax_code_for_rates(self, rates: Iterable[str]) -> dict[str, dict[str, str]]:
        """``tax_code_map`` references of the given rate keys (``"20"``, ``"5.5"``)."""
        table = tax_code_table(self.config)
        return {
            rate: self._named("TaxCode", f"tax_code_map[{rate!r}]", table[rate])
            for rate in set(rates) if rate in table
        }

    def sales_rates(self) -> dict[str, SalesRate]:
        """TaxCode Id → its one sales rate, for each configured code; read once per run.

        The configured codes are ``tax_code`` and the ``tax_code_map`` entries.

        Codes without a sales rate list (US companies) are left out, and so are codes
        with several rates (their VAT cannot be stated per rate; a document that uses
        one is refused by the mapper). Empty when no code has rates: then documents
        carry ``TotalTax`` only.

        Raises:
            ConfigurationError: a ``tax_code_map`` entry's code has a sales rate of
                another percent (``"5.5"`` mapped to a 20 % code would book 5.5 % VAT
                amounts as 20 % VAT).
        """
        if self._sales_rates is not None:
            return self._sales_rates
        codes = self.tax_code_for_rates(tax_code_table(self.config))
        default = self.default_tax_code()
        wanted = [ref for ref in [*codes.values(), default] if ref]
        found: dict[str, SalesRate] = {}
        for ref in wanted:
            code = self._find("TaxCode", ref["value"]) or {}
            details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
            if len(details) != 1:
                continue
            rate_id = str((details[0].get("TaxRateRef") or {}).get("value") or "")
            rate = self._find("TaxRate", rate_id) if rate_id.isdigit() else None
            if rate is None or rate.get("RateValue") in (None, ""):
                continue
            found[ref["value"]] = SalesRate(_ref(rate), Decimal(str(rate["RateValue"])))
        for key, ref in codes.items():
            sales_rate = found.get(ref["value"])
            if sales_rate is not None and rate_key(sales_rate.percent) != key:
                raise ConfigurationError(
                    f"Setting `tax_code_map[{key!r}]` = TaxCode Id {ref['value']} "
                    f"'{ref.get('name', '')}', whose sales rate is {rate_key(sales_rate.percent)} "
                    f"%, not {key} %. Map {key} to the tax code of that rate."
                )
        self._sales_rates = found
        return found

    def timezone(self) -> CompanyZone:
        """The company's time zone: the ``timezone`` setting, else derived from CompanyInfo.

        Deriving costs one query, once per run, only when the setting is empty.

        Raises:
            ConfigurationError: ``timezone`` is not an IANA zone name.
        """
        with self._lock:
            if self._zone is None:
                setting = self.config.get("timezone")
                try:
                    if setting:
                        self._zone = company_zone(setting, None)
                    else:
                        rows = self.client.query("SELECT * FROM CompanyInfo")
                        self._zone = company_zone(None, rows[0] if rows else None)
                except UnknownTimeZone as exc:
                    raise ConfigurationError(str(exc)) from None
            return self._zone

    def find_item(self, setting: str) -> dict[str, str] | None:
        """The item of ``shipping_item``/``adjustment_item`` if QuickBooks has it."""
        value = item_name(self.config, setting)
        with self._lock:
            if ("Item", value) in self._cache:
                return self._cache[("Item", value)]
            found = self._find("Item", value)
            if found is not None:
                self._cache[("Item", value)] = _ref(found)
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
            return _ref(self.client.create("Item", service_item_payload(name, income),
                                           request_id=rid))
        except QuickBooksError:
            found = self._find("Item", name)  # another feed created it at the same moment
            if found is None:
                raise
            return _ref(found)

    def preferences(self) -> dict[str, Any]:
        """The company's Preferences, read once per run."""
        with self._lock:
            if self._preferences is None:
                self._preferences = dict(self.client.preferences() or {})
            return self._preferences

    def refund_account(self) -> dict[str, str]:
        """The account refunds are paid from: ``refund_account``, else the company's default.

        Raises:
            ConfigurationError: the setting names no usable account, or it is empty and
                the company has neither Undeposited Funds nor a Bank account.
        """
        if self.config.get("refund_account"):
            return self.account("refund")
        with self._lock:
            default = default_refund_account(self._all("Account"))
        if default is None:
            raise ConfigurationError(
                "Setting `refund_account` is required for refund receipts (credit memos of "
                "paid invoices): it is empty and the company has no Undeposited Funds or Bank "
                f"account. {self._candidates(ACCOUNT_RULES['refund'])}")
        return self._account("refund", "The company's default refund account (Undeposited "
                             "Funds, else the first Bank account; setting `refund_account` "
                             "empty)", default)

    def discount_account(self) -> dict[str, str]:
        """The ``discount_account`` reference, else the company's default discount account.

        Raises:
            ConfigurationError: the setting is empty and the company names no default
                (or the account named is unusable).
        """
        if self.config.get("discount_account"):
            return self.account("discount")
        default = default_discount_account(self.preferences())
        if default is None:
            rule = ACCOUNT_RULES["discount"]
            raise ConfigurationError(
                f"Setting `discount_account` is required for discount lines: it is empty and "
                f"the company has no default discount account ({PREFERENCE_PATH}). "
                f"{self._candidates(rule)}")
        return self._account("discount", f"The company's default discount account "
                             f"({PREFERENCE_PATH}, setting `discount_account` empty)", default)
