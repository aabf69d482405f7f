"""A record QuickBooks cannot take, through real `meltano run`s and the `report` command.

It is neither dropped nor allowed to stop the others: kept in state with the
reason, retried on every run (the tap's bookmark has moved past it), counted in
the run's results, shown by `report`, and the run ends non-zero after writing
everything else so schedulers alert. A dry run writes nothing and leaves Meltano's
state as it was, so the real run after it still sees every record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import SEEDED_ITEMS, item_key, meltano_run

from tests.harness import MeltanoProject

pytestmark = pytest.mark.e2e
BAD_SKU = "LOT-MYSTERE-1"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[MeltanoProject, MyFulfillmentEmulator,
                                            QuickBooksEmulator]]:
    with MyFulfillmentEmulator(dataset="demo") as mf, QuickBooksEmulator() as qbo:
        yield (MeltanoProject(workdir=tmp_path, mf_url=mf.url, qbo_api_url=qbo.api_url,
                              qbo_discovery_url=qbo.discovery_url), mf, qbo)


def entry_of(project: MeltanoProject) -> dict:
    return project.state("create-products")["singer_state"]["bookmarks"]["target-quickbooks"]


def test_rejected_product_is_kept_retried_reported_and_written_once_fixed(
    stack: tuple[MeltanoProject, MyFulfillmentEmulator, QuickBooksEmulator],
) -> None:
    project, mf, qbo = stack
    mf.store.add_product(sku=BAD_SKU, name="Lot mystère", type="bundle", price="10.0000")
    good = {item_key(p["sku"]) for p in mf.store.products()} - {BAD_SKU}

    # Dry run: validated and mapped, nothing written, Meltano's state untouched.
    project.extra_env["TARGET_QUICKBOOKS_DRY_RUN"] = "true"
    dry = meltano_run(project, "run", "create-products")
    del project.extra_env["TARGET_QUICKBOOKS_DRY_RUN"]
    assert dry.returncode != 0  # the rejection is reported even in a dry run
    assert "DRY RUN" in dry.stderr and BAD_SKU in dry.stderr
    assert [i for i in qbo.entities("Item") if i["Name"] not in SEEDED_ITEMS] == []
    assert project.state("create-products").get("singer_state", {}).get("bookmarks",
                                                                        {}) == {}

    # Real run: everything else written, the bad one kept, the run fails loudly.
    first = meltano_run(project, "run", "create-products")
    assert first.returncode != 0
    assert "1 record(s) were rejected" in first.stderr
    assert {i.get("Sku") for i in qbo.entities("Item")} - {None} == good
    kept = entry_of(project)["pending"]["products"][BAD_SKU]
    assert (kept["status"], kept["field"], kept["attempts"]) == ("rejected", "type", 1)
    assert "'bundle'" in kept["reason"] and "stream_maps" in kept["hint"]
    assert entry_of(project)["results"]["products"]["rejected"] == 1

    report = project.meltano("invoke", "target-quickbooks:report")
    assert BAD_SKU in report.stdout and "Waiting to be retried (1 rejected" in report.stdout
    line = next(x for x in report.stdout.splitlines() if BAD_SKU in x and "type" in x)
    assert "rejected" in line and "'bundle'" in line and "stream_maps" in line

    # Next run: the tap does not send it again, the target retries it from state.
    second = meltano_run(project, "run", "create-products")
    assert second.returncode != 0
    assert entry_of(project)["pending"]["products"][BAD_SKU]["attempts"] == 2

    # Fixed at the source: written, nothing pending, the run succeeds.
    mf.store.touch_product(BAD_SKU, type="virtual")
    fixed = meltano_run(project, "run", "create-products")
    assert fixed.returncode == 0, fixed.stderr[-4000:]
    assert {i.get("Sku") for i in qbo.entities("Item")} - {None} == good | {BAD_SKU}
    assert entry_of(project)["pending"] == {}
