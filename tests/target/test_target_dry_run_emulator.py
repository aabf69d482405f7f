"""A dry run against the QuickBooks emulator: no write reaches it, each planned write is listed."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.writer.dry_run import DryRunListing
from test_target_emulator import CUSTOMERS, INVOICE, PRODUCTS, messages, run
from test_target_fakes import state_message

#: The emulator's counters of single-entity writes. A dry run still sends look-ups,
#: some through the batch endpoint (one POST of queries): those change nothing, which
#: the snapshot of every entity, SyncTokens included, proves.
WRITES = ("create", "update", "delete")
ENTITIES = ("Item", "Customer", "Invoice", "CreditMemo")


@pytest.fixture
def emu():
    with QuickBooksEmulator(per_second=None, per_minute=None, batch_per_minute=None) as qbo:
        yield qbo


def _writes(emu: QuickBooksEmulator) -> dict[str, int]:
    by_kind = emu.stats().get("by_kind", {})
    return {kind: by_kind.get(kind, 0) for kind in WRITES}


def _books(emu: QuickBooksEmulator) -> dict[str, list[dict]]:
    return {name: emu.entities(name) for name in ENTITIES}


def _listing(caplog: pytest.LogCaptureFixture) -> list[list[str]]:
    text = next(r.getMessage() for r in caplog.records
                if r.getMessage().startswith("target-quickbooks DRY RUN: what a real run"))
    return [[cell.strip() for cell in line.split("  ") if cell.strip()]
            for line in text.splitlines()[3:]]


def test_a_first_dry_run_lists_every_create_and_sends_no_write(emu, tmp_path, caplog):
    before = _books(emu)
    caplog.set_level(logging.INFO)
    target, _ = run(emu, tmp_path, messages(), dry_run=True)
    assert _writes(emu) == dict.fromkeys(WRITES, 0)
    assert _books(emu) == before
    rows = _listing(caplog)
    creates = {(row[0], row[1]) for row in rows if row[-1] == "create"}
    # Each product under its SKU (the deleted one under its own key, made inactive).
    assert {("Item", p["sku"].removesuffix("_deleted")) for p in PRODUCTS} <= creates
    assert {("Customer", c["customer_key"]) for c in CUSTOMERS} <= creates
    assert ("Invoice", INVOICE["id"]) in creates and ("CreditMemo", "7001") in creates
    named = {row[1]: row[2] for row in rows}
    assert named["1005266-1005727"] == "Pack 3 Cartouches Pod Feelin A1 - 1.20 Ω"
    assert named["42"] == "Camille Martin (#42)"
    assert named[INVOICE["id"]].startswith("FA-2026-")
    assert target.results.get("products", "created") == len(PRODUCTS)


def test_a_dry_run_after_a_real_one_lists_only_the_update(emu, tmp_path, caplog):
    _, state = run(emu, tmp_path, messages())
    writes, before = _writes(emu), _books(emu)
    changed = [{**p, "price": Decimal("13.90")} if p["sku"] == "SRV-1" else p for p in PRODUCTS]
    caplog.set_level(logging.INFO)
    run(emu, tmp_path, [state_message(state), *messages(products=changed)], dry_run=True)
    assert _writes(emu) == writes
    assert _books(emu) == before
    assert _listing(caplog) == [["Item", "SRV-1", "Installation- sur site", "update"]]


def test_the_listing_is_bounded_and_says_how_many_it_left_out():
    listing = DryRunListing(max_listed=2)
    for n in range(5):
        listing.add("Item", f"SKU-{n}", f"Product {n}", "create")
    listing.add("Invoice", "5001", "FA-1", "void")
    table = listing.table()
    assert table.splitlines()[0].endswith("(5 create, 1 void)")
    assert "SKU-1" in table and "SKU-2" not in table
    assert table.splitlines()[-1] == "... and 4 more not listed (the counts below include them)"
