"""What a QuickBooks company already provides, so a new user sets up less by hand.

A new QuickBooks company has a default discount account (``Preferences.
SalesFormsPrefs.DefaultDiscountAccount``, an account Id, see Intuit's Preferences
entity) but no "Shipping" or "Adjustment" item. The target uses the company's
discount account when ``discount_account`` is empty, and creates the two Service
items on the service income account the first time a document needs one
(``create_missing_items``, on by default; off, a missing item stops the run as
before). ``check`` reads the same functions, so what it promises is what a run does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Default names of the items behind the ``shipping_item``/``adjustment_item`` settings.
ITEM_DEFAULTS = {"shipping_item": "Shipping", "adjustment_item": "Adjustment"}
#: Where the company's default discount account is, as shown in messages.
PREFERENCE_PATH = "Preferences.SalesFormsPrefs.DefaultDiscountAccount"


def creates_missing_items(config: Mapping[str, Any]) -> bool:
    """Whether the target may create the shipping/adjustment items (default: yes)."""
    value = config.get("create_missing_items")
    return True if value is None else bool(value)


def item_name(config: Mapping[str, Any], setting: str) -> str:
    """The Id or name an item setting holds, its default when unset."""
    return str(config.get(setting) or ITEM_DEFAULTS[setting]).strip()


def discount_allowed(preferences: Mapping[str, Any]) -> bool:
    """Whether the company's sales forms allow discounts (``SalesFormsPrefs.AllowDiscount``)."""
    return bool((preferences.get("SalesFormsPrefs") or {}).get("AllowDiscount"))


def default_discount_account(preferences: Mapping[str, Any]) -> str | None:
    """The company's default discount account Id, when Preferences names one.

    Intuit returns it as the account's Id (``"86"``); anything else (absent, a
    boolean as some SDKs model it) is treated as no default.
    """
    value = (preferences.get("SalesFormsPrefs") or {}).get("DefaultDiscountAccount")
    if isinstance(value, Mapping):  # tolerate a reference-shaped value
        value = value.get("value")
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(
        value, bool) else ""
    return text if text.isdigit() else None


#: Account types a RefundReceipt may be paid from (Intuit's RefundReceipt reference:
#: ``DepositToAccountRef``, "Account.AccountType is Other Current Asset or Bank").
REFUND_ACCOUNT_TYPES = ("Bank", "Other Current Asset")


def default_refund_account(accounts: Sequence[Mapping[str, Any]]) -> str | None:
    """The account refunds are paid from when ``refund_account`` is empty, as an Id.

    The company's Undeposited Funds account (sub-type ``UndepositedFunds``, where
    customer payments wait for their bank deposit, so a refund comes out of what was
    received), else its first Bank account by Id; only active accounts.
    """
    active = [row for row in accounts if row.get("Active", True) is not False]

    def first(rows: list[Mapping[str, Any]]) -> str | None:
        ids = sorted((str(row.get("Id")) for row in rows),
                     key=lambda text: (not text.isdigit(), int(text) if text.isdigit() else 0,
                                       text))
        return ids[0] if ids else None

    return (first([row for row in active if row.get("AccountSubType") == "UndepositedFunds"
                   and row.get("AccountType") in REFUND_ACCOUNT_TYPES])
            or first([row for row in active if row.get("AccountType") == "Bank"]))


def service_item_payload(name: str, income_account: Mapping[str, str]) -> dict[str, Any]:
    """A Service item for shipping or adjustment lines, booked to ``income_account``.

    Not taxable and without price: the document line carries the amount and its tax
    code, as for the items a person would create in QuickBooks.
    """
    return {"Name": name, "Type": "Service", "Taxable": False,
            "IncomeAccountRef": {"value": income_account["value"],
                                 "name": income_account.get("name", "")}}
