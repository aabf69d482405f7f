"""SIGKILL the target in the middle of real `meltano run`s, then run again.

Meltano keeps whatever state the target emitted before it died; the next run
starts from it. Kill points: after a batch QuickBooks committed (its answer lost),
before a batch is sent, and after the last batch of a feed (before its final
state). Afterwards QuickBooks holds exactly one entity per source record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import (
    NO_LIMITS,
    QboProxy,
    assert_exactly_once,
    is_write_batch,
    item_key,
    meltano_run,
    target_under,
)

from tests.harness import MeltanoProject

pytestmark = pytest.mark.e2e


def invoice_batch(method: str, path: str, body: bytes) -> bool:
    return is_write_batch(method, path, body) and b'"Invoice"' in body


def customer_batch(method: str, path: str, body: bytes) -> bool:
    return is_write_batch(method, path, body) and b'"Customer"' in body


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[MeltanoProject, QuickBooksEmulator, QboProxy]]:
    with MyFulfillmentEmulator(dataset="demo") as mf, \
            QuickBooksEmulator(**NO_LIMITS) as qbo, QboProxy(qbo.url) as proxy:
        project = MeltanoProject(
            workdir=tmp_path, mf_url=mf.url, qbo_api_url=proxy.api_url,
            qbo_discovery_url=qbo.discovery_url,
            extra_env={"TARGET_QUICKBOOKS_BATCH_SIZE": "8",
                       "TARGET_QUICKBOOKS_MAX_REQUESTS_PER_SECOND": "100"},
        )
        yield project, qbo, proxy


KILLS = [
    # (job, kill action, nth, matcher)
    ("create-products", "kill_after", 2, is_write_batch),  # batch 2 committed, answer lost
    ("sync-all", "kill_before", 1, customer_batch),         # first customers batch never sent
    ("sync-all", "kill_after", 4, invoice_batch),           # last invoices batch, before state
]


def test_sigkill_during_meltano_runs_then_rerun_writes_each_record_once(
    stack: tuple[MeltanoProject, QuickBooksEmulator, QboProxy], recorded: list[dict]
) -> None:
    project, qbo, proxy = stack
    for job, action, nth, match in KILLS:
        started: dict[str, int] = {}
        rule = proxy.arm(action, nth, match=match,
                         victim=lambda s=started: target_under(s["pid"]))
        run = meltano_run(project, "run", job, started=started)
        proxy.disarm()
        assert rule.fired.is_set(), f"{job}: kill point not reached\n{run.stderr[-3000:]}"
        assert run.returncode != 0
    # The feeds the kills interrupted never claim what QuickBooks does not have.
    items = {i["Id"] for i in qbo.entities("Item")}
    entry = project.state("create-products")["singer_state"]["bookmarks"]["target-quickbooks"]
    assert {v.split(":")[0] for v in entry["items"].values()} <= items

    done = meltano_run(project, "run", "sync-all")
    assert done.returncode == 0, done.stderr[-5000:]
    assert_exactly_once(qbo, recorded)
    for feed in ("export-customers", "export-invoices", "export-credit-memos"):
        assert project.state(feed)["singer_state"]["bookmarks"]["target-quickbooks"][
            "pending"] == {}, feed
    products_entry = project.state("create-products")["singer_state"]["bookmarks"][
        "target-quickbooks"]
    assert products_entry["pending"] == {}
    assert set(products_entry["items"]) == {item_key(m["record"]["sku"]) for m in recorded
                                            if m.get("stream") == "products"
                                            and m["type"] == "RECORD"}
