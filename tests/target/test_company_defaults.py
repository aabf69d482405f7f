"""Defaults instead of manual setup, on a bare company (emulator, real sockets).

A new QuickBooks company has a default discount account in its Preferences but no
Shipping or Adjustment item: the target uses the one and creates the others.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.accounts import ConfigurationError, References
from target_quickbooks.company_defaults import default_discount_account
from target_quickbooks.qbo import TokenStore
from target_quickbooks.target import build_client

REALM = "9130350000000001"


@pytest.fixture
def bare() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator(bare=True) as emu:
        yield emu


@pytest.fixture
def seeded() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator() as emu:
        yield emu


def _config(qbo: QuickBooksEmulator, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "client_id": "demo-client-id", "client_secret": "demo-client-secret",
        "refresh_token": "demo-refresh-token", "realm_id": REALM,
        "api_url": qbo.api_url, "oauth_discovery_url": qbo.discovery_url,
        "token_store_path": str(tmp_path / "tokens.json"),
        "income_account": "Sales of Product Income", "service_income_account": "Services",
    }
    config.update(overrides)
    return config


def _references(qbo: QuickBooksEmulator, tmp_path: Path, **overrides: Any) -> References:
    config = _config(qbo, tmp_path, **overrides)
    return References(build_client(config, logging.getLogger("test")), config)


def test_bare_company_has_no_items_and_a_default_discount_account(bare):
    assert bare.entities("Item") == []
    prefs = bare.entities("Preferences")[0]
    assert default_discount_account(prefs) == "86"


def test_missing_shipping_and_adjustment_items_are_created_on_the_service_income_account(
        bare, tmp_path):
    refs = _references(bare, tmp_path)
    shipping = refs.item("shipping_item")
    adjustment = refs.item("adjustment_item")
    items = {item["Name"]: item for item in bare.entities("Item")}
    assert set(items) == {"Shipping", "Adjustment"}
    assert shipping == {"value": items["Shipping"]["Id"], "name": "Shipping"}
    assert adjustment["value"] == items["Adjustment"]["Id"]
    for item in items.values():
        assert item["Type"] == "Service"
        assert item["IncomeAccountRef"]["value"] == "1"  # Services
    # A later run (new References) finds them: nothing is created twice.
    again = _references(bare, tmp_path).item("shipping_item")
    assert again == shipping
    assert len(bare.entities("Item")) == 2


def test_custom_item_name_is_created_under_that_name(bare, tmp_path):
    refs = _references(bare, tmp_path, shipping_item="Frais de port")
    assert refs.item("shipping_item")["name"] == "Frais de port"
    assert [item["Name"] for item in bare.entities("Item")] == ["Frais de port"]


def test_opt_out_stops_on_a_missing_item_naming_the_setting(bare, tmp_path):
    refs = _references(bare, tmp_path, create_missing_items=False)
    with pytest.raises(ConfigurationError) as error:
        refs.item("shipping_item")
    assert "`shipping_item` = 'Shipping'" in str(error.value)
    assert "`create_missing_items` is false" in str(error.value)
    assert bare.entities("Item") == []


def test_an_item_id_that_does_not_exist_is_not_created(bare, tmp_path):
    refs = _references(bare, tmp_path, adjustment_item="999")
    with pytest.raises(ConfigurationError, match="no QuickBooks Item has this Id"):
        refs.item("adjustment_item")
    assert bare.entities("Item") == []


def test_dry_run_creates_nothing(bare, tmp_path):
    refs = _references(bare, tmp_path, dry_run=True)
    assert refs.item("shipping_item") == {"value": "", "name": "Shipping"}
    assert bare.entities("Item") == []


def test_existing_items_are_used_as_before(seeded, tmp_path):
    refs = _references(seeded, tmp_path, create_missing_items=False)
    assert refs.item("shipping_item") == {"value": "20", "name": "Shipping"}


def test_discount_account_defaults_to_the_company_preference(bare, tmp_path):
    assert _references(bare, tmp_path).discount_account() == {"value": "86",
                                                               "name": "Discounts given"}


def test_discount_account_setting_wins_over_the_preference(bare, tmp_path):
    refs = _references(bare, tmp_path, discount_account="Services")
    assert refs.discount_account() == {"value": "1", "name": "Services"}


def test_no_setting_and_no_company_default_names_both(seeded, tmp_path):
    with pytest.raises(ConfigurationError) as error:
        _references(seeded, tmp_path).discount_account()
    text = str(error.value)
    assert "`discount_account`" in text and "DefaultDiscountAccount" in text
    assert "Discounts given" in text  # the candidates


def test_refresh_stores_the_hard_expiry_of_the_authorization(seeded, tmp_path):
    config = _config(seeded, tmp_path)
    before = time.time()
    build_client(config, logging.getLogger("test")).company_info()
    tokens = TokenStore(config["token_store_path"]).read(REALM)
    assert tokens is not None and tokens.refresh_hard_expires_at is not None
    assert tokens.refresh_hard_expires_at > before + 86400  # years, not seconds
    stored = json.loads(Path(config["token_store_path"]).read_text())["realms"][REALM]
    assert stored["refresh_hard_expires_at"] == tokens.refresh_hard_expires_at
    assert "refresh_hard_expires_at" in repr(tokens) and tokens.refresh_token not in repr(tokens)
