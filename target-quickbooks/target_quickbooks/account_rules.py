"""Account roles: which setting names each, and which account type it must have.

Why a module of its own: a wrong account type books money in the wrong place
unseen, so the rules and the checks that name the setting and the candidates
are read together; ``admin check`` reports against the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from target_quickbooks.company_defaults import REFUND_ACCOUNT_TYPES
from target_quickbooks.reference_lookup import (
    ConfigurationError,
    ReferenceLookup,
    describe_entity,
    entity_ref,
)

__all__ = ["ACCOUNT_RULES", "AccountReferences", "AccountRule"]


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


class AccountReferences(ReferenceLookup):
    """Resolves account roles (``income``, ``asset``, ``refund``...) and checks their type."""

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
                    f"{source} = {value!r} is account {describe_entity(found)}, but "
                    f"{rule.needed_for} need an account of type {expected}. "
                    f"{self._candidates(rule)}"
                )
            self._cache[key] = entity_ref(found)
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
        names = "; ".join(describe_entity(row) for row in rows[:20])
        return f"Candidates: {names}."
