"""``check``: is this QuickBooks company ready for the feeds?

Connects with the stored (rotating) token, shows the company, and validates
every configured reference with the same resolver and messages the target
uses at start-up, so a wrong-typed account is found before the first run
rather than in the middle of one. Also: setting names nobody declared (typos),
the discount account (the company's default when unset), the refund account, the shipping and
adjustment items (created by the first run when missing), a tax code for every
VAT rate the feeds have met (from Meltano state), and the days left before the
authorization ends. A check that passes means the first run will not stop on
configuration.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from target_quickbooks.accounts import ACCOUNT_RULES, ConfigurationError, References
from target_quickbooks.admin import check_payments, check_rules, setting_names
from target_quickbooks.client_setup import build_client
from target_quickbooks.company_time import UnknownTimeZone, company_zone
from target_quickbooks.qbo import QuickBooksError
from target_quickbooks.settings import tax_code_table

#: Account roles a full product feed needs; each is checked even when unset.
REQUIRED_ROLES = ("income", "service_income", "expense", "asset")


def check(config: Mapping[str, Any], *, echo: Callable[[str], None] = print,
          states: Mapping[str, Any] | None = None, meltano_yml: Path | None = None,
          config_keys: list[str] | None = None, now: dt.datetime | None = None) -> int:
    """Run every check, print one line per check; return the number of problems.

    Args:
        config: the target's settings.
        echo: where lines go.
        states: the feeds' Meltano states (by state id), for the VAT rates documents
            carried; None when they could not be read (then said so, not failed).
        meltano_yml: the project file whose target config keys are checked.
        config_keys: the keys of the ``--config`` files, checked against the settings.
        now: the current time (tests).
    """
    names = setting_names.unknown(config_keys or [], "config file")
    if meltano_yml is not None and meltano_yml.exists():
        names += setting_names.meltano_yml_problems(meltano_yml)
    for line in names:
        echo(f"FAIL  setting names: {line}")
    client = build_client(config, logging.getLogger("target_quickbooks.check"))
    try:
        company = client.company_info()
        prefs = client.preferences()
    except QuickBooksError as exc:
        echo(f"FAIL  connection: {exc}")
        return 1 + len(names)
    address = company.get("CompanyAddr") or {}
    echo(f"OK    company: {company.get('CompanyName')} (realm {config['realm_id']}, "
         f"country {company.get('Country') or address.get('Country') or '?'})")
    currency = (prefs.get("CurrencyPrefs") or {}).get("HomeCurrency", {}).get("value")
    inventory = (prefs.get("ProductAndServicesPrefs") or {}).get("QuantityOnHand")
    custom_numbers = (prefs.get("SalesFormsPrefs") or {}).get("CustomTxnNumbers")
    echo(f"OK    preferences: home currency {currency}, inventory tracking "
         f"{'on' if inventory else 'off'}, custom transaction numbers "
         f"{'on' if custom_numbers else 'off (QuickBooks numbers documents)'}")

    references = References(client, config)
    problems = len(names) + _timezone(echo, config, company)
    for role in REQUIRED_ROLES:
        setting = ACCOUNT_RULES[role].setting
        problems += _one(echo, setting, functools.partial(references.account, role))
    if config.get("tax_code"):
        problems += _one(echo, "tax_code", references.default_tax_code)
    rates = list(tax_code_table(config))
    if rates:
        problems += _one(echo, "tax_code_map", lambda: references.tax_code_for_rates(rates))
        problems += _one(echo, "tax_code_map VAT rates", lambda: {
            f"TaxCode {code}": f"TaxRate Id {rate.rate['value']} ({rate.percent} %)"
            for code, rate in references.sales_rates().items()})
    seen = (check_rules.rates_seen(states, str(config["realm_id"]))
            if states is not None else None)
    lines = [*check_rules.discount(references, config, prefs),
             *check_rules.refund(references, config),
             *check_rules.item(references, "shipping_item"),
             *check_rules.item(references, "adjustment_item"),
             *check_payments.deposit_account(references),
             *check_payments.payment_methods(references),
             *check_rules.vat_rates(references, config, seen),
             *check_rules.token_life(config, now or dt.datetime.now(dt.timezone.utc))]
    fails, warns = check_rules.echo_lines(echo, lines)
    problems += fails
    warned = f" ({warns} warning(s): see WARN above)" if warns else ""
    echo(f"All checks passed.{warned}" if not problems else f"{problems} problem(s) found.")
    return problems


def _timezone(echo: Callable[[str], None], config: Mapping[str, Any],
              company: Mapping[str, Any]) -> int:
    """Show the zone documents are dated in (``TxnDate``), and where it comes from."""
    try:
        zone = company_zone(config.get("timezone"), company)
    except UnknownTimeZone as exc:
        echo(f"FAIL  timezone: {exc}")
        return 1
    echo(f"OK    timezone: {zone.name} (from {zone.source}); documents are dated by this "
         "calendar")
    return 0


def _one(echo: Callable[[str], None], setting: str, resolve: Callable[[], Any]) -> int:
    try:
        found = resolve()
    except (ConfigurationError, QuickBooksError) as exc:
        echo(f"FAIL  {setting}: {exc}")
        return 1
    echo(f"OK    {setting}: {_describe(found)}")
    return 0


def _describe(found: Any) -> str:
    if isinstance(found, Mapping) and "value" in found:
        return f"Id {found['value']} {found.get('name') or ''}".rstrip()
    if isinstance(found, Mapping):
        return ", ".join(f"{key} → {_describe(value)}" for key, value in found.items())
    return str(found)
