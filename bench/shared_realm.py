"""Four feeds of one company started at the same minute: do they stay within its limits?

Under Airflow or cron the hourly feeds fire together. Each target process alone
respects QuickBooks' limits; four together only do when they share them
(``shared_rate_limit``, a file beside the common token store). The scenario records
the tap's Singer output once, splits its products into four disjoint feeds, and
starts four ``target-quickbooks`` processes on them at once, all with one
``token_store_path`` and realm, against the QuickBooks emulator with its throttle
on. It reports the 429s they caused (no other app is on the realm, so every one is
self-caused) and their combined entity writes per emulated minute, against the
ceiling of 1,200 (40 batches of 30). The same feeds with ``shared_rate_limit: false``
are the baseline: what the issue saw.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from bench.probe import QboProbe
from bench.procs import VENV_BIN, ChildRun, run_child, write_json
from bench.scenarios import (
    Profile,
    outcome_totals,
    qbo_emulator,
    summarise_writes,
    target_config,
    write_workload,
)

FEEDS = 4


def split_products(source: Path, workdir: Path, feeds: int = FEEDS) -> list[Path]:
    """Split a recorded tap output into ``feeds`` files of disjoint products.

    Each file gets the products SCHEMA and every ``feeds``-th products RECORD; the
    other streams and the tap's STATE messages are left out.
    """
    paths = [workdir / f"feed-{i + 1}.singer" for i in range(feeds)]
    handles = [open(path, "w", encoding="utf-8") for path in paths]  # noqa: SIM115
    try:
        records = 0
        with open(source, encoding="utf-8") as lines:
            for line in lines:
                message = json.loads(line)
                if message.get("stream") != "products":
                    continue
                if message.get("type") == "RECORD":
                    handles[records % feeds].write(line)
                    records += 1
                else:
                    for handle in handles:
                        handle.write(line)
    finally:
        for handle in handles:
            handle.close()
    return paths


def run_together(configs: list[dict[str, Any]], inputs: list[Path],
                 workdir: Path, name: str) -> list[tuple[ChildRun, Path]]:
    """Start one target process per input at the same moment; wait for all of them."""
    results: list[tuple[ChildRun, Path] | None] = [None] * len(inputs)
    start = threading.Barrier(len(inputs))

    def one(index: int) -> None:
        config = write_json(workdir / f"{name}-{index + 1}.target.json", configs[index])
        output = workdir / f"{name}-{index + 1}.target-out.jsonl"
        start.wait()
        run = run_child([str(VENV_BIN / "target-quickbooks"), "--config", str(config)],
                        stdin=inputs[index], stdout=output, cwd=workdir)
        results[index] = (run, output)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [result for result in results if result is not None]


def _last_state(output: Path) -> dict[str, Any]:
    lines = output.read_text(encoding="utf-8").splitlines()
    return json.loads(lines[-1]) if lines else {}


def feeds_run(profile: Profile, inputs: list[Path], workdir: Path, *,
              shared: bool) -> dict[str, Any]:
    """The four feeds against a fresh throttled emulator; figures of the run."""
    name = "shared" if shared else "unshared"
    run_dir = workdir / name
    run_dir.mkdir(parents=True, exist_ok=True)
    with qbo_emulator(profile) as qbo:
        probe = QboProbe(qbo).install()
        config = target_config(qbo, run_dir, profile, shared_rate_limit=shared)
        runs = run_together([config] * len(inputs), inputs, run_dir, name)
        figures = summarise_writes(probe, qbo, profile)
        items = len(qbo.entities("Item")) - 2  # minus the seeded Shipping and Adjustment
    failed = 0
    for _, output in runs:
        outcomes = outcome_totals(_last_state(output))
        failed += outcomes.get("rejected", 0) + outcomes.get("deferred", 0)
    return {
        "returncodes": [run.returncode for run, _ in runs],
        "seconds": round(max(run.seconds for run, _ in runs), 1),
        "failed_records": failed,
        "items_in_quickbooks": items,
        **figures,
        "stderr_tail": next((run.stderr[-1500:] for run, _ in runs if run.returncode), ""),
    }


def four_feeds(profile: Profile, workdir: Path) -> dict[str, Any]:
    """Four target processes of one realm at once, shared limits; then without sharing."""
    recorded = write_workload(profile, workdir, profile.four_feed_products, "four-feeds")
    inputs = split_products(recorded, workdir)
    results: dict[str, Any] = {"feeds": FEEDS, "products": profile.four_feed_products,
                               "shared": feeds_run(profile, inputs, workdir, shared=True)}
    if profile.four_feed_baseline:
        results["unshared"] = feeds_run(profile, inputs, workdir, shared=False)
    return results
