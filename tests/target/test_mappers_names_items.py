"""Pure mapper tests: names, items (no HTTP)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.items import (
    is_active,
    item_name,
    item_type,
    live_last,
    map_product,
    payload_hash,
    product_sku,
    update_payload,
)
from target_quickbooks.mappers.money import json_amount, json_number, rate_key, to_decimal
from target_quickbooks.mappers.names import (
    clean_name,
    display_name,
    doc_number,
    short_hash,
    unique_item_name,
)

ACCOUNTS = {
    "income": {"value": "79", "name": "Sales of Product Income"},
    "service_income": {"value": "1", "name": "Services"},
    "expense": {"value": "80", "name": "Cost of Goods Sold"},
    "asset": {"value": "81", "name": "Inventory Asset"},
}


def product(**fields):
    record = {"sku": "1005266-1005727", "name": "Pack 3 Cartouches", "type": "simple",
              "price": Decimal("12.9000"), "cost": Decimal("4.5000"), "qty": Decimal("7")}
    record.update(fields)
    return record


# --- names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Câble: USB-C", "Câble- USB-C"),
        ("Tab\tseparated\tname", "Tab separated name"),
        ("Line\nbreak\r\nname", "Line break name"),
        ("  many    spaces  ", "many spaces"),
        ("Pack 3 Cartouches Pod Feelin A1 - 1.20 Ω", "Pack 3 Cartouches Pod Feelin A1 - 1.20 Ω"),
        ("L'Oréal crème d'été", "L'Oréal crème d'été"),
        ("a:b:c", "a-b-c"),
    ],
)
def test_clean_name_replaces_forbidden_characters(raw, expected):
    assert clean_name(raw) == expected


def test_clean_name_cuts_to_100_without_trailing_space():
    name = clean_name("x" * 99 + " yyyy")
    assert len(name) == 99
    assert name == "x" * 99
    assert len(clean_name("é" * 250)) == 100


def test_clean_name_refuses_empty():
    with pytest.raises(MappingError, match="'name' is empty"):
        clean_name(" \t\n ")


def test_unique_item_name_suffix_is_deterministic_and_short():
    assert unique_item_name("Casque", "SKU-1") == "Casque [SKU-1]"
    long_sku = "S" * 60
    suffixed = unique_item_name("Casque", long_sku)
    assert suffixed == f"Casque [{short_hash(long_sku)}]"
    assert unique_item_name("Casque", long_sku) == suffixed
    assert len(unique_item_name("n" * 100, "SKU-1")) == 100
    assert unique_item_name("n" * 100, "SKU-1").endswith(" [SKU-1]")


def test_display_name_registered_and_guest():
    assert display_name(firstname="Camille", lastname="Martin", company=None,
                        discriminator="#42") == "Camille Martin (#42)"
    assert display_name(firstname="", lastname="O'Brien", company=None,
                        discriminator="a@b.fr") == "O'Brien (a@b.fr)"
    assert display_name(firstname=None, lastname=None, company="ACME: SARL",
                        discriminator="#7") == "ACME- SARL (#7)"


def test_display_name_keeps_discriminator_when_cut():
    name = display_name(firstname="A" * 80, lastname="B" * 80, company=None,
                        discriminator="#123456")
    assert len(name) == 100
    assert name.endswith(" (#123456)")


def test_display_name_requires_a_name():
    with pytest.raises(MappingError, match="firstname, lastname or company"):
        display_name(firstname=" ", lastname=None, company=None, discriminator="#1")


def test_doc_number_short_and_fallback():
    assert doc_number("INV-000123") == ("INV-000123", None)
    assert doc_number("1" * 21) == ("1" * 21, None)
    long_number = "FR-INVOICE-2026-000000123"
    number, note = doc_number(long_number)
    assert len(number) == 21
    assert number == f"{long_number[:12]}~{short_hash(long_number)}"
    assert note == long_number
    assert doc_number(long_number) == (number, note)
    with pytest.raises(MappingError, match="increment_id"):
        doc_number("  ")


# --- money -----------------------------------------------------------------


def test_money_helpers():
    assert to_decimal("12.9000", "price") == Decimal("12.9")
    assert to_decimal(None, "qty", default=Decimal(0)) == 0
    assert json_amount(Decimal("12.345")) == 12.35
    assert json_number(Decimal("3.000")) == 3
    assert json_number(Decimal("2.5")) == 2.5
    assert rate_key(Decimal("20.0000")) == "20"
    assert rate_key("5.50") == "5.5"
    with pytest.raises(MappingError, match="'price' must be a number"):
        to_decimal("abc", "price")
    with pytest.raises(MappingError, match="'price' must be a number"):
        to_decimal(True, "price")
    with pytest.raises(MappingError, match="finite"):
        to_decimal("NaN", "price")


# --- items -----------------------------------------------------------------


def test_simple_product_is_inventory_with_all_accounts():
    payload = map_product(product(), accounts=ACCOUNTS, inv_start_date="2026-03-01")
    assert payload == {
        "Name": "Pack 3 Cartouches",
        "Sku": "1005266-1005727",
        "Type": "Inventory",
        "Active": True,
        "UnitPrice": 12.9,
        "PurchaseCost": 4.5,
        "IncomeAccountRef": ACCOUNTS["income"],
        "ExpenseAccountRef": ACCOUNTS["expense"],
        "AssetAccountRef": ACCOUNTS["asset"],
        "TrackQtyOnHand": True,
        "QtyOnHand": 7,
        "InvStartDate": "2026-03-01",
    }


def test_qty_defaults_to_zero_and_type_defaults_to_simple():
    record = product(qty=None)
    del record["type"]
    payload = map_product(record, accounts=ACCOUNTS, inv_start_date="2026-03-01")
    assert payload["Type"] == "Inventory"
    assert payload["QtyOnHand"] == 0


def test_virtual_is_service_with_service_income_only():
    payload = map_product(product(type="virtual"), accounts=ACCOUNTS, inv_start_date="x")
    assert payload["Type"] == "Service"
    assert payload["IncomeAccountRef"] == ACCOUNTS["service_income"]
    assert "ExpenseAccountRef" not in payload
    assert "AssetAccountRef" not in payload
    assert "QtyOnHand" not in payload


@pytest.mark.parametrize("source_type", ["kit", "alias", "KIT"])
def test_kit_and_alias_are_non_inventory(source_type):
    payload = map_product(product(type=source_type), accounts=ACCOUNTS, inv_start_date="x")
    assert payload["Type"] == "NonInventory"
    assert payload["IncomeAccountRef"] == ACCOUNTS["income"]
    assert payload["ExpenseAccountRef"] == ACCOUNTS["expense"]
    assert "TrackQtyOnHand" not in payload


def test_unknown_type_rejected_clearly():
    with pytest.raises(MappingError, match=r"'type' is 'bundle'.*alias, kit, simple, virtual"):
        item_type(product(type="bundle"))


def test_missing_account_for_type_is_an_error():
    with pytest.raises(MappingError, match="asset account"):
        map_product(product(), accounts={k: v for k, v in ACCOUNTS.items() if k != "asset"},
                    inv_start_date="x")


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"price": "douze"}, "'price' must be a number"),
        ({"price": Decimal("-1")}, "'price' is negative"),
        ({"cost": Decimal("-0.01")}, "'cost' is negative"),
        ({"sku": "S" * 101}, "'sku' is 101 characters"),
        ({"sku": ""}, "'sku' is missing"),
        ({"qty": "lots"}, "'qty' must be a number"),
        ({"name": "\t\n "}, "'name' is empty"),
    ],
)
def test_bad_products_rejected(fields, match):
    with pytest.raises(MappingError, match=match):
        map_product(product(**fields), accounts=ACCOUNTS, inv_start_date="x")


@pytest.mark.parametrize(
    ("fields", "active"),
    [
        ({}, True),
        ({"status": "1"}, True),
        ({"status": 1}, True),
        ({"status": True}, True),
        ({"status": "0"}, False),
        ({"status": 0}, False),
        ({"status": False}, False),
        ({"sku": "ABC_deleted"}, False),
    ],
)
def test_active_from_status_and_deleted_sku(fields, active):
    assert is_active(product(**fields)) is active


def test_name_cleaning_and_suffix_in_payload():
    record = product(name="Casque: sans\tfil", sku="CAS-1")
    assert item_name(record) == "Casque- sans fil"
    payload = map_product(record, accounts=ACCOUNTS, inv_start_date="x", suffixed=True)
    assert payload["Name"] == "Casque- sans fil [CAS-1]"


def test_description_and_sku_kept():
    payload = map_product(product(description="Très bien"), accounts=ACCOUNTS,
                          inv_start_date="x")
    assert payload["Description"] == "Très bien"
    assert product_sku(product(sku=" A-1 ")) == "A-1"


def test_update_payload_drops_create_only_fields_and_hash_is_stable():
    payload = map_product(product(), accounts=ACCOUNTS, inv_start_date="2026-03-01")
    changes = update_payload(payload)
    assert not {"Type", "QtyOnHand", "InvStartDate", "TrackQtyOnHand"} & set(changes)
    other_day = map_product(product(qty=Decimal(99)), accounts=ACCOUNTS,
                            inv_start_date="2027-01-01")
    assert payload_hash(update_payload(other_day)) == payload_hash(changes)
    changed = map_product(product(price=Decimal("13")), accounts=ACCOUNTS, inv_start_date="x")
    assert payload_hash(update_payload(changed)) != payload_hash(changes)
    assert len(payload_hash(changes)) == 8


def test_deleted_product_is_the_item_of_its_original_sku():
    deleted = product(sku="ABC_deleted", status="0")
    assert product_sku(deleted) == "ABC"
    payload = map_product(deleted, accounts=ACCOUNTS, inv_start_date="2026-01-01")
    assert (payload["Sku"], payload["Active"]) == ("ABC", False)
    assert product_sku(product(sku="_deleted")) == "_deleted"  # nothing left to strip


def test_a_live_product_wins_over_the_deleted_one_of_its_sku_in_any_order():
    live, deleted = product(sku="ABC", price="2"), product(sku="ABC_deleted", price="1")
    for order in ([live, deleted], [deleted, live]):
        assert live_last(order)[-1] is live
    other = product(sku="XYZ")
    assert live_last([other, live]) == [other, live]
