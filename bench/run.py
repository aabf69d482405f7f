"""``make bench``: run every scenario and print the issue's ratios, measured in one run.

    .venv/bin/python -m bench.run                 # full benchmark (a few minutes, 2 cores)
    .venv/bin/python -m bench.run --profile smoke # tiny sizes (the test suite's smoke run)
    .venv/bin/python -m bench.run --json bench-results.json

Every figure comes from this run: the emulators count requests, a probe times the
QuickBooks emulator's writes, and each child process's peak RSS comes from ``wait4``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import scenarios as sc
from bench.hourly_reads import hourly_reads
from bench.payments import payment_batches
from bench.reconcile_reads import reconcile_reads
from bench.shared_realm import four_feeds
from bench.tap_state_memory import tap_state_memory

#: Peak RSS at 10x the catalog within this factor counts as flat.
FLAT = 1.25
#: Extra peak RSS of the tap for the target's largest map that still counts as flat.
FLAT_GROWTH_MB = 10.0


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's ratios, each with its goal and whether it is met."""
    bulk, naive = results["bulk_write"], results["naive_baseline"]
    contention, tap = results["contention"], results["tap_and_memory"]
    small, large = (tap[key] for key in sorted(tap, key=int))
    ceiling = sc.CEILING_PER_MINUTE
    rows: list[dict[str, Any]] = []

    def row(name: str, value: Any, goal: str, met: bool | None, note: str = "") -> None:
        rows.append({"ratio": name, "value": value, "goal": goal, "met": met, "note": note})

    throughput = _ratio(bulk["writes_per_minute"], ceiling)
    row("entity writes per minute / ceiling (1,200)", throughput, ">= 0.9",
        throughput is not None and throughput >= 0.9,
        f"{bulk['writes_per_minute']}/min sliding window "
        f"({bulk['writes_per_minute_over_span']}/min over the span), "
        f"{bulk['write_phase_minutes']} emulated min")
    row("failed records (bulk)", bulk["failed_records"], "0", bulk["failed_records"] == 0,
        f"exit {bulk['returncode']}, {bulk['items_in_quickbooks']} items in QuickBooks")
    row("429s caused by the target (bulk)", bulk["throttled_429"], "0",
        bulk["throttled_429"] == 0)
    per_request = _ratio(bulk["entity_writes"], bulk["qbo_http_requests"])
    row("entity writes per QuickBooks HTTP request", per_request, ">= 25",
        per_request is not None and per_request >= 25,
        f"{bulk['entity_writes']} writes / {bulk['qbo_http_requests']} requests")
    per_lookup = _ratio(bulk["query_requests"], bulk["looked_up_records"])
    row("query requests per looked-up record", per_lookup, "<= 0.01",
        per_lookup is not None and per_lookup <= 0.01,
        f"{bulk['query_requests']} requests ({bulk['query_statements']} IN statements) / "
        f"{bulk['looked_up_records']} records")
    rerun = bulk["rerun"]
    row("unchanged rerun: entity writes / reads", f"{rerun['entity_writes']} / "
        f"{rerun['read_requests']}", "0 / 0",
        rerun["entity_writes"] == 0 and rerun["read_requests"] == 0,
        f"{rerun['qbo_http_requests']} requests in all, {rerun['cdc_requests']} of them CDC "
        "(the check of documents deleted or edited in QuickBooks)")
    for label, entry in (("", large), (" (smaller catalog)", small)):
        inc, full = entry["tap_incremental"], entry["tap_full"]
        value = _ratio(inc["list_requests"], full["list_requests"])
        row(f"tap list requests incremental / full scan{label}", value, "a few vs ~1,000",
            inc["list_requests"] <= 5,
            f"{inc['list_requests']} / {full['list_requests']} on {entry['products']:,} "
            f"products, {inc['records']} changed records out")
    limited = sum(entry[key]["rate_limited"] for entry in tap.values()
                  for key in ("tap_full", "tap_incremental"))
    row("myFulfillment rate-limit refusals (all tap runs)", limited, "0", limited == 0,
        f"limit {sc.MF_RATE_LIMIT_PER_MINUTE}/min assumed")
    for who, keys in (("tap", ("tap_full",)),
                      ("target", ("target_first_sync_dry_run", "target_mapped_rerun"))):
        for key in keys:
            a, b = small[key]["peak_rss_mb"], large[key]["peak_rss_mb"]
            value = _ratio(b, a)
            row(f"peak RSS {who} {key.removeprefix('target_').removeprefix('tap_')} "
                f"{large['products']:,} / {small['products']:,}", value,
                "flat (~1), <= 200 MB", max(a, b) <= 200 and (value or 0) <= FLAT,
                f"{a} MB -> {b} MB")
    carried = results["tap_state_memory"]
    sizes = sorted(carried["rss_growth_mb"], key=int)
    runs = carried["runs"]
    growth = carried["rss_growth_mb"][sizes[-1]]
    passed_once = all(runs[size]["states_with_entry"] == 1
                      and runs[size]["entry_before_first_record"]
                      and runs[size]["entry_verbatim"] for size in sizes)
    row(f"peak RSS tap with the target's {int(sizes[-1]):,}-SKU map in its state, "
        "MB more than without", growth, "flat (a few MB), map passed on once",
        growth <= FLAT_GROWTH_MB and passed_once,
        f"{runs['none']['peak_rss_mb']} MB -> {runs[sizes[-1]]['peak_rss_mb']} MB "
        f"({runs[sizes[-1]]['state_file_mb']} MB state file); map in "
        f"{runs[sizes[-1]]['states_with_entry']} STATE message(s), before the first "
        f"record: {runs[sizes[-1]]['entry_before_first_record']}")
    row("peak RSS target, bulk write run", bulk["peak_rss_mb"], "<= 200 MB",
        bulk["peak_rss_mb"] <= 200)
    hourly = results["hourly_reads"]
    row("QuickBooks metered reads of a no-change hourly run, worst feed",
        hourly["max_metered_reads"], f"<= {hourly['goal']}",
        hourly["max_metered_reads"] <= hourly["goal"]
        and all(feed["returncode"] == 0 for feed in hourly["feeds"].values()),
        ", ".join(f"{name} {feed['metered_reads']}" for name, feed in hourly["feeds"].items()))
    naive_ratio = _ratio(naive["writes_per_minute"], ceiling)
    row("naive writer: entity writes per minute / ceiling", naive_ratio, "baseline", None,
        f"{naive['writes_per_minute']}/min, {naive['entity_writes']} writes / "
        f"{naive['qbo_http_requests']} requests, {naive['throttled_429']} 429s")
    row("target / naive writes per minute", _ratio(bulk["writes_per_minute"],
                                                   naive["writes_per_minute"]), "> 1",
        bulk["writes_per_minute"] > naive["writes_per_minute"])
    row("contention: failed records with another app causing 429s",
        contention["failed_records"], "0",
        contention["failed_records"] == 0 and contention["returncode"] == 0,
        f"{contention['throttled_429_total']} 429s in all, exit {contention['returncode']}, "
        f"{contention['items_in_quickbooks']}/{contention['products']} items")
    four_feed_rows(results["four_feeds"], row)
    payments = results["payments"]
    row("payments per batch request (paid invoices)", payments["payments_per_batch_request"],
        ">= 25", (payments["payments_per_batch_request"] or 0) >= 25
        and payments["payments_written"] == payments["invoices"] == payments["invoices_settled"],
        f"{payments['payments_written']} payments / {payments['payment_batch_requests']} batch "
        f"requests, {payments['invoices_settled']}/{payments['invoices']} invoices settled, "
        f"exit {payments['returncode']}")
    reconcile_rows(results["reconcile_reads"], row)
    return rows


def four_feed_rows(feeds: dict[str, Any], row: Callable[..., None]) -> None:
    """Rows of the four-feeds-of-one-realm scenario (bench/shared_realm.py)."""
    shared = feeds["shared"]
    ok = not any(shared["returncodes"]) and shared["failed_records"] == 0
    unshared = feeds.get("unshared")
    baseline = (f"; without sharing: {unshared['throttled_429']} 429s, "
                f"{unshared['writes_per_minute']}/min" if unshared else "")
    row("four feeds of one realm: self-caused 429s", shared["throttled_429"], "0",
        shared["throttled_429"] == 0 and ok,
        f"exits {shared['returncodes']}, {shared['failed_records']} failed, "
        f"{shared['items_in_quickbooks']}/{feeds['products']} items{baseline}")
    combined = _ratio(shared["writes_per_minute"], sc.CEILING_PER_MINUTE)
    row("four feeds of one realm: combined writes per minute / ceiling", combined, ">= 0.9",
        combined is not None and combined >= 0.9,
        f"{shared['writes_per_minute']}/min sliding window "
        f"({shared['writes_per_minute_over_span']}/min over the span), "
        f"{shared['write_phase_minutes']} emulated min")


#: QuickBooks requests a reconcile may make per 1,000 documents (one 1,000-row page each),
#: plus a few of its own (company settings, the last short pages).
RECONCILE_PER_THOUSAND, RECONCILE_EXTRA = 1.0, 5


def reconcile_rows(figures: dict[str, Any], row: Callable[..., None]) -> None:
    """Rows of the reconcile-at-scale scenario (bench/reconcile_reads.py)."""
    documents = figures["documents"]
    goal = round(documents / 1000 * RECONCILE_PER_THOUSAND) + RECONCILE_EXTRA
    requests = figures["metered_reads"]
    writes = figures["company_posts"]
    row("reconcile: QuickBooks requests", requests, f"<= {goal} (~1 per 1,000 docs)",
        requests <= goal and writes == 0,
        f"{documents:,} documents; metered reads (query + read); {writes} POST to the "
        f"company API; by kind {figures['by_kind']} (token: the OAuth refresh)")
    ok = figures["differences"] == 0 and figures["returncode"] == 0
    row("reconcile: differences found in matching books", figures["differences"], "0", ok,
        f"exit {figures['returncode']}; {figures['summary']}")
    row("reconcile: seconds (emulated QuickBooks latency included)", figures["seconds"],
        "measured", None, f"{figures['source_documents']:,} source records on stdin, "
        f"{figures['quickbooks_documents']:,} QuickBooks documents")
    row("peak RSS reconcile", figures["peak_rss_mb"], "measured (MB)", None,
        "both sides held in memory: grows with the documents")


def print_table(rows: list[dict[str, Any]], out: Any = sys.stdout) -> None:
    """Print the ratios as a fixed-width table."""
    width = max(len(row["ratio"]) for row in rows)
    out.write(f"{'ratio'.ljust(width)}  {'value':>10}  {'goal':<22} met   note\n")
    out.write("-" * (width + 60) + "\n")
    for row in rows:
        met = {True: "yes", False: "NO", None: "-"}[row["met"]]
        out.write(f"{row['ratio'].ljust(width)}  {row['value']!s:>10}  {row['goal']:<22} "
                  f"{met:<5} {row['note']}\n")


PROFILES = {profile.name: profile for profile in (sc.FULL, sc.LARGE, sc.SMOKE)}
SCENARIOS: dict[str, Callable[[sc.Profile, Path], dict[str, Any]]] = {
    "bulk_write": sc.bulk_write,
    "naive_baseline": sc.naive_baseline,
    "contention": sc.contention,
    "tap_and_memory": sc.tap_and_memory,
    "tap_state_memory": tap_state_memory,
    "hourly_reads": hourly_reads,
    "four_feeds": four_feeds,
    "payments": payment_batches,
    "reconcile_reads": reconcile_reads,
}


def run(profile: sc.Profile, workdir: Path, log: Any = sys.stderr,
        only: set[str] | None = None) -> dict[str, Any]:
    """Run every scenario (or ``only`` those); return the raw results, ratios and machine."""
    results: dict[str, Any] = {}
    for name, scenario in SCENARIOS.items():
        if only and name not in only:
            continue
        started = time.monotonic()
        log.write(f"[bench] {name} ...\n")
        log.flush()
        scenario_dir = workdir / name
        scenario_dir.mkdir(parents=True, exist_ok=True)
        results[name] = scenario(profile, scenario_dir)
        log.write(f"[bench] {name} done in {time.monotonic() - started:.0f}s\n")
        log.flush()
    return {
        "profile": profile.__dict__,
        "machine": {"cpus": _cpus(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "results": results,
        "ratios": ratios(results) if len(results) == len(SCENARIOS) else [],
    }


def _cpus() -> int:
    import os  # noqa: PLC0415

    return len(os.sched_getaffinity(0))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the ratios (exit 0 even when a goal is missed)."""
    parser = argparse.ArgumentParser(description="target-quickbooks / tap-myfulfillment bench")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full",
                        help="full (make bench), large (make bench-large: with --only "
                        "bulk_write, a 24,000-product first sync) or smoke (tests)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--workdir", type=Path, help="keep the runs' files here")
    parser.add_argument("--batch-size", type=int,
                        help="target batch_size in the write scenarios (default: its own)")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS),
                        help="run only this scenario (repeatable); prints its raw figures")
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    if args.batch_size:
        profile = dataclasses.replace(profile, target_batch_size=args.batch_size)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        report = run(profile, workdir, only=set(args.only or ()))
    report["seconds"] = round(time.monotonic() - started, 1)
    sys.stdout.write(f"\nbenchmark profile {profile.name}: time_scale {profile.time_scale} "
                     f"(1 emulated minute = {60 / profile.time_scale:.1f} s), "
                     f"{report['machine']['cpus']} CPUs, {report['seconds']} s\n\n")
    if report["ratios"]:
        print_table(report["ratios"])
    else:
        sys.stdout.write(json.dumps(report["results"], indent=1, default=str) + "\n")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
