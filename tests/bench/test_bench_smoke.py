"""Smoke run of the benchmark (`make bench`) at tiny sizes: it runs and yields every ratio.

No timed assertions: the figures depend on the machine. The full benchmark is
`make bench`; its results are in bench/RESULTS.md.
"""

from __future__ import annotations

import io
from pathlib import Path

from bench import run as bench_run
from bench import scenarios as sc

EXPECTED_RATIOS = {
    "entity writes per minute / ceiling (1,200)",
    "failed records (bulk)",
    "429s caused by the target (bulk)",
    "entity writes per QuickBooks HTTP request",
    "query requests per looked-up record",
    "unchanged rerun: entity writes / reads",
    "tap list requests incremental / full scan",
    "tap list requests incremental / full scan (smaller catalog)",
    "myFulfillment rate-limit refusals (all tap runs)",
    "peak RSS target, bulk write run",
    "naive writer: entity writes per minute / ceiling",
    "target / naive writes per minute",
    "contention: failed records with another app causing 429s",
    "QuickBooks metered reads of a no-change hourly run, worst feed",
}


def test_bench_smoke_produces_every_ratio(tmp_path: Path) -> None:
    log = io.StringIO()
    report = bench_run.run(sc.SMOKE, tmp_path, log=log)
    names = {row["ratio"] for row in report["ratios"]}
    assert EXPECTED_RATIOS <= names, log.getvalue()
    assert sum(name.startswith("peak RSS tap") for name in names) == 2
    assert sum(name.startswith("peak RSS target ") for name in names) == 2
    assert all(row["value"] is not None for row in report["ratios"]), report["ratios"]
    bulk = report["results"]["bulk_write"]
    # The smoke sizes still exercise the whole path: every product written, via batch.
    assert bulk["returncode"] == 0, bulk["stderr_tail"]
    assert bulk["items_in_quickbooks"] == sc.SMOKE.write_products
    assert bulk["batch_requests"] > 0
    hourly = report["results"]["hourly_reads"]
    assert set(hourly["feeds"]) == {"products", "customers", "invoices", "credit_memos"}
    assert all(feed["first_returncode"] == 0 and feed["returncode"] == 0
               for feed in hourly["feeds"].values()), hourly
    # A document feed checks QuickBooks' changes with one CDC request per run.
    assert hourly["feeds"]["invoices"]["by_kind"]["cdc"] == 1, hourly
    table = io.StringIO()
    bench_run.print_table(report["ratios"], out=table)
    assert "entity writes per QuickBooks HTTP request" in table.getvalue()


def test_sliding_window_rate_ignores_edge_bursts() -> None:
    from bench.probe import Event, writes_per_minute  # noqa: PLC0415

    # Bursts of 300 writes at t = 0, 60, 120, 180 (a limiter at the ceiling, minute = 60 s).
    events = [Event(float(t), "batch", writes=300) for t in (0, 60, 120, 180)]
    sliding, over_span = writes_per_minute(events, 60.0)
    assert sliding == 300.0
    assert over_span == 400.0  # the naive figure counts one burst too many
    assert writes_per_minute([], 60.0) == (0.0, 0.0)
