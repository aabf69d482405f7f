"""QuickBooks reads of an hourly run in which nothing changed, per feed.

Reads cost money: under Intuit's App Partner Program, queries, reads and change
data capture are metered "CorePlus" calls (500,000 a month in the Builder tier).
Each feed (products, customers, invoices, credit memos: one Meltano state each)
is first synced, then run again with its state and nothing new at the source, as
the hourly schedule does; this counts the QuickBooks emulator's metered requests
of that second run: ``read`` + ``query`` + ``cdc``, plus every operation of any
batch (a batch may carry queries). Goal: at most 2 per feed (a document feed
makes one CDC request to learn what was deleted or edited in QuickBooks).

    .venv/bin/python -m bench.run --only hourly_reads --profile smoke
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.procs import filter_streams
from bench.scenarios import (
    Profile,
    mf_emulator,
    qbo_emulator,
    run_tap,
    run_target,
    target_config,
)

#: The feeds, in the order a first sync needs them (documents need items and customers).
FEEDS = ("products", "customers", "invoices", "credit_memos")
STREAMS = {*FEEDS, "orders"}
#: Catalog size: the figure does not depend on it (that is the point), keep it quick.
PRODUCTS = 300
#: Metered reads of a no-change hourly run allowed per feed.
GOAL = 2


def metered_reads(stats: dict[str, Any]) -> int:
    """QuickBooks requests a Builder-tier app pays for, from the emulator's counters."""
    by_kind = stats["by_kind"]
    return int(by_kind["read"] + by_kind["query"] + by_kind["cdc"]
               + by_kind["batch_operations"])


def hourly_reads(profile: Profile, workdir: Path) -> dict[str, Any]:
    """First sync of each feed, then a no-change hourly run: its metered QuickBooks reads."""
    feeds: dict[str, Any] = {}
    with mf_emulator(profile, PRODUCTS) as mf, qbo_emulator(profile) as qbo:
        _, full = run_tap(mf, workdir, "hourly-first-tap")
        for feed in FEEDS:
            first_input = workdir / f"hourly-{feed}-first.singer"
            filter_streams(full, first_input, STREAMS - {feed})
            config = target_config(qbo, workdir, profile)
            first, state = run_target(config, first_input, workdir, f"hourly-{feed}-first")
            _, again = run_tap(mf, workdir, f"hourly-{feed}-tap", state=state)
            hourly_input = workdir / f"hourly-{feed}-hourly.singer"
            records = filter_streams(again, hourly_input, STREAMS - {feed})
            qbo.reset_stats()
            hourly, _ = run_target(config, hourly_input, workdir, f"hourly-{feed}-hourly")
            stats = qbo.stats()
            feeds[feed] = {
                "first_returncode": first.returncode,
                "returncode": hourly.returncode,
                "records_in": records,
                "metered_reads": metered_reads(stats),
                "by_kind": {kind: stats["by_kind"][kind]
                            for kind in ("read", "query", "cdc", "batch", "batch_operations",
                                         "create", "update")},
            }
    return {"products": PRODUCTS, "goal": GOAL, "feeds": feeds,
            "max_metered_reads": max(feed["metered_reads"] for feed in feeds.values())}
