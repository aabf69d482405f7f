"""Smoke run of the benchmark (`make bench`) at tiny sizes: it runs and yields every ratio.

No timed assertions: the figures depend on the machine. The full benchmark is
`make bench`; its results are in bench/RESULTS.md.
"""

from __future__ import annotations

import io
from pathlib import Path

from target_quickbooks.reconcile.model import CREDIT_MEMO_ENTITIES, INVOICE_ENTITIES

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
    "four feeds of one realm: self-caused 429s",
    "four feeds of one realm: combined writes per minute / ceiling",
    "payments per batch request (paid invoices)",
    "reconcile: QuickBooks requests",
    "reconcile: differences found in matching books",
    "reconcile: seconds (emulated QuickBooks latency included)",
    "peak RSS reconcile",
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
    payments = report["results"]["payments"]
    # Every paid invoice got its payment, in full batches.
    assert payments["returncode"] == 0, payments["stderr_tail"]
    assert payments["payments_written"] == payments["invoices"] == payments["invoices_settled"]
    assert payments["payments_per_batch_request"] >= 25
    feeds = report["results"]["four_feeds"]
    # Four processes of one realm, started together, wrote every product between them.
    for run in (feeds["shared"], feeds["unshared"]):
        assert run["returncodes"] == [0, 0, 0, 0], run["stderr_tail"]
        assert run["items_in_quickbooks"] == sc.SMOKE.four_feed_products
    reconcile = report["results"]["reconcile_reads"]
    # Books seeded to match (more than one 1,000-row page per entity): reconcile says so,
    # reading them in pages, without a write.
    assert reconcile["returncode"] == 0 and reconcile["differences"] == 0, reconcile
    assert reconcile["report_documents"][0] == sc.SMOKE.reconcile_documents
    # Pages of 1,000 rows: at most one part-filled page per entity read (Invoice,
    # CreditMemo, RefundReceipt).
    entities = len(INVOICE_ENTITIES + CREDIT_MEMO_ENTITIES)
    assert reconcile["by_kind"]["query"] <= sc.SMOKE.reconcile_documents // 1000 + entities, \
        reconcile
    assert reconcile["company_posts"] == 0
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


def test_recorded_input_is_split_into_disjoint_product_feeds(tmp_path: Path) -> None:
    import json  # noqa: PLC0415

    from bench.shared_realm import split_products  # noqa: PLC0415

    messages = [{"type": "SCHEMA", "stream": "products", "schema": {}, "key_properties": []},
                *({"type": "RECORD", "stream": "products", "record": {"sku": f"S{i}"}}
                  for i in range(10)),
                {"type": "RECORD", "stream": "customers", "record": {"id": 1}},
                {"type": "STATE", "value": {"bookmarks": {}}}]
    source = tmp_path / "tap.singer"
    source.write_text("".join(json.dumps(m) + "\n" for m in messages))
    feeds = [[json.loads(line) for line in path.read_text().splitlines()]
             for path in split_products(source, tmp_path)]
    assert len(feeds) == 4
    assert all(feed[0]["type"] == "SCHEMA" for feed in feeds)
    skus = [m["record"]["sku"] for feed in feeds for m in feed[1:]]
    assert sorted(skus) == sorted(f"S{i}" for i in range(10))  # each product in one feed
    assert [len(feed) - 1 for feed in feeds] == [3, 3, 2, 2]
