"""`meltano run reconcile` after `sync-all`: source documents against QuickBooks, read-only."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator

from tests.harness import FEED_STATE_IDS, MeltanoProject

pytestmark = pytest.mark.e2e

RECONCILE_STATE_ID = "dev:tap-myfulfillment--reconcile-to-target-quickbooks--reconcile"


def reconcile(project: MeltanoProject, tmp_path: Path) -> tuple[int, dict]:
    report = tmp_path / "reconcile.json"
    report.unlink(missing_ok=True)
    project.extra_env.update({"TARGET_QUICKBOOKS_RECONCILE_FORMAT": "json",
                              "TARGET_QUICKBOOKS_RECONCILE_REPORT_PATH": str(report)})
    proc = project.run("reconcile", check=False)
    assert report.exists(), proc.stderr[-4000:]
    return proc.returncode, json.loads(report.read_text())


def delete_first_invoice(qbo: QuickBooksEmulator) -> tuple[str, str, str]:
    row = min(qbo.entities("Invoice"), key=lambda r: int(r["Id"]))
    qbo.delete_entity("Invoice", row["Id"])
    return ("missing", f"invoice {row['DocNumber']}", "not in QuickBooks")


def edit_an_amount(qbo: QuickBooksEmulator) -> tuple[str, str, str]:
    """A person raises a refund's first line by 10 (the demo's memos refund paid invoices)."""
    row = max(qbo.entities("RefundReceipt"), key=lambda r: int(r["Id"]))
    total = Decimal(str(row["TotalAmt"]))
    lines = row["Line"]
    lines[0]["Amount"] = float(Decimal(str(lines[0]["Amount"])) + 10)
    qbo.edit_entity("RefundReceipt", row["Id"], {"Line": lines, "TotalAmt": float(total + 10)})
    return ("total", f"credit memo {row['DocNumber']}", f"{total + 10:.2f}")


def remove_a_payment(qbo: QuickBooksEmulator) -> tuple[str, str, str]:
    """A person deletes the payment of a paid invoice: the invoice is open again."""
    payment = max((p for p in qbo.entities("Payment") if Decimal(str(p["TotalAmt"])) > 0),
                  key=lambda p: int(p["Id"]))
    [invoice_id] = [txn["TxnId"] for line in payment["Line"] for txn in line["LinkedTxn"]
                    if txn["TxnType"] == "Invoice"]
    qbo.delete_entity("Payment", payment["Id"])
    [invoice] = [i for i in qbo.entities("Invoice") if i["Id"] == invoice_id]
    assert Decimal(str(invoice["Balance"])) == Decimal(str(invoice["TotalAmt"])) > 0
    return ("balance", f"invoice {invoice['DocNumber']}", f"{Decimal(str(invoice['Balance'])):.2f}")


#: Differences planted in QuickBooks, each found with its values.
PLANTED: dict[str, Callable[[QuickBooksEmulator], tuple[str, str, str]]] = {
    "document deleted": delete_first_invoice,
    "amount edited": edit_an_amount,
    "payment removed": remove_a_payment,
}


def test_reconcile_after_sync_all_then_planted_differences(
    project: MeltanoProject, mf_emulator: MyFulfillmentEmulator,
    qbo_emulator: QuickBooksEmulator, tmp_path: Path,
) -> None:
    project.run("sync-all")
    states = project.stored_states()
    assert set(FEED_STATE_IDS.values()) - {FEED_STATE_IDS["update-products"]} <= set(states)
    qbo_emulator.reset_stats()

    code, report = reconcile(project, tmp_path)
    # Payments, credit memos applied and refunds booked: the books match the source,
    # document by document, month by month and customer by customer.
    assert report["differences"] == [], report["differences"]
    assert code == 0
    assert report["documents_source"] == len(mf_emulator.store.invoices()) + len(
        mf_emulator.store.credit_memos())
    stats = qbo_emulator.stats()
    assert stats["by_method"].get("POST", 0) == 0, stats  # not one write, not even a POST
    assert stats["requests"] <= 5
    # No state changed (every row of Meltano's state table as stored), and the reconcile
    # stored none of its own: never a bookmark, always in full.
    after = project.stored_states()
    assert after == states
    assert RECONCILE_STATE_ID not in after

    # Every planted difference at once, then one run: each is reported with its values.
    planted = {case: plant(qbo_emulator) for case, plant in PLANTED.items()}
    code, report = reconcile(project, tmp_path)
    assert code == 1
    for case, (kind, subject, quickbooks) in planted.items():
        [difference] = [d for d in report["differences"]
                        if (d["kind"], d["subject"]) == (kind, subject)]
        assert difference["quickbooks"] == quickbooks, (case, difference)
        assert difference["source"] not in ("", quickbooks), (case, difference)
