"""The operator commands against the QuickBooks emulator, over real sockets."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.admin import main
from target_quickbooks.admin.report import build_report
from target_quickbooks.admin.report_view import render_table

REALM = "9130350000000001"


@pytest.fixture
def qbo() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator() as emu:
        yield emu


def _config(qbo: QuickBooksEmulator, tmp_path: Path, **overrides: object) -> Path:
    config = {
        "client_id": "demo-client-id", "client_secret": "demo-client-secret",
        "refresh_token": "demo-refresh-token", "realm_id": REALM,
        "api_url": qbo.api_url, "oauth_discovery_url": qbo.discovery_url,
        "token_store_path": str(tmp_path / "tokens.json"),
        "income_account": "Sales of Product Income", "service_income_account": "Services",
        "expense_account": "Cost of Goods Sold", "asset_account": "Inventory Asset",
        "tax_code_map": {"20": "3", "5.5": "5"}, "discount_account": "Discounts given",
    }
    config.update(overrides)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_check_passes_on_a_ready_company(qbo: QuickBooksEmulator, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--config", str(_config(qbo, tmp_path))])
    assert result.exit_code == 0, result.output
    assert "All checks passed." in result.output
    assert "asset_account: Id 81" in result.output


def test_check_names_a_wrong_typed_account(qbo: QuickBooksEmulator, tmp_path: Path) -> None:
    config = _config(qbo, tmp_path, asset_account="Checking")
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if x.startswith("FAIL  asset_account"))
    assert "Checking" in line and "Bank" in line and "Other Current Asset" in line


def test_check_with_a_revoked_refresh_token_says_to_authorize(
    qbo: QuickBooksEmulator, tmp_path: Path
) -> None:
    qbo.revoke_refresh_tokens()
    result = CliRunner().invoke(main, ["check", "--config", str(_config(qbo, tmp_path))])
    assert result.exit_code != 0
    assert "authorize" in result.output
    assert "demo-refresh-token" not in result.output


def test_authorize_stores_the_token_and_prints_the_realm(
    qbo: QuickBooksEmulator, tmp_path: Path
) -> None:
    config = _config(qbo, tmp_path, realm_id="")
    redirect = f"http://localhost:{_free_port()}/callback"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "target-quickbooks-admin"), "authorize",
         "--config", str(config), "--no-browser", "--redirect-uri", redirect, "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    consent_url = lines[1].strip()
    assert consent_url.startswith(qbo.url)
    # The browser's part: Intuit's consent page redirects to our loopback port.
    answer = requests.get(consent_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    threading.Thread(target=requests.get, args=(answer.headers["Location"],),
                     kwargs={"timeout": 10}, daemon=True).start()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"realm_id: {REALM}" in out
    stored = json.loads((tmp_path / "tokens.json").read_text())["realms"][REALM]
    assert stored["refresh_token"] == qbo.current_refresh_token()
    assert (tmp_path / "tokens.json").stat().st_mode & 0o777 == 0o600
    assert stored["refresh_token"] not in out + err


def test_report_from_state_files(tmp_path: Path) -> None:
    state = {"singer_state": {"bookmarks": {"products": {"replication_key_value": "x"},
        "target-quickbooks": {
            "realm_id": REALM, "v": 1,
            "items": {"SKU-1": "12:0:abcd1234", "SKU-2": "13:2:ffff0000"},
            "products": {"SKU-1": ["created", "2026-11-30T10:00:00+00:00"],
                         "SKU-2": ["updated", "2026-11-30T11:00:00+00:00"],
                         "SKU-3": ["rejected", "2026-11-30T11:00:00+00:00"]},
            "pending": {"products": {"SKU-3": {"status": "rejected",
                                                "reason": "price is negative"}}},
            "results": {"products": {"created": 1, "updated": 1, "rejected": 1}},
            "last_run": "2026-11-30T11:00:00+00:00"}}}}
    path = tmp_path / "dev:tap-to-target.json"
    path.write_text(json.dumps(state))
    result = CliRunner().invoke(main, ["report", "--format", "json", "--state-file", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [(p["sku"], p["quickbooks_id"], p["status"]) for p in report["products"]] == [
        ("SKU-1", "12", "created"), ("SKU-2", "13", "updated"), ("SKU-3", None, "rejected")]
    assert report["feeds"][0]["results"]["products"]["rejected"] == 1
    assert report["pending"][0]["reason"] == "price is negative"
    table = render_table(build_report({"dev:tap-to-target": state}))
    assert "Product sync" in table and "SKU-3" in table


def test_report_shows_mapped_products_without_status_as_synced() -> None:
    """The target no longer stores a status per synced product (compact state)."""
    state = {"bookmarks": {"target-quickbooks": {
        "realm_id": REALM, "v": 1, "items": {"SKU-1": "12:0:abcd1234"},
        "products": {"SKU-2": ["skipped", "2026-11-30T11:00:00+00:00"]},
        "pending": {"credit_memos": {"7": {"status": "needs_attention", "reason": "r"}}},
        "results": {}, "last_run": "2026-11-30T12:00:00+00:00"}}}
    report = build_report({"dev:tap-to-target": state})
    # SyncToken 0: nobody updated the item since this (create-capable) feed created it.
    assert [(p.sku, p.quickbooks_id, p.status, p.at) for p in report.products] == [
        ("SKU-1", "12", "created", "2026-11-30T12:00:00+00:00"),
        ("SKU-2", None, "skipped", "2026-11-30T11:00:00+00:00")]
    assert "1 needing attention" in render_table(report)


def test_report_shows_documents_deleted_and_edited_in_quickbooks() -> None:
    state = {"bookmarks": {"target-quickbooks": {
        "realm_id": REALM, "v": 1, "invoices": {"5002": "151:0:88.16/58/abcd0123"},
        "pending": {"invoices": {"5001": {
            "status": "deleted_in_quickbooks", "deleted_id": "150",
            "reason": "QuickBooks document Id 150 was deleted in QuickBooks",
            "hint": "the tap sends this document's source record again"}}},
        "drift": {"invoices": {"5002": {
            "id": "151", "doc_number": "FA-5002", "changes": ["total 88.16 -> 90.00"],
            "seen": "2026-12-05T10:00:00+00:00", "hint": "leaves it as it is"}}},
        "resend": {"invoices": ["5001"]},
        "results": {}, "last_run": "2026-12-05T10:00:00+00:00"}}}
    report = build_report({"dev:tap-to-target": state})
    assert [(d["key"], d["quickbooks_id"], d["changes"]) for d in report.drift] == [
        ("5002", "151", ["total 88.16 -> 90.00"])]
    assert report.as_dict()["drift"] == report.drift
    table = render_table(report)
    assert "1 deleted in QuickBooks (waiting for the source record)" in table
    assert "0 deferred" in table
    assert "Edited in QuickBooks" in table and "total 88.16 -> 90.00" in table
