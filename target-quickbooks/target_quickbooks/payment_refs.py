"""The deposit account and payment methods of the Payments the target writes.

Settings ``deposit_account``, ``payment_method`` and ``payment_method_map``:

- ``deposit_account``: Id or exact name of a Bank or Other Current Asset account
  (Intuit's Payment reference: ``DepositToAccountRef`` "AccountType is Other Current
  Asset or Bank"). Default: the company's Undeposited Funds account (AccountSubType
  ``UndepositedFunds``), where QuickBooks itself files a payment with no account.
- ``payment_method``: name (or Id) of a QuickBooks PaymentMethod; a missing name is
  created, like the shipping item, unless ``create_missing_items`` is false. Empty:
  payments carry no method.
- ``payment_method_map``: source method code → PaymentMethod name, used when a record
  carries a ``payment_method`` code the map knows.

A wrong setting stops the run with what to change (:class:`ConfigurationError`):
every payment would fail the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from target_quickbooks.accounts import ConfigurationError, References
from target_quickbooks.company_defaults import creates_missing_items
from target_quickbooks.qbo.errors import QuickBooksError
from target_quickbooks.qbo.idempotency import request_id

DEPOSIT_TYPES = ("Bank", "Other Current Asset")
UNDEPOSITED = "UndepositedFunds"


def _ref(row: Mapping[str, Any]) -> dict[str, str]:
    return {"value": str(row["Id"]), "name": str(row.get("Name", ""))}


class PaymentReferences:
    """Resolves (and caches for the run) the references a Payment needs."""

    def __init__(self, references: References, *, logger: logging.Logger | None = None) -> None:
        self.references = references
        self.client = references.client
        self.config = references.config
        self.logger = logger or logging.getLogger(__name__)
        self._deposit: dict[str, str] | None = None
        self._methods: dict[str, dict[str, str]] = {}
        self._lock = threading.RLock()

    def deposit_account(self) -> dict[str, str]:
        """The account payments are deposited to.

        Raises:
            ConfigurationError: the setting names no account, one of another type, or
                it is empty and the company has no Undeposited Funds account.
        """
        with self._lock:
            if self._deposit is None:
                self._deposit = self._find_deposit()
            return self._deposit

    def _find_deposit(self) -> dict[str, str]:
        rows = [row for row in self.references.listed("Account") if row.get("Active", True)]
        value = str(self.config.get("deposit_account") or "").strip()
        if not value:
            found = [row for row in rows if row.get("AccountSubType") == UNDEPOSITED]
            if not found:
                raise ConfigurationError(
                    "Setting `deposit_account` is empty and the company has no active "
                    "Undeposited Funds account (AccountSubType UndepositedFunds): set it to "
                    "the Id or exact name of a Bank or Other Current Asset account.")
            return _ref(found[0])
        matches = ([row for row in rows if value.isdigit() and str(row.get("Id")) == value]
                   or [row for row in rows if row.get("Name") == value])
        if not matches:
            raise ConfigurationError(
                f"Setting `deposit_account` = {value!r}: no active QuickBooks account has this "
                "Id or Name. Set the Id or exact name of a Bank or Other Current Asset account "
                "(or leave it empty for Undeposited Funds).")
        account = matches[0]
        if account.get("AccountType") not in DEPOSIT_TYPES:
            raise ConfigurationError(
                f"Setting `deposit_account` = {value!r}: account Id {account.get('Id')} "
                f"'{account.get('Name')}' is of type {account.get('AccountType')!r}; payments "
                "are deposited to a Bank or Other Current Asset account (e.g. Undeposited "
                "Funds).")
        return _ref(account)

    def find_method(self, name: str) -> dict[str, str] | None:
        """The PaymentMethod of that Id or name, if QuickBooks has it."""
        with self._lock:
            if name in self._methods:
                return self._methods[name]
            rows: list[dict[str, Any]] = []
            if name.isdigit():
                rows = self.client.query(f"SELECT * FROM PaymentMethod WHERE Id = '{name}'")  # noqa: S608
            if not rows:
                rows = self.client.query("SELECT * FROM PaymentMethod WHERE Name = "  # noqa: S608
                                         f"'{self.client.escape(name)}'")
            if rows:
                self._methods[name] = _ref(rows[0])
            return self._methods.get(name)

    def creation_problem(self, name: str) -> None:
        """Raise why the missing method ``name`` cannot be created (nothing when it can)."""
        if name.isdigit():
            raise ConfigurationError(
                f"Payment method {name!r}: no QuickBooks PaymentMethod has this Id. Set "
                "`payment_method` (or the `payment_method_map` entry) to a method's Id or name.")
        if not creates_missing_items(self.config):
            raise ConfigurationError(
                f"Payment method {name!r}: QuickBooks has no PaymentMethod of this name and "
                "`create_missing_items` is false. Create it in QuickBooks, change "
                "`payment_method`/`payment_method_map`, or set `create_missing_items` to true.")

    def method(self, name: str) -> dict[str, str] | None:
        """The PaymentMethod reference for ``name`` ("" → None), created when missing.

        Raises:
            ConfigurationError: missing and may not be created.
        """
        if not name:
            return None
        with self._lock:
            found = self.find_method(name)
            if found is not None:
                return found
            self.creation_problem(name)
            if self.config.get("dry_run"):
                self.logger.info("Dry run: would create the payment method %r.", name)
                return {"value": "", "name": name}
            rid = request_id(str(self.config.get("realm_id") or ""), "PaymentMethod",
                             f"setting-method:{name}")
            try:
                created = _ref(self.client.create("PaymentMethod", {"Name": name},
                                                  request_id=rid))
            except QuickBooksError:
                self._methods.pop(name, None)
                found = self.find_method(name)  # another feed created it at the same moment
                if found is None:
                    raise
                return found
            self.logger.warning("Created the payment method %r (Id %s): QuickBooks had none.",
                                name, created["value"])
            self._methods[name] = created
            return created
