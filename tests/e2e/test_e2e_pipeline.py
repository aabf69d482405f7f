"""`meltano run` of the real project, end to end, on both emulators.

These are the product's acceptance tests: the tap extracts, the target writes,
Meltano keeps the state between runs, and QuickBooks (the emulator) ends with
exactly one entity per source record.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator

from tests.harness import MeltanoProject, bookable_invoices

pytestmark = pytest.mark.e2e

SEEDED_ITEMS = {"Shipping", "Adjustment"}


def _customer_keys(mf: MyFulfillmentEmulator) -> set[str]:
    keys = set()
    for order in mf.store.orders():
        cid = order.get("customer_id")
        keys.add(str(cid) if cid else "guest:" + order["customer_email"].strip().lower())
    return keys


def _written_items(qbo: QuickBooksEmulator) -> list[dict]:
    return [i for i in qbo.entities("Item") if i["Name"] not in SEEDED_ITEMS]


def _target_map(state: dict) -> dict:
    return state["singer_state"]["bookmarks"]["target-quickbooks"]


def test_sync_all_writes_one_entity_per_record_and_second_run_writes_nothing(
    project: MeltanoProject, mf_emulator: MyFulfillmentEmulator, qbo_emulator: QuickBooksEmulator
) -> None:
    project.run("sync-all")

    products = mf_emulator.store.products()
    items = _written_items(qbo_emulator)
    assert sorted(i["Sku"] for i in items) == sorted(p["sku"] for p in products)
    by_sku = {i["Sku"]: i for i in items}
    expected_type = {"simple": "Inventory", "virtual": "Service", "kit": "NonInventory",
                     "alias": "NonInventory"}
    for product in products:
        item = by_sku[product["sku"]]
        assert item["Type"] == expected_type[product["type"]], product["sku"]
        if item["Type"] == "Inventory":
            assert item["IncomeAccountRef"]["value"] == "79"
            assert item["ExpenseAccountRef"]["value"] == "80"
            assert item["AssetAccountRef"]["value"] == "81"
        if item["Type"] == "Service":
            assert item["IncomeAccountRef"]["value"] == "1"
        assert ":" not in item["Name"] and len(item["Name"]) <= 100
        deleted = product["sku"].endswith("_deleted") or product["status"] == "0"
        assert item["Active"] is (not deleted), product["sku"]

    customers = qbo_emulator.entities("Customer")
    assert len(customers) == len(_customer_keys(mf_emulator))
    assert len({c["DisplayName"] for c in customers}) == len(customers)

    invoices = qbo_emulator.entities("Invoice")
    assert len(invoices) == len(bookable_invoices(mf_emulator))
    source_by_note = {inv["increment_id"]: inv for inv in bookable_invoices(mf_emulator)}
    for invoice in invoices:
        number = invoice.get("PrivateNote") or invoice["DocNumber"]
        source = next(
            (s for n, s in source_by_note.items() if n == invoice["DocNumber"] or n in number),
            None,
        )
        assert source is not None, invoice["DocNumber"]
        assert Decimal(str(invoice["TotalAmt"])) == Decimal(source["grand_total"])
    assert len(qbo_emulator.entities("CreditMemo")) == len(mf_emulator.store.credit_memos())

    # The ID map made the round trip through Meltano state.
    item_map = _target_map(project.state("create-products"))
    assert set(item_map["items"]) == {p["sku"] for p in products}
    assert item_map["realm_id"] == "9130350000000001"

    # Second run: nothing new is extracted, nothing is written.
    qbo_emulator.reset_stats()
    mf_emulator.reset_stats()
    project.run("sync-all")
    by_kind = qbo_emulator.stats()["by_kind"]
    assert by_kind.get("create", 0) == 0
    assert by_kind.get("update", 0) == 0
    assert len(_written_items(qbo_emulator)) == len(products)
    assert len(qbo_emulator.entities("Invoice")) == len(bookable_invoices(mf_emulator))


def test_changed_products_flow_through_hourly_and_daily_feeds(
    project: MeltanoProject, mf_emulator: MyFulfillmentEmulator, qbo_emulator: QuickBooksEmulator
) -> None:
    project.run("create-products", "update-products")
    products = mf_emulator.store.products()
    changed = [p["sku"] for p in products if p["type"] == "simple"][:2]
    for sku in changed:
        mf_emulator.store.touch_product(sku, price="99.9900")
    mf_emulator.store.add_product(sku="NEW-0001", name="Nouveau produit", type="virtual",
                                  price="5.0000", cost="1.0000", qty="0.0000", status="1")

    mf_emulator.reset_stats()
    qbo_emulator.reset_stats()
    project.run("create-products")  # hourly: the new product only
    assert qbo_emulator.stats()["by_kind"].get("update", 0) == 0
    assert "NEW-0001" in {i["Sku"] for i in _written_items(qbo_emulator)}
    # Early stop: a handful of list requests, not the whole catalog.
    assert mf_emulator.stats()["by_path"].get("/catalog-product/products", 0) <= 2

    qbo_emulator.reset_stats()
    project.run("update-products")  # daily: the changed prices
    by_sku = {i["Sku"]: i for i in _written_items(qbo_emulator)}
    for sku in changed:
        assert Decimal(str(by_sku[sku]["UnitPrice"])) == Decimal("99.99")
    stats = qbo_emulator.stats()
    assert stats["by_kind"].get("create", 0) == 0


def test_documents_before_customers_are_deferred_then_written(
    project: MeltanoProject, mf_emulator: MyFulfillmentEmulator, qbo_emulator: QuickBooksEmulator
) -> None:
    project.run("create-products")
    # Deferral is expected when feeds run out of order: not an error exit.
    project.run("export-invoices")
    assert qbo_emulator.entities("Invoice") == []
    pending = _target_map(project.state("export-invoices")).get("pending", {})
    assert len(pending.get("invoices", {})) == len(bookable_invoices(mf_emulator))

    project.run("export-customers")
    project.run("export-invoices")
    assert len(qbo_emulator.entities("Invoice")) == len(bookable_invoices(mf_emulator))
    assert not _target_map(project.state("export-invoices")).get("pending", {}).get("invoices")
