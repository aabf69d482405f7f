"""Real `meltano run`s while QuickBooks misbehaves, with QuickBooks' real rate limits.

The emulator keeps its real limits (500/min, 10/s, 40 batch/min, 10 at once) and
the target its default throttle. Injected: 5xx before the write, lost responses
after the write (the write happened, the client got a 502), a dropped connection
after the write, a 429 with ``Retry-After`` and an access token that expires in
the middle of a run. Every feed still ends with exactly one QuickBooks entity per
source record, nothing pending, and the rotated refresh token saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import QboProxy, assert_exactly_once, is_write_batch, meltano_run

from tests.harness import MeltanoProject

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[MeltanoProject, QuickBooksEmulator, QboProxy]]:
    with MyFulfillmentEmulator(dataset="demo") as mf, QuickBooksEmulator() as qbo, \
            QboProxy(qbo.url) as proxy:
        project = MeltanoProject(
            workdir=tmp_path, mf_url=mf.url, qbo_api_url=proxy.api_url,
            qbo_discovery_url=qbo.discovery_url,
            extra_env={"TARGET_QUICKBOOKS_BATCH_SIZE": "8"},  # several batches per feed
        )
        yield project, qbo, proxy


def test_feeds_survive_5xx_lost_responses_429_and_token_expiry(
    stack: tuple[MeltanoProject, QuickBooksEmulator, QboProxy], recorded: list[dict]
) -> None:
    project, qbo, proxy = stack
    batch = "/batch"
    plan = {
        "create-products": [("error_before", 503, batch), ("lost_response", 502, batch)],
        "export-customers": [("expire_access_token", 502, batch)],
        "export-invoices": [("error_before", 500, batch), ("error_before", 504, "/query"),
                            ("lost_response", 502, batch)],
        "export-credit-memos": [("lost_response", 502, batch), ("error_before", 502, batch)],
    }
    injected = 0
    logs: dict[str, str] = {}
    for job, faults in plan.items():
        for kind, status, path in faults:
            qbo.inject_fault(kind, count=1, path_contains=path, status=status)
            injected += 1
        if job == "create-products":
            dropped = proxy.arm("drop_after", 4, match=is_write_batch)
        if job == "export-customers":
            throttled = proxy.arm("throttle", 2, match=is_write_batch, retry_after="1")
        run = meltano_run(project, "run", job)
        assert run.returncode == 0, f"{job}\n{run.stderr[-5000:]}"
        logs[job] = run.stderr

    assert "HTTP 503" in logs["create-products"]
    assert "access token rejected" in logs["export-customers"]
    assert "pausing all requests 1.0s" in logs["export-customers"]  # Retry-After honoured
    assert "code 10000" in logs["export-invoices"]  # the 500's SystemFault
    assert "HTTP 504" in logs["export-invoices"]

    assert dropped.fired.is_set() and throttled.fired.is_set()
    stats = qbo.stats()
    assert stats["faults_injected"] == injected
    assert stats["replayed"] >= 3  # each lost answer came back from QuickBooks' requestid memory
    assert stats["by_status"].get("401", 0) >= 1  # the token expired mid-run, was refreshed
    assert stats["throttled"] == 0  # the target's own throttle kept it under the real limits
    assert_exactly_once(qbo, recorded)
    for feed in ("create-products", "export-customers", "export-invoices",
                 "export-credit-memos"):
        entry = project.state(feed)["singer_state"]["bookmarks"]["target-quickbooks"]
        assert entry["pending"] == {}, feed
    assert qbo.current_refresh_token() in project.token_store.read_text()
