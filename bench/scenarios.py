"""The benchmark's scenarios: each starts its emulators, drives the real executables, measures.

Time is compressed by ``Profile.time_scale``: both emulators and the target's rate
limiter (``rate_limit_time_scale``) run their windows that many times faster, and
the emulators' latencies are divided by it, so one emulated minute lasts
``60 / time_scale`` real seconds and every ratio is in emulated minutes.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator

from bench.probe import QboProbe, writes_per_minute
from bench.procs import VENV_BIN, ChildRun, filter_streams, last_state, run_child, write_json

#: QuickBooks' limits per realm (reference/quickbooks-online.md) and the batch size.
PER_MINUTE, PER_SECOND, BATCH_PER_MINUTE, MAX_CONCURRENT, BATCH_ITEMS = 500, 10, 40, 10, 30
#: Entity writes per minute QuickBooks allows at most: 40 batches of 30 operations.
CEILING_PER_MINUTE = BATCH_PER_MINUTE * BATCH_ITEMS
#: Page size of the tap (its default) and the myFulfillment rate limit assumed.
MF_RATE_LIMIT_PER_MINUTE = 600
PROJECT_ROOT = Path(__file__).resolve().parent.parent
REALM = "9130350000000001"


@dataclass(frozen=True)
class Profile:
    """Sizes and speeds of one benchmark run (``full`` for ``make bench``, ``smoke`` for tests)."""

    name: str
    time_scale: float
    qbo_latency_ms: float  # per request, in QuickBooks time (divided by time_scale)
    mf_latency_ms: float
    write_products: int
    naive_products: int
    contention_products: int
    tap_sizes: tuple[int, int]
    changes: int
    hammer_batches_per_minute: int
    target_batch_size: int | None = None  # None: the target's default
    four_feed_products: int = 0  # split into four feeds of one realm (bench/shared_realm.py)
    four_feed_baseline: bool = True  # also run the four feeds without shared limits
    reconcile_documents: int = 0  # seeded on both sides for reconcile (bench/reconcile_reads.py)


FULL = Profile("full", time_scale=3.0, qbo_latency_ms=1000, mf_latency_ms=200,
               write_products=4800, naive_products=1500, contention_products=2400,
               tap_sizes=(10_000, 100_000), changes=50, hammer_batches_per_minute=15,
               four_feed_products=4800, reconcile_documents=100_000)
#: A merchant-sized first sync (``make bench-large``, bulk_write only): 24,000 products
#: are 20 minutes at QuickBooks' ceiling, compressed 6x into about 3.5 real minutes.
LARGE = dataclasses.replace(FULL, name="large", time_scale=6.0, write_products=24_000)
SMOKE = Profile("smoke", time_scale=30.0, qbo_latency_ms=300, mf_latency_ms=50,
                write_products=90, naive_products=40, contention_products=60,
                tap_sizes=(300, 900), changes=5, hammer_batches_per_minute=15,
                four_feed_products=240, reconcile_documents=2500)


def tap_config(mf: MyFulfillmentEmulator) -> dict[str, Any]:
    """tap-myfulfillment settings for an emulator."""
    return {"base_url": mf.url, "username": "demo", "password": "demo-password"}


def target_config(qbo: QuickBooksEmulator, workdir: Path, profile: Profile,
                  **extra: Any) -> dict[str, Any]:
    """target-quickbooks settings for an emulator (the fixture company of the docs)."""
    return {
        "client_id": "demo-client-id", "client_secret": "demo-client-secret",
        "refresh_token": "demo-refresh-token", "realm_id": REALM,
        "api_url": qbo.api_url, "oauth_discovery_url": qbo.discovery_url,
        "token_store_path": str(workdir / f"tokens-{qbo.port}.json"),
        "income_account": "79", "service_income_account": "1", "expense_account": "80",
        "asset_account": "81", "discount_account": "86", "tax_code": "3",
        "tax_code_map": {"20": "3", "10": "4", "5.5": "5", "0": "6"},
        "inventory_start_date": "2026-01-01",
        "max_requests_per_minute": PER_MINUTE, "max_requests_per_second": PER_SECOND,
        "max_batch_requests_per_minute": BATCH_PER_MINUTE,
        "max_concurrent_requests": MAX_CONCURRENT,
        "rate_limit_time_scale": profile.time_scale,
        **({"batch_size": profile.target_batch_size} if profile.target_batch_size else {}),
        **extra,
    }


def qbo_emulator(profile: Profile, *, limits: bool = True) -> QuickBooksEmulator:
    """A QuickBooks emulator with QuickBooks' limits, compressed time and latency."""
    if not limits:
        return QuickBooksEmulator(per_minute=None, per_second=None, batch_per_minute=None,
                                  max_concurrent=None)
    return QuickBooksEmulator(
        per_minute=PER_MINUTE, per_second=PER_SECOND, batch_per_minute=BATCH_PER_MINUTE,
        max_concurrent=MAX_CONCURRENT, time_scale=profile.time_scale,
        latency_ms=profile.qbo_latency_ms / profile.time_scale)


def mf_emulator(profile: Profile, products: int) -> MyFulfillmentEmulator:
    """A myFulfillment emulator with a generated catalog, latency and a rate limit."""
    return MyFulfillmentEmulator(
        dataset=f"scale:{products}", latency_ms=profile.mf_latency_ms / profile.time_scale,
        rate_limit_per_minute=MF_RATE_LIMIT_PER_MINUTE, time_scale=profile.time_scale)


def run_tap(mf: MyFulfillmentEmulator, workdir: Path, name: str,
            state: dict[str, Any] | None = None) -> tuple[ChildRun, Path]:
    """Run tap-myfulfillment against ``mf``; return the run and its Singer output file."""
    config = write_json(workdir / f"{name}.tap.json", tap_config(mf))
    args = [str(VENV_BIN / "tap-myfulfillment"), "--config", str(config)]
    if state is not None:
        args += ["--state", str(write_json(workdir / f"{name}.state.json", state))]
    output = workdir / f"{name}.singer"
    run = run_child(args, stdin=None, stdout=output, cwd=workdir)
    if run.returncode != 0:
        raise RuntimeError(f"tap-myfulfillment ({name}) exited {run.returncode}:\n"
                           f"{run.stderr[-4000:]}")
    return run, output


def run_target(config: dict[str, Any], singer_input: Path, workdir: Path,
               name: str) -> tuple[ChildRun, dict[str, Any]]:
    """Run target-quickbooks on a Singer file; return the run and its final state."""
    config_path = write_json(workdir / f"{name}.target.json", config)
    output = workdir / f"{name}.target-out.jsonl"
    run = run_child([str(VENV_BIN / "target-quickbooks"), "--config", str(config_path)],
                    stdin=singer_input, stdout=output, cwd=workdir)
    return run, last_state(output)


def target_entry(state: dict[str, Any]) -> dict[str, Any]:
    """The target's own entry of a state (results, pending, ID map)."""
    return dict((state.get("bookmarks") or {}).get("target-quickbooks") or {})


def outcome_totals(state: dict[str, Any]) -> dict[str, int]:
    """Sum of the target's per-stream outcomes (created, updated, rejected...)."""
    totals: dict[str, int] = {}
    for counts in (target_entry(state).get("results") or {}).values():
        for outcome, count in counts.items():
            totals[outcome] = totals.get(outcome, 0) + int(count)
    return totals


def list_requests(stats: dict[str, Any], path: str = "/catalog-product/products") -> int:
    """Requests a myFulfillment emulator answered on one list endpoint."""
    return int((stats.get("by_path") or {}).get(path, 0))


def count_records(singer_output: Path, stream: str) -> int:
    """RECORD messages of ``stream`` in a Singer file."""
    with open(singer_output, encoding="utf-8") as lines:
        return sum(1 for line in lines
                   if '"RECORD"' in line[:30] and f'"{stream}"' in line[:60])


def count_lines(path: Path) -> int:
    """Lines of a file (a target's output: one state per line)."""
    with open(path, encoding="utf-8") as lines:
        return sum(1 for _ in lines)


# --------------------------------------------------------------------------- scenarios


def tap_and_memory(profile: Profile, workdir: Path) -> dict[str, Any]:
    """Full scan vs incremental run, and peak RSS of tap and target, at two catalog sizes."""
    results: dict[str, Any] = {}
    for size in profile.tap_sizes:
        with mf_emulator(profile, size) as mf:
            full, output = run_tap(mf, workdir, f"tap-full-{size}")
            full_stats = mf.stats()
            state = last_state(output)
            mf.reset_stats()
            for i in range(1, profile.changes + 1):
                product = mf.store.collection("products").get(1 + (i * 7919) % size)
                mf.store.touch_product(product["sku"], price="12.34")
            incremental, inc_output = run_tap(mf, workdir, f"tap-inc-{size}", state)
            inc_stats = mf.stats()
        products_in = workdir / f"products-{size}.singer"
        records = filter_streams(output, products_in,
                                 {"orders", "customers", "invoices", "credit_memos"})
        target = target_memory(profile, workdir, products_in, size)
        changed = count_records(inc_output, "products")
        results[str(size)] = {
            "products": size,
            "records_to_target": records,
            "tap_full": {"list_requests": list_requests(full_stats),
                         "rate_limited": full_stats["rate_limited"],
                         "seconds": round(full.seconds, 1),
                         "peak_rss_mb": round(full.peak_rss_mb, 1)},
            "tap_incremental": {"changed": profile.changes, "records": changed,
                                "list_requests": list_requests(inc_stats),
                                "all_requests": inc_stats["requests"],
                                "rate_limited": inc_stats["rate_limited"],
                                "seconds": round(incremental.seconds, 1),
                                "peak_rss_mb": round(incremental.peak_rss_mb, 1)},
            **target,
        }
    return results


def target_memory(profile: Profile, workdir: Path, singer_input: Path,
                  size: int) -> dict[str, Any]:
    """Peak RSS of the target on a whole catalog: first sync (dry run) and mapped rerun.

    Writing 100,000 items for real would take 83 emulated minutes at QuickBooks'
    ceiling, so memory is measured on the two runs that read the whole catalog
    without writing it: a ``dry_run`` first sync (maps, validates and looks up every
    product) and a ``create-products`` run whose state already maps every SKU (the
    target keeps and re-emits a 100,000-entry ID map).
    """
    with qbo_emulator(profile, limits=False) as qbo:
        dry, dry_state = run_target(
            target_config(qbo, workdir, profile, dry_run=True, rate_limit_time_scale=1000),
            singer_input, workdir, f"memory-dry-{size}")
        mapped_input = workdir / f"products-mapped-{size}.singer"
        with open(singer_input, encoding="utf-8") as fin, \
                open(mapped_input, "w", encoding="utf-8") as fout:
            items = {}
            lines = fin.readlines()
            for line in lines:
                message = json.loads(line)
                if message.get("type") == "RECORD" and message.get("stream") == "products":
                    items[message["record"]["sku"]] = f"{900_000 + len(items)}:0:00000000"
            entry = {"realm_id": REALM, "v": 1, "items": items}
            fout.write(json.dumps({"type": "STATE",
                                   "value": {"bookmarks": {"target-quickbooks": entry}}}) + "\n")
            fout.writelines(lines)
            del lines
        mapped, mapped_state = run_target(
            target_config(qbo, workdir, profile, product_mode="create",
                          rate_limit_time_scale=1000),
            mapped_input, workdir, f"memory-mapped-{size}")
    for label, run in (("dry run", dry), ("mapped rerun", mapped)):
        if run.returncode != 0:
            raise RuntimeError(f"target {label} at {size} exited {run.returncode}:\n"
                               f"{run.stderr[-4000:]}")
    return {
        "target_first_sync_dry_run": {"peak_rss_mb": round(dry.peak_rss_mb, 1),
                                      "seconds": round(dry.seconds, 1),
                                      "outcomes": outcome_totals(dry_state)},
        "target_mapped_rerun": {"peak_rss_mb": round(mapped.peak_rss_mb, 1),
                                "seconds": round(mapped.seconds, 1),
                                "outcomes": outcome_totals(mapped_state),
                                "state_lines": count_lines(
                                    workdir / f"memory-mapped-{size}.target-out.jsonl")},
    }


def write_workload(profile: Profile, workdir: Path, products: int, name: str) -> Path:
    """The Singer input of a first sync: products, customers, invoices, credit memos."""
    with mf_emulator(profile, products) as mf:
        _, output = run_tap(mf, workdir, f"{name}-tap")
    singer_input = workdir / f"{name}.singer"
    filter_streams(output, singer_input, {"orders"})
    return singer_input


def summarise_writes(probe: QboProbe, qbo: QuickBooksEmulator, profile: Profile) -> dict:
    """Throughput and request figures of one write run, from the probe and the emulator."""
    events = probe.snapshot()
    minute = 60.0 / profile.time_scale
    sliding, naive = writes_per_minute(events, minute)
    stats = qbo.stats()
    by_kind = stats["by_kind"]
    http_requests = sum(by_kind[k] for k in ("create", "update", "delete", "read", "query",
                                             "cdc", "batch"))
    writes = sum(event.writes for event in events)
    query_requests = sum(1 for event in events if event.queries and not event.writes)
    statements = sum(event.queries for event in events)
    write_events = [event.at for event in events if event.writes]
    return {
        "entity_writes": writes,
        "writes_per_minute": round(sliding, 1),
        "writes_per_minute_over_span": round(naive, 1),
        "write_phase_minutes": round((write_events[-1] - write_events[0]) / minute, 2)
        if write_events else 0.0,
        "qbo_http_requests": http_requests,
        "batch_requests": by_kind["batch"],
        "query_requests": query_requests,
        "query_statements": statements,
        "read_requests": by_kind["read"],
        "cdc_requests": by_kind["cdc"],
        "throttled_429": stats["throttled"],
        "replayed": stats["replayed"],
    }


def bulk_write(profile: Profile, workdir: Path) -> dict[str, Any]:
    """First sync through target-quickbooks at QuickBooks' limits, then an unchanged rerun."""
    singer_input = write_workload(profile, workdir, profile.write_products, "bulk")
    with qbo_emulator(profile) as qbo:
        probe = QboProbe(qbo).install()
        config = target_config(qbo, workdir, profile)
        run, state = run_target(config, singer_input, workdir, "bulk-first")
        first = summarise_writes(probe, qbo, profile)
        items = len(qbo.entities("Item")) - 2  # minus the seeded Shipping and Adjustment
        # The hourly rerun: same records, with the state the first run emitted.
        rerun_input = workdir / "bulk-rerun.singer"
        with open(rerun_input, "w", encoding="utf-8") as fout:
            fout.write(json.dumps({"type": "STATE", "value": state}) + "\n")
            fout.write(singer_input.read_text(encoding="utf-8"))
        qbo.reset_stats()
        probe.events.clear()
        rerun, rerun_state = run_target(config, rerun_input, workdir, "bulk-rerun")
        second = summarise_writes(probe, qbo, profile)
    outcomes = outcome_totals(state)
    return {
        "products": profile.write_products,
        "returncode": run.returncode,
        "seconds": round(run.seconds, 1),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "outcomes": outcomes,
        "failed_records": outcomes.get("rejected", 0) + outcomes.get("deferred", 0),
        "items_in_quickbooks": items,
        "looked_up_records": outcomes.get("created", 0) + outcomes.get("updated", 0)
        + outcomes.get("unchanged", 0),
        **first,
        "rerun": {"returncode": rerun.returncode, "outcomes": outcome_totals(rerun_state),
                  **{k: second[k] for k in ("entity_writes", "qbo_http_requests",
                                            "query_requests", "read_requests", "cdc_requests",
                                            "throttled_429")}},
        "stderr_tail": run.stderr[-1500:] if run.returncode else "",
    }


def naive_baseline(profile: Profile, workdir: Path) -> dict[str, Any]:
    """The same products written one request per entity, at the same limits."""
    singer_input = write_workload(profile, workdir, profile.write_products, "naive")
    with qbo_emulator(profile) as qbo:
        probe = QboProbe(qbo).install()
        config = write_json(workdir / "naive.json", target_config(qbo, workdir, profile))
        output = workdir / "naive.out.json"
        run = run_child([str(VENV_BIN / "python"), "-m", "bench.naive_writer",
                         "--config", str(config), "--input", str(singer_input),
                         "--limit", str(profile.naive_products),
                         "--concurrency", str(MAX_CONCURRENT)],
                        stdin=None, stdout=output, cwd=PROJECT_ROOT)
        if run.returncode != 0:
            raise RuntimeError(f"naive writer exited {run.returncode}:\n{run.stderr[-4000:]}")
        summary = json.loads(output.read_text(encoding="utf-8"))
        figures = summarise_writes(probe, qbo, profile)
    return {"products": profile.naive_products, "writer": summary, **figures}


class OtherApp(threading.Thread):
    """Another app on the same realm (its own OAuth grant) spending the shared quota.

    It sends query-only batch requests at ``batches_per_minute`` and one plain
    query per emulated second, ignoring its own 429s, until stopped.
    """

    def __init__(self, qbo: QuickBooksEmulator, profile: Profile) -> None:
        super().__init__(name="other-app", daemon=True)
        self.qbo = qbo
        self.profile = profile
        self.stop_event = threading.Event()
        self.sent = 0
        self.refused = 0

    def _token(self) -> str:
        redirect = "http://127.0.0.1/other-app"
        response = requests.get(f"{self.qbo.url}/oauth2/v1/authorize", params={
            "client_id": "demo-client-id", "redirect_uri": redirect, "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting", "state": "x"},
            allow_redirects=False, timeout=30)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(
            response.headers["Location"]).query)["code"][0]
        token = requests.post(f"{self.qbo.url}/oauth2/v1/tokens/bearer", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
            auth=("demo-client-id", "demo-client-secret"), timeout=30)
        token.raise_for_status()
        return str(token.json()["access_token"])

    def run(self) -> None:
        """Send until stopped."""
        session = requests.Session()
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        base = f"{self.qbo.api_url}/company/{REALM}"
        second = 1.0 / self.profile.time_scale
        batch_every = 60.0 / self.profile.hammer_batches_per_minute
        next_batch = 0.0
        tick = 0.0
        body = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM TaxCode"}]}
        while not self.stop_event.wait(second):
            tick += 1.0
            calls = [("GET", f"{base}/companyinfo/{REALM}", None)]
            if tick >= next_batch:
                next_batch = tick + batch_every
                calls.append(("POST", f"{base}/batch", body))
            for method, url, payload in calls:
                response = session.request(method, url, json=payload, headers=headers,
                                           params={"minorversion": "75"}, timeout=30)
                self.sent += 1
                self.refused += response.status_code == 429


def contention(profile: Profile, workdir: Path) -> dict[str, Any]:
    """A first sync while another app on the realm causes 429s: the target must recover."""
    singer_input = write_workload(profile, workdir, profile.contention_products, "contention")
    with qbo_emulator(profile) as qbo:
        other = OtherApp(qbo, profile)
        other.start()
        time.sleep(2 * 60.0 / profile.time_scale / 60)  # let it start spending quota
        run, state = run_target(target_config(qbo, workdir, profile), singer_input, workdir,
                                "contention")
        other.stop_event.set()
        other.join(timeout=30)
        stats = qbo.stats()
        items = len(qbo.entities("Item")) - 2
    outcomes = outcome_totals(state)
    retries = next((line for line in run.stderr.splitlines()
                    if "QuickBooks requests:" in line), "")
    return {
        "products": profile.contention_products,
        "returncode": run.returncode,
        "outcomes": outcomes,
        "failed_records": outcomes.get("rejected", 0) + outcomes.get("deferred", 0),
        "items_in_quickbooks": items,
        "throttled_429_total": stats["throttled"],
        "other_app_requests": other.sent,
        "other_app_refused": other.refused,
        "target_client_stats": retries.split("QuickBooks requests:", 1)[-1].strip(),
        "seconds": round(run.seconds, 1),
        "stderr_tail": run.stderr[-1500:] if run.returncode else "",
    }
