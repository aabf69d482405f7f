"""`meltano run` into a bare company: what Intuit creates, nothing set up by hand.

No "Shipping" or "Adjustment" item exists; the discount account comes from the
company's Preferences. `check` (through Meltano) says the items will be created and
passes; the real pipeline then books every document, shipping lines included; the
next `check` finds the items and the VAT rates the feeds met, all mapped.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator

from tests.harness import MeltanoProject, bookable_invoices

pytestmark = pytest.mark.e2e


@pytest.fixture
def bare_qbo() -> Iterator[QuickBooksEmulator]:
    emu = QuickBooksEmulator(bare=True).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def bare_project(tmp_path: Path, mf_emulator: MyFulfillmentEmulator,
                 bare_qbo: QuickBooksEmulator) -> MeltanoProject:
    return MeltanoProject(workdir=tmp_path, mf_url=mf_emulator.url,
                          qbo_api_url=bare_qbo.api_url,
                          qbo_discovery_url=bare_qbo.discovery_url,
                          extra_env={"TARGET_QUICKBOOKS_DISCOUNT_ACCOUNT": ""})


def test_sync_all_into_a_bare_company_creates_the_items_and_books_shipping(
    bare_project: MeltanoProject, mf_emulator: MyFulfillmentEmulator,
    bare_qbo: QuickBooksEmulator,
) -> None:
    assert bare_qbo.entities("Item") == []
    before = bare_project.meltano("invoke", "target-quickbooks:check")
    assert "All checks passed." in before.stdout, before.stdout
    assert "shipping_item: 'Shipping' is not in QuickBooks: the first document" in before.stdout
    assert "discount_account: Id 86 Discounts given" in before.stdout

    bare_project.run("sync-all")

    items = {item["Name"]: item for item in bare_qbo.entities("Item")}
    shipping = items["Shipping"]
    assert shipping["Type"] == "Service" and shipping["IncomeAccountRef"]["value"] == "1"
    invoices = bare_qbo.entities("Invoice")
    assert len(invoices) == len(bookable_invoices(mf_emulator))
    shipped = [
        inv for inv in invoices
        for line in inv["Line"]
        if (line.get("SalesItemLineDetail") or {}).get("ItemRef", {}).get("value")
        == shipping["Id"]
    ]
    with_shipping = [inv for inv in bookable_invoices(mf_emulator)
                     if Decimal(str(inv.get("shipping_amount") or 0)) != 0]
    assert with_shipping, "the demo dataset has invoices with shipping"
    assert len(shipped) == len(with_shipping)
    state = bare_project.state("export-invoices")["singer_state"]["bookmarks"]
    entry = state["target-quickbooks"]
    assert not entry.get("pending", {}).get("invoices")
    assert entry["rates_seen"]

    after = bare_project.meltano("invoke", "target-quickbooks:check")
    assert "All checks passed." in after.stdout, after.stdout
    assert f"OK    shipping_item: Id {shipping['Id']} Shipping" in after.stdout
    assert "OK    VAT rates seen:" in after.stdout
    assert len([i for i in bare_qbo.entities("Item") if i["Name"] == "Shipping"]) == 1
