"""Operations through Meltano: schedules, every feed job, and the operator commands."""

from __future__ import annotations

import json

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator

from tests.harness import MeltanoProject, bookable_invoices

pytestmark = pytest.mark.e2e

FEEDS = ["create-products", "update-products", "export-customers", "export-invoices",
         "export-credit-memos"]


def test_schedules_follow_the_feed_cadence(project: MeltanoProject) -> None:
    listed = json.loads(project.meltano("schedule", "list", "--format=json").stdout)
    got = {s["name"]: (s["interval"], s["job"]["name"], s["job"]["tasks"])
           for s in listed["schedules"]["job"]}
    assert got == {
        "create-products-hourly": (
            "@hourly", "create-products",
            ["tap-myfulfillment--products target-quickbooks--create-products"]),
        "update-products-daily": (
            "@daily", "update-products",
            ["tap-myfulfillment--products target-quickbooks--update-products"]),
        "export-customers-hourly": (
            "@hourly", "export-customers", ["tap-myfulfillment--customers target-quickbooks"]),
        "export-invoices-hourly": (
            "@hourly", "export-invoices", ["tap-myfulfillment--invoices target-quickbooks"]),
        "export-credit-memos-hourly": (
            "@hourly", "export-credit-memos",
            ["tap-myfulfillment--credit-memos target-quickbooks"]),
        # Issue 13: the read-only comparison of the source with the books, once a day.
        "reconcile-daily": (
            "@daily", "reconcile",
            ["tap-myfulfillment--reconcile target-quickbooks--reconcile"]),
    }


def test_every_feed_then_check_and_report_through_meltano(
    project: MeltanoProject, mf_emulator: MyFulfillmentEmulator, qbo_emulator: QuickBooksEmulator
) -> None:
    check = project.meltano("invoke", "target-quickbooks:check")
    assert "All checks passed." in check.stdout

    for feed in FEEDS:
        project.run(feed)

    report = json.loads(
        project.meltano("invoke", "target-quickbooks:report", "--format", "json").stdout)
    items = {i["Sku"]: i["Id"] for i in qbo_emulator.entities("Item") if i.get("Sku")}
    rows = {row["sku"]: row for row in report["products"]}
    # A deleted product (``<sku>_deleted``) is reported under its SKU, like its item.
    assert set(rows) == {p["sku"].removesuffix("_deleted")
                         for p in mf_emulator.store.products()}
    for sku, row in rows.items():
        assert row["quickbooks_id"] == items[sku], sku
        assert row["status"] in {"created", "unchanged", "updated", "synced"}, row
    results = {feed["feed"]: feed["results"] for feed in report["feeds"]}
    # The demo company already held one of them (made inactive by the accountant).
    assert results["export-customers"]["customers"]["created"] == len(
        qbo_emulator.entities("Customer")) - 1
    assert results["export-invoices"]["invoices"]["created"] == len(
        bookable_invoices(mf_emulator))
    assert all(feed["pending"] == 0 for feed in report["feeds"])
    table = project.meltano("invoke", "target-quickbooks:report").stdout
    assert "Product sync" in table


def test_check_through_meltano_names_a_wrong_typed_account(project: MeltanoProject) -> None:
    project.extra_env["TARGET_QUICKBOOKS_EXPENSE_ACCOUNT"] = "Inventory Asset"
    proc = project.meltano("invoke", "target-quickbooks:check", check=False)
    assert proc.returncode != 0
    assert "FAIL  expense_account" in proc.stdout
    assert "Cost of Goods Sold" in proc.stdout


def test_revoked_refresh_token_tells_the_operator_to_authorize(
    project: MeltanoProject, qbo_emulator: QuickBooksEmulator
) -> None:
    qbo_emulator.revoke_refresh_tokens()
    proc = project.run("create-products", check=False)
    assert proc.returncode != 0
    assert "target-quickbooks:authorize" in proc.stdout + proc.stderr
    check = project.meltano("invoke", "target-quickbooks:check", check=False)
    assert check.returncode != 0
    assert "authorize" in check.stdout + check.stderr
    assert qbo_emulator.entities("Invoice") == []
