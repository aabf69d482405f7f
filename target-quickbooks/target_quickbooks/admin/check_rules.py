"""The checks ``check`` adds to the references: discount, items, VAT rates seen, token life.

Each returns the lines to print as ``(level, subject, text)``; ``FAIL`` lines are
what a run would stop or refuse records on, ``WARN`` lines need action soon,
``INFO`` lines are for the person reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from target_quickbooks.accounts import ConfigurationError, References
from target_quickbooks.company_defaults import (
    PREFERENCE_PATH,
    discount_allowed,
    item_name,
)
from target_quickbooks.mappers.money import rate_key
from target_quickbooks.qbo import QuickBooksError, TokenStore
from target_quickbooks.rates_seen import sorted_rates
from target_quickbooks.settings import DEFAULT_TOKEN_STORE, tax_code_table
from target_quickbooks.state import target_entry

Line = tuple[str, str, str]
#: Warn when the authorization ends in fewer days than this.
HARD_EXPIRY_WARN_DAYS = 14
AUTHORIZE = "meltano invoke target-quickbooks:authorize"


def discount(references: References, config: Mapping[str, Any],
             prefs: Mapping[str, Any]) -> list[Line]:
    """The discount account, when a discount line can happen."""
    allowed = discount_allowed(prefs)
    if not config.get("discount_account") and not allowed:
        return [("INFO", "discount_account", "not set, and the company does not allow "
                 "discounts (SalesFormsPrefs.AllowDiscount off): documents with a discount "
                 "are refused")]
    try:
        ref = references.discount_account()
    except (ConfigurationError, QuickBooksError) as exc:
        return [("FAIL", "discount_account", str(exc))]
    source = ("setting" if config.get("discount_account")
              else f"company default, {PREFERENCE_PATH}")
    return [("OK", "discount_account", f"Id {ref['value']} {ref['name']} (from {source})")]


def refund(references: References, config: Mapping[str, Any]) -> list[Line]:
    """The account refund receipts (credit memos of paid invoices) are paid from."""
    try:
        ref = references.refund_account()
    except (ConfigurationError, QuickBooksError) as exc:
        return [("FAIL", "refund_account", f"{exc} (needed once a credit memo of a paid "
                 "invoice is written; set `refund_account`)")]
    source = "setting" if config.get("refund_account") else (
        "company default: Undeposited Funds, else the first Bank account")
    return [("OK", "refund_account", f"Id {ref['value']} {ref['name']} (from {source}): "
             "credit memos of paid invoices are written as RefundReceipts paid from it")]


def item(references: References, setting: str) -> list[Line]:
    """The shipping or adjustment item: found, or created by the first run that needs it."""
    try:
        found = references.find_item(setting)
        if found is not None:
            return [("OK", setting, f"Id {found['value']} {found['name']}")]
        references.item_creation_problem(setting)
        income = references.account("service_income")
    except (ConfigurationError, QuickBooksError) as exc:
        return [("FAIL", setting, str(exc))]
    return [("OK", setting, f"{item_name(references.config, setting)!r} is not in QuickBooks: "
             f"the first document that needs it creates it (Service item on income account "
             f"Id {income['value']} {income['name']}; `create_missing_items` false to opt out)")]


def rates_seen(states: Mapping[str, Any], realm_id: str) -> set[str]:
    """VAT rates recorded in the feeds' states for this company."""
    rates: set[str] = set()
    for value in states.values():
        entry = target_entry(value)
        if not entry:
            continue
        if str(entry.get("realm_id")) != realm_id:
            entry = (entry.get("other_realms") or {}).get(realm_id) or {}
        rates |= {str(rate) for rate in entry.get("rates_seen") or []}
    return rates


def vat_rates(references: References, config: Mapping[str, Any],
              seen: set[str] | None) -> list[Line]:
    """A tax code for every rate the feeds met (FAIL), the company's unmapped codes (INFO)."""
    table = tax_code_table(config)
    company = _company_codes(references) if table else {}
    lines: list[Line] = []
    missing: list[str] = []
    if seen is None:
        lines.append(("INFO", "VAT rates seen", "Meltano state not read (run it as `meltano "
                      "invoke target-quickbooks:check`, or give --state-file): the rates "
                      "documents carried are not checked"))
    elif not seen:
        lines.append(("INFO", "VAT rates seen", "none yet (no document handled)"))
    elif not table and config.get("tax_code"):
        lines.append(("INFO", "VAT rates seen", f"{', '.join(sorted_rates(seen))} %: all "
                      "coded with `tax_code` (no tax_code_map)"))
    else:
        missing = sorted_rates(seen - set(table))
        if missing:
            entries = ", ".join(f'"{rate}": "{company[rate][0] if rate in company else "?"}"'
                                for rate in missing)
            lines.append(("FAIL", "VAT rates seen", f"documents carried {', '.join(missing)} "
                          f"% but tax_code_map has no entry for it: such documents are "
                          f"refused. Add {entries} to tax_code_map (VAT rate → TaxCode Id; "
                          "`?`: the company has no tax code of that rate, create one)"))
        else:
            lines.append(("OK", "VAT rates seen", f"{', '.join(sorted_rates(seen))} %: each "
                          "has a tax code"))
    for key in sorted_rates(set(company) - set(table) - set(missing)):
        code_id, name = company[key]
        lines.append(("INFO", "other VAT codes", f"TaxCode {code_id} '{name}' ({key} %) has "
                      f"no tax_code_map entry: a document at {key} % would be refused; add "
                      f"\"{key}\": \"{code_id}\" if the feeds may meet it"))
    return lines


def _company_codes(references: References) -> dict[str, tuple[str, str]]:
    """The company's active single-rate sales tax codes: rate → (Id, name), first Id wins."""
    try:
        codes = references.listed("TaxCode")
        rates = {str(rate.get("Id")): rate for rate in references.listed("TaxRate")}
    except QuickBooksError:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for code in codes:
        details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
        if len(details) != 1 or code.get("Active") is False:
            continue
        rate = rates.get(str((details[0].get("TaxRateRef") or {}).get("value")))
        if rate and rate.get("RateValue") not in (None, ""):
            found.setdefault(rate_key(rate["RateValue"]), (str(code.get("Id")),
                                                           str(code.get("Name"))))
    return found


def token_life(config: Mapping[str, Any], now: dt.datetime) -> list[Line]:
    """Days left before the refresh token's hard expiry (the end of the authorization)."""
    store = TokenStore(str(config.get("token_store_path") or DEFAULT_TOKEN_STORE))
    try:
        tokens = store.read(str(config["realm_id"]))
    except QuickBooksError as exc:
        return [("FAIL", "authorization", str(exc))]
    ends = tokens.refresh_hard_expires_at if tokens else None
    if ends is None:
        return [("INFO", "authorization", "end date not known yet: Intuit states it at the "
                 "next token refresh")]
    end = dt.datetime.fromtimestamp(ends, dt.timezone.utc)
    days = (end - now).total_seconds() / 86400
    text = f"ends {end:%Y-%m-%d} ({int(days)} days left)"
    if days < HARD_EXPIRY_WARN_DAYS:
        return [("WARN", "authorization", f"{text}: after that QuickBooks refuses every run. "
                 f"Re-authorize before then: `{AUTHORIZE}`")]
    return [("OK", "authorization", text)]


def echo_lines(echo: Any, lines: Iterable[Line]) -> tuple[int, int]:
    """Print the lines; return (failures, warnings)."""
    fails = warns = 0
    for level, subject, text in lines:
        echo(f"{level:<5} {subject}: {text}")
        fails += level == "FAIL"
        warns += level == "WARN"
    return fails, warns
