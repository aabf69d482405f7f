"""Rotating refresh tokens across runs and concurrent feeds.

QuickBooks rotates the refresh token on every refresh and the previous one stops
working; Meltano hands each run a freshly generated config holding the *initial*
token. The token store must carry every rotation from run to run, and two feeds
refreshing at the same moment must not lose one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import (
    NO_LIMITS,
    meltano_popen,
    meltano_run,
    run_target,
    target_config,
    write_config,
)

from tests.harness import MeltanoProject, bookable_invoices

SCHEMA = {"type": "SCHEMA", "stream": "products", "key_properties": ["sku"],
          "schema": {"type": "object", "properties": {
              "sku": {"type": "string"}, "name": {"type": "string"},
              "type": {"type": "string"}, "price": {"type": "number"}}}}


def product(n: int) -> dict:
    return {"type": "RECORD", "stream": "products",
            "record": {"sku": f"ROT-{n:02d}", "name": f"Rotation {n}", "type": "virtual",
                       "price": 1.5}}


def test_twenty_consecutive_runs_with_a_token_rotated_on_every_refresh(tmp_path: Path) -> None:
    # Each run starts with the stored access token expired (as after an hour between
    # scheduled runs): its first request gets a 401 and the run refreshes. Every third
    # run the new token dies again in the middle of the run.
    with QuickBooksEmulator(**NO_LIMITS) as qbo:
        config = target_config(qbo, tmp_path, max_requests_per_second=100)
        store = Path(config["token_store_path"])
        rotations = set()
        state = None
        for run_number in range(1, 21):
            # Meltano regenerates the config every run: always the initial token.
            config_path = write_config(tmp_path, config, name=f"config-{run_number}.json")
            if run_number > 1:
                qbo.inject_fault("expire_access_token", count=1)
            if run_number % 3 == 0:
                qbo.inject_fault("expire_access_token", count=1, path_contains="/batch")
            run = run_target(config_path, [SCHEMA, product(run_number)], state=state)
            assert run.returncode == 0, f"run {run_number}: {run.stderr[-3000:]}"
            state = run.last_state
            saved = json.loads(store.read_text())["realms"][qbo.realm_id]
            assert saved["refresh_token"] == qbo.current_refresh_token()
            rotations.add(saved["refresh_token"])
            assert store.stat().st_mode & 0o777 == 0o600
        assert len(rotations) == 20  # at least one rotation per run, none lost
        assert qbo.current_refresh_token() != config["refresh_token"]
        assert qbo.stats()["by_status"].get("401", 0) == 19 + 6
        assert sorted(i["Sku"] for i in qbo.entities("Item") if i.get("Sku")) == [
            f"ROT-{n:02d}" for n in range(1, 21)]
        # Atomic writes: nothing but the store, the company's shared limits (both written
        # by rename) and their lock files in the directory; no temp file left behind.
        limits = f"quickbooks-limits-{qbo.realm_id}.json"
        assert sorted(p.name for p in store.parent.iterdir()) == sorted([
            store.name, store.name + ".lock", limits, limits + ".lock"])


@pytest.fixture
def short_token_project(
    tmp_path: Path,
) -> Iterator[tuple[MeltanoProject, QuickBooksEmulator, MyFulfillmentEmulator]]:
    # Access tokens of 30 s are always inside the 60 s margin: every request of both
    # feeds refreshes, so their rotations interleave for the whole run.
    with MyFulfillmentEmulator(dataset="demo") as mf, \
            QuickBooksEmulator(access_token_ttl=30, **NO_LIMITS) as qbo:
        project = MeltanoProject(workdir=tmp_path, mf_url=mf.url, qbo_api_url=qbo.api_url,
                                 qbo_discovery_url=qbo.discovery_url,
                                 extra_env={"TARGET_QUICKBOOKS_BATCH_SIZE": "8"})
        yield project, qbo, mf


@pytest.mark.e2e
def test_two_feeds_started_together_share_the_token_store(
    short_token_project: tuple[MeltanoProject, QuickBooksEmulator, MyFulfillmentEmulator],
) -> None:
    project, qbo, mf = short_token_project
    # The system database exists in any real deployment (two Meltano processes cannot
    # both create a fresh one).
    assert meltano_run(project, "state", "list").returncode == 0
    feeds = [meltano_popen(project, "run", job)
             for job in ("create-products", "export-customers")]
    results = [(proc.returncode, *proc.communicate(timeout=300)) for proc in feeds]
    for proc, (_, _, err) in zip(feeds, results, strict=True):
        assert proc.returncode == 0, err[-5000:]
    refreshes = qbo.stats()["by_kind"]["token"]
    assert refreshes >= 10, refreshes
    saved = json.loads(project.token_store.read_text())["realms"][qbo.realm_id]
    assert saved["refresh_token"] == qbo.current_refresh_token()
    # A later run still works with the rotated token (the config's is long dead).
    later = meltano_run(project, "run", "export-invoices")
    assert later.returncode == 0, later.stderr[-5000:]
    # Every demo invoice but those canceled at the source (never booked).
    assert len(qbo.entities("Invoice")) == len(bookable_invoices(mf))
