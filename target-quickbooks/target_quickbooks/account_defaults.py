"""Refund and discount accounts: the setting, else the company's own default.

Why a module of its own: an empty ``refund_account`` or ``discount_account`` is
not an error when the company has a default (Undeposited Funds or a Bank
account; the Preferences' discount account), and the message says which
default was used or why none fits.
"""

from __future__ import annotations

from typing import Any

from target_quickbooks.account_rules import ACCOUNT_RULES, AccountReferences
from target_quickbooks.company_defaults import (
    PREFERENCE_PATH,
    default_discount_account,
    default_refund_account,
)
from target_quickbooks.reference_lookup import ConfigurationError

__all__ = ["DefaultAccounts"]


class DefaultAccounts(AccountReferences):
    """Resolves the refund and discount accounts, falling back to the company's defaults."""

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
