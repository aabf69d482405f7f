"""Start-up checks of configured references: accounts, tax codes, shipping/adjustment items.

Each is given as an Id or an exact Name and resolved with one query, lazily: only
the references the records of this run need are looked up (a run with only
service items never asks for the inventory asset account). A wrong or missing
reference stops the run with a message naming the setting and the fix, because
every record that needs it would fail the same way.

The parts: :mod:`.reference_lookup` (finding an object by Id or Name, the
cache), :mod:`.account_rules` (account roles and their types),
:mod:`.tax_references` (tax codes, sales rates, time zone),
:mod:`.setting_items` (the shipping/adjustment items, created when missing),
:mod:`.account_defaults` (refund and discount accounts' company defaults).
This module joins them into :class:`References` and keeps every old name
importable.
"""

from __future__ import annotations

from target_quickbooks.account_defaults import DefaultAccounts
from target_quickbooks.account_rules import ACCOUNT_RULES, AccountRule
from target_quickbooks.reference_lookup import SMALL_LISTS, ConfigurationError, QueryClient
from target_quickbooks.setting_items import SettingItems
from target_quickbooks.tax_references import TaxReferences

__all__ = [
    "ACCOUNT_RULES",
    "SMALL_LISTS",
    "AccountRule",
    "ConfigurationError",
    "QueryClient",
    "References",
]


class References(SettingItems, DefaultAccounts, TaxReferences):
    """Resolves and caches the configured QuickBooks references of a run."""
