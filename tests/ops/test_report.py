"""`report`: summary first, filters, environment, the feed that wrote each SKU, 100,000 SKUs."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from target_quickbooks.admin import main
from target_quickbooks.admin.report import build_report
from target_quickbooks.admin.report_feeds import jobs_by_task

from tests.harness import PROJECT_ROOT

REALM = "9130350000000001"
CREATE = "dev:tap-myfulfillment--products-to-target-quickbooks--create-products"
UPDATE = "dev:tap-myfulfillment--products-to-target-quickbooks--update-products"
INVOICES = "dev:tap-myfulfillment--invoices-to-target-quickbooks"
JOBS = jobs_by_task(PROJECT_ROOT / "meltano.yml")


def _state(**entry: Any) -> dict[str, Any]:
    base = {"realm_id": REALM, "v": 1, "results": {}, "last_run": "2026-12-01T10:00:00+00:00"}
    return {"singer_state": {"bookmarks": {"target-quickbooks": {**base, **entry}}}}


def _states() -> dict[str, dict[str, Any]]:
    create = _state(
        items={"A": "1:0:aaaa", "B": "2:0:bbbb", "C": "3:0:cccc"},
        results={"products": {"created": 3}}, last_run="2026-12-01T11:00:00+00:00")
    update = _state(
        # A found unchanged (same SyncToken), B updated by this feed, C refused.
        items={"A": "1:0:aaaa", "B": "2:1:bbbc", "C": "3:0:cccc"},
        products={"C": ["rejected", "2026-12-01T10:00:00+00:00"],
                  "D": ["skipped", "2026-12-01T10:00:00+00:00"]},
        pending={"products": {"C": {"status": "rejected", "reason": "price is negative",
                                    "field": "price", "hint": "fix the price"}}},
        results={"products": {"updated": 1, "unchanged": 1, "rejected": 1, "skipped": 1}})
    invoices = _state(
        invoices={"5002": "151:0:88.16/58/abcd0123"},
        pending={"invoices": {"5003": {"status": "deferred", "reason": "no customer"}}},
        drift={"invoices": {"5002": {"id": "151", "doc_number": "FA-5002",
                                     "changes": ["total 88.16 -> 90.00"]}}},
        results={"invoices": {"created": 7, "deferred": 1}})
    return {CREATE: create, UPDATE: update, INVOICES: invoices}


def _files(tmp_path: Path, states: dict[str, dict[str, Any]]) -> list[str]:
    args = []
    for state_id, state in states.items():
        path = tmp_path / f"{state_id}.json"
        path.write_text(json.dumps(state))
        args += ["--state-file", str(path)]
    return args


def _report(tmp_path: Path, *args: str, states: dict[str, Any] | None = None) -> str:
    result = CliRunner().invoke(main, ["report", *_files(tmp_path, states or _states()), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_each_sku_names_the_feed_that_wrote_it() -> None:
    rows = {row.sku: row for row in build_report(_states(), JOBS).products}
    assert (rows["A"].status, rows["A"].feed) == ("created", "create-products")
    assert (rows["B"].status, rows["B"].feed) == ("updated", "update-products")
    # Still waiting to be retried: shown although another feed ran since.
    assert (rows["C"].status, rows["C"].feed) == ("rejected", "update-products")
    assert (rows["D"].status, rows["D"].feed) == ("skipped", "update-products")


def test_the_summary_comes_first_with_the_environment_and_each_feed(tmp_path: Path) -> None:
    config = tmp_path / "target.json"
    config.write_text(json.dumps({"environment": "production", "realm_id": REALM}))
    out = _report(tmp_path, "--config", str(config))
    lines = out.splitlines()
    assert lines[0] == "Summary"
    assert f"Environment: QuickBooks production, realm {REALM}" in lines[2]
    assert "Products: 4 SKUs: 1 created, 1 rejected, 1 skipped, 1 updated" in out
    header = next(x for x in lines if x.startswith("Feed") and "waiting" in x)
    assert header.split() == ["Feed", "Last", "run", "created", "updated", "unchanged",
                              "deferred", "rejected", "skipped", "waiting", "drift"]
    invoices = next(x for x in lines if x.startswith("export-invoices"))
    assert invoices.split()[2:] == ["7", "0", "0", "1", "0", "0", "1", "1"]
    assert out.index("Summary") < out.index("Product sync")


def test_filters_by_status_sku_and_feed(tmp_path: Path) -> None:
    rejected = _report(tmp_path, "--status", "rejected")
    product_rows = _product_rows(rejected)
    assert [row.split()[0] for row in product_rows] == ["C"]
    assert "FA-5002" not in rejected  # drift is not a rejection
    assert "Filters: --status rejected" in rejected

    assert [r.split()[0] for r in _product_rows(_report(tmp_path, "--sku", "[AB]*"))] == [
        "A", "B"]
    assert [r.split()[0] for r in _product_rows(_report(tmp_path, "--sku", "B"))] == ["B"]

    update = _report(tmp_path, "--feed", "update-products")
    assert [r.split()[0] for r in _product_rows(update)] == ["B", "C", "D"]
    assert "5003" not in update  # the invoices feed's waiting record

    drift = _report(tmp_path, "--status", "drift", "--feed", "export-invoices")
    assert "total 88.16 -> 90.00" in drift and _product_rows(drift) == []


def test_unknown_status_or_feed_names_what_exists(tmp_path: Path) -> None:
    files = _files(tmp_path, _states())
    bad = CliRunner().invoke(main, ["report", *files, "--status", "rejectd"])
    assert bad.exit_code != 0
    assert "unknown --status rejectd" in bad.output and "rejected" in bad.output
    bad = CliRunner().invoke(main, ["report", *files, "--feed", "invoices"])
    assert bad.exit_code != 0
    assert "export-invoices" in bad.output and "create-products" in bad.output


def _product_rows(out: str) -> list[str]:
    section = out.split("Product sync", 1)[1].split("Last run per stream", 1)[0]
    lines = section.splitlines()
    rows = lines[next(i for i, x in enumerate(lines) if x.startswith("---")) + 1:]
    return [row for row in rows if row and row != "(none)" and not row.startswith("...")]


def _large_states(n: int) -> dict[str, dict[str, Any]]:
    skus = [f"SKU-{i:06d}" for i in range(n)]
    create = _state(items={sku: f"{i + 1}:0:abcdef12" for i, sku in enumerate(skus)},
                    results={"products": {"created": n}})
    update = _state(items={sku: f"{i + 1}:{1 if i % 10 == 0 else 0}:abcdef12"
                           for i, sku in enumerate(skus)},
                    products={sku: ["rejected", "2026-12-01T10:00:00+00:00"]
                              for sku in skus[5::1000]},
                    results={"products": {"updated": n // 10, "unchanged": n - n // 10}})
    return {CREATE: create, UPDATE: update}


@pytest.mark.timeout(120)
def test_one_hundred_thousand_skus_stay_readable(tmp_path: Path) -> None:
    n = 100_000
    states = _large_states(n)
    started = time.monotonic()
    out = _report(tmp_path, states=states)
    took = time.monotonic() - started
    lines = out.splitlines()
    assert len(lines) < 100, len(lines)
    assert len(out) < 12_000
    assert f"Products: {n:,} SKUs: 89,900 created, 100 rejected, 10,000 updated" in out
    assert (f"... {n - 50:,} more products not shown: --limit N or --all shows them; "
            "--status, --sku and --feed narrow the list") in out
    assert took < 60, took
    # A filter reaches past the limit: the rejected SKUs are all there.
    rejected = _product_rows(_report(tmp_path, "--status", "rejected", "--limit", "500",
                                     states=states))
    assert len(rejected) == 100
    assert all(" rejected " in row and "update-products" in row for row in rejected)


def test_memory_of_the_report_stays_flat_from_10_000_to_100_000_skus() -> None:
    """The merged rows cost a bounded amount per SKU; the table holds only the shown rows."""
    peaks = []
    for n in (10_000, 100_000):
        states = _large_states(n)
        tracemalloc.start()
        report = build_report(states, JOBS)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert len(report.products) == n
    per_sku = (peaks[1] - peaks[0]) / 90_000
    assert per_sku < 600, f"{per_sku:.0f} bytes per SKU"
