"""TargetQuickBooks with a fake client: items and customers (create, update, skip, modes)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from decimal import Decimal

import pytest
from singer_sdk.singerlib.json import serialize_json
from singer_sdk.testing import target_sync_test
from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.state import BOOKMARK
from target_quickbooks.target import RecordsRejectedError, TargetQuickBooks, UnknownStreamError
from test_target_fakes import CONFIG, REALM, FakeQuickBooks, fault, record, schema, state_message


def run(fake, messages, **config):
    target = TargetQuickBooks(config={**CONFIG, **config}, client=fake)
    lines = "".join(serialize_json(m) + "\n" for m in messages)
    stdout, _ = target_sync_test(target, io.StringIO(lines))
    states = [json.loads(line) for line in stdout.read().splitlines() if line.strip()]
    return target, states[-1] if states else None


def ours(state):
    return state["bookmarks"][BOOKMARK]


def products(*recs):
    return [schema("products"), *(record("products", r) for r in recs)]


P1 = {"sku": "SKU-A", "name": "Casque: Bluetooth", "type": "simple", "price": Decimal("10.00"),
      "cost": Decimal("4.00"), "qty": Decimal("5"), "status": "1"}
P2 = {"sku": "SKU-B", "name": "Licence", "type": "virtual", "price": Decimal("99.00")}
P3 = {"sku": "SKU-C", "name": "Pack Ω", "type": "kit", "price": Decimal("25.50")}


def test_creates_items_of_each_type_and_records_the_map():
    fake = FakeQuickBooks()
    target, state = run(fake, products(P1, P2, P3))
    items = {i["Sku"]: i for i in fake.entities("Item") if i.get("Sku")}
    assert items["SKU-A"]["Type"] == "Inventory"
    assert items["SKU-A"]["Name"] == "Casque- Bluetooth"
    assert items["SKU-A"]["AssetAccountRef"]["value"] == "81"
    assert items["SKU-A"]["IncomeAccountRef"]["value"] == "79"
    assert items["SKU-A"]["QtyOnHand"] == 5
    assert items["SKU-A"]["InvStartDate"] == "2026-01-01"
    assert items["SKU-B"]["Type"] == "Service"
    assert items["SKU-B"]["IncomeAccountRef"]["value"] == "1"
    assert items["SKU-C"]["Type"] == "NonInventory"
    entry = ours(state)
    assert entry["realm_id"] == REALM
    assert entry["items"]["SKU-A"].startswith(items["SKU-A"]["Id"] + ":0:")
    assert entry["results"]["products"]["created"] == 3
    assert "SKU-A" not in entry["products"]  # synced: derived from the items map
    assert target.results.get("products", "created") == 3
    # Batched: one lookup by Sku and one batch write.
    assert [c[0] for c in fake.calls].count("batch") == 1


def test_second_run_unchanged_then_sparse_update():
    fake = FakeQuickBooks()
    _, state = run(fake, products(P1, P2))
    writes_before = len(fake.writes())
    target, state2 = run(fake, [state_message(state), *products(P1, P2)])
    assert len(fake.writes()) == writes_before
    assert target.results.get("products", "unchanged") == 2
    changed = {**P1, "price": Decimal("12.00"), "qty": Decimal("99")}
    target, state3 = run(fake, [state_message(state2), *products(changed, P2)])
    update = fake.writes()[-1]
    assert update.operation == "update"
    assert update.payload["sparse"] is True
    assert update.payload["UnitPrice"] == 12
    assert "QtyOnHand" not in update.payload
    assert "Type" not in update.payload
    assert target.results.get("products", "updated") == 1
    assert target.results.get("products", "unchanged") == 1
    item = next(i for i in fake.entities("Item") if i.get("Sku") == "SKU-A")
    assert ours(state3)["items"]["SKU-A"].split(":")[1] == item["SyncToken"] == "1"


def test_existing_item_found_by_sku_without_state_is_not_duplicated():
    fake = FakeQuickBooks()
    fake.add("Item", {"Name": "Old name", "Sku": "SKU-A", "Type": "Inventory",
                      "Active": False})
    target, _state = run(fake, products(P1))
    assert len([i for i in fake.entities("Item") if i.get("Sku") == "SKU-A"]) == 1
    assert target.results.get("products", "updated") == 1
    assert next(i for i in fake.entities("Item") if i.get("Sku") == "SKU-A")["Name"] == \
        "Casque- Bluetooth"


@pytest.mark.parametrize(
    ("mode", "created", "updated", "skipped"),
    [("create", 1, 0, 1), ("update", 0, 1, 1), ("upsert", 1, 1, 0)],
)
def test_product_mode(mode, created, updated, skipped):
    fake = FakeQuickBooks()
    fake.add("Item", {"Name": "Licence", "Sku": "SKU-B", "Type": "Service"})
    target, _state = run(fake, products(P1, P2), product_mode=mode)
    assert target.results.get("products", "created") == created
    assert target.results.get("products", "updated") == updated
    assert target.results.get("products", "skipped") == skipped


def test_name_collisions_get_a_stable_sku_suffix():
    fake = FakeQuickBooks()
    fake.add("Item", {"Name": "Casque", "Sku": "OTHER", "Type": "Service"})
    a = {"sku": "A-2", "name": "Casque", "type": "virtual"}
    b = {"sku": "A-1", "name": "Chargeur\tUSB", "type": "virtual"}
    c = {"sku": "A-3", "name": "Chargeur USB", "type": "virtual"}
    target, state = run(fake, products(a, b, c))
    names = {i["Sku"]: i["Name"] for i in fake.entities("Item") if i.get("Sku")}
    assert names["A-2"] == "Casque [A-2]"          # 6240 against an item with another Sku
    assert names["A-1"] == "Chargeur USB"          # smallest SKU keeps the plain name
    assert names["A-3"] == "Chargeur USB [A-3]"    # in-batch collision
    assert target.results.get("products", "created") == 3
    assert sorted(ours(state)["suffixed"]) == ["A-2", "A-3"]
    faults_before = len(fake.writes())
    target, _ = run(fake, [state_message(state), *products(a, b, c)])
    assert target.results.get("products", "unchanged") == 3
    assert len(fake.writes()) == faults_before


def test_stale_sync_token_is_re_read_and_retried_once():
    fake = FakeQuickBooks()
    _, state = run(fake, products(P1))
    item = next(i for i in fake.entities("Item") if i.get("Sku") == "SKU-A")
    item["SyncToken"] = "5"  # edited in QuickBooks meanwhile
    target, state2 = run(fake, [state_message(state), *products({**P1, "price": Decimal(11)})])
    assert target.results.get("products", "updated") == 1
    assert ("read", ("Item", item["Id"])) in fake.calls
    assert ours(state2)["items"]["SKU-A"].split(":")[1] == "6"


def test_bad_products_rejected_others_written_and_exit_non_zero():
    fake = FakeQuickBooks()
    bad = {"sku": "BAD", "name": "Bad", "type": "bundle"}
    negative = {"sku": "NEG", "name": "Neg", "type": "virtual", "price": Decimal("-1")}
    target = TargetQuickBooks(config=CONFIG, client=fake)
    lines = "".join(serialize_json(m) + "\n" for m in products(P1, bad, negative))
    out = io.StringIO()
    with redirect_stdout(out):
        target.process_lines(io.StringIO(lines))
        with pytest.raises(RecordsRejectedError, match=r"2 record\(s\) were rejected"):
            target.process_endofpipe()
    state = json.loads(out.getvalue().splitlines()[-1])
    entry = ours(state)
    assert "SKU-A" in entry["items"]
    assert entry["pending"]["products"]["BAD"]["status"] == "rejected"
    assert "'type' is 'bundle'" in entry["pending"]["products"]["BAD"]["reason"]
    assert "'price' is negative" in entry["pending"]["products"]["NEG"]["reason"]
    assert entry["results"]["products"]["rejected"] == 2


def test_config_error_names_setting_and_lists_candidates():
    fake = FakeQuickBooks()
    config = {**CONFIG, "asset_account": "80"}
    with pytest.raises(ConfigurationError) as info:
        run(fake, products(P1), **{k: v for k, v in config.items() if k in ("asset_account",)})
    message = str(info.value)
    assert "`asset_account`" in message
    assert "Id 80 'Cost of Goods Sold', Cost of Goods Sold/SuppliesMaterialsCogs" in message
    assert "Other Current Asset with sub-type Inventory" in message
    assert "Id 81 'Inventory Asset'" in message
    with pytest.raises(ConfigurationError, match="no QuickBooks account has this Id or Name"):
        run(FakeQuickBooks(), products(P1), income_account="Nope")


def test_accounts_checked_lazily_only_for_needed_types():
    fake = FakeQuickBooks()
    target, _ = run(fake, products(P2), asset_account=None, expense_account=None)
    assert target.results.get("products", "created") == 1


def test_customers_create_unchanged_and_invalid_email_dropped():
    fake = FakeQuickBooks()
    c1 = {"customer_key": "42", "customer_id": "42", "firstname": "Camille",
          "lastname": "Martin", "email": "camille@example.fr"}
    c2 = {"customer_key": "guest:jo@example.com", "firstname": "Jo", "lastname": "O'Brien",
          "email": "broken@"}
    msgs = [schema("customers"), record("customers", c1), record("customers", c2)]
    target, state = run(fake, msgs)
    names = sorted(c["DisplayName"] for c in fake.entities("Customer"))
    assert names == ["Camille Martin (#42)", "Jo O'Brien (jo@example.com)"]
    jo = next(c for c in fake.entities("Customer") if c["GivenName"] == "Jo")
    assert "PrimaryEmailAddr" not in jo
    target, _ = run(fake, [state_message(state), *msgs])
    assert target.results.get("customers", "unchanged") == 2


def test_customer_found_by_display_name_when_state_is_lost():
    fake = FakeQuickBooks()
    fake.add("Customer", {"DisplayName": "Camille Martin (#42)"})
    c1 = {"customer_key": "42", "customer_id": "42", "firstname": "Camille",
          "lastname": "Martin"}
    target, _state = run(fake, [schema("customers"), record("customers", c1)])
    assert len(fake.entities("Customer")) == 1
    assert target.results.get("customers", "updated") == 1


def test_unknown_stream_fails_at_schema_time_with_stream_maps_hint():
    target = TargetQuickBooks(config=CONFIG, client=FakeQuickBooks())
    message = {"type": "SCHEMA", "stream": "catalog", "schema": {"properties": {}},
               "key_properties": []}
    with pytest.raises(UnknownStreamError) as info:
        target_sync_test(target, io.StringIO(json.dumps(message) + "\n"))
    text = str(info.value)
    assert "'catalog'" in text
    assert "products, customers, invoices, credit_memos" in text
    assert "stream_maps" in text


def test_stream_maps_rename_another_taps_stream_and_fields():
    fake = FakeQuickBooks()
    maps = {"stream_maps": {
        "catalog": {"__alias__": "products", "__key_properties__": ["sku"],
                    "sku": "code", "name": "title",
                    "type": "'virtual'", "code": "__NULL__", "title": "__NULL__"},
    }}
    msgs = [{"type": "SCHEMA", "stream": "catalog", "key_properties": ["code"],
             "schema": {"properties": {"code": {"type": "string"},
                                       "title": {"type": "string"}}}},
            record("catalog", {"code": "X-1", "title": "Renamed"})]
    _target, _ = run(fake, msgs, **maps)
    assert [(i["Sku"], i["Name"], i["Type"]) for i in fake.entities("Item") if i.get("Sku")] == \
        [("X-1", "Renamed", "Service")]


def test_item_deleted_in_quickbooks_is_recreated():
    fake = FakeQuickBooks()
    _, state = run(fake, products(P1))
    item = next(i for i in fake.entities("Item") if i.get("Sku") == "SKU-A")
    del fake.tables["Item"][item["Id"]]
    target, state2 = run(fake, [state_message(state), *products({**P1, "price": Decimal(11)})])
    assert target.results.get("products", "created") == 1
    new = next(i for i in fake.entities("Item") if i.get("Sku") == "SKU-A")
    assert ours(state2)["items"]["SKU-A"].startswith(new["Id"] + ":")


def test_display_name_taken_by_a_vendor_is_rejected_with_hint():
    fake = FakeQuickBooks()
    fake.inject.append(lambda op: fault("6240", "Duplicate Name Exists Error",
                                        "The name supplied already exists. : Id=77")
                       if op.entity == "Customer" else None)
    c1 = {"customer_key": "42", "customer_id": "42", "firstname": "Camille",
          "lastname": "Martin"}
    target = TargetQuickBooks(config=CONFIG, client=fake)
    lines = "".join(serialize_json(m) + "\n" for m in
                    [schema("customers"), record("customers", c1)])
    out = io.StringIO()
    with redirect_stdout(out):
        target.process_lines(io.StringIO(lines))
        with pytest.raises(RecordsRejectedError):
            target.process_endofpipe()
    pending = ours(json.loads(out.getvalue().splitlines()[-1]))["pending"]["customers"]["42"]
    assert pending["code"] == "6240"
    assert "Vendor or Employee" in pending["hint"]
