"""What the state may claim when a run stops early, and how pending records are retried.

- SIGTERM (a scheduler cancelling the run) in the middle of a batch: the target
  stops at once with a non-zero exit, and the state it leaves carries only what
  QuickBooks confirmed, with tap bookmarks no newer than the records handled.
- A fatal error after some writes keeps the pending records of earlier runs.
- A record QuickBooks refused is sent again on each run under a new request id,
  so QuickBooks does not answer with the old refusal from its requestid memory.
"""

from __future__ import annotations

import signal
import subprocess
from decimal import Decimal
from pathlib import Path

from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import (
    NO_LIMITS,
    QboProxy,
    assert_exactly_once,
    assert_state_complete,
    is_write_batch,
    item_key,
    run_target,
    target_config,
    write_config,
)
from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.state import BOOKMARK
from target_quickbooks.target import RecordsRejectedError
from test_rel_bad_input import BASE, invoice, messages_of, run_in_process
from test_rel_crash_target import EARLIER_TAP_STATE, assert_claims_exist


def item_batch(method: str, path: str, body: bytes) -> bool:
    return is_write_batch(method, path, body) and b'"Item"' in body


def test_sigterm_mid_batch_stops_with_a_state_that_claims_only_confirmed_writes(
    recorded: list[dict], tmp_path: Path
) -> None:
    with QuickBooksEmulator(**NO_LIMITS) as qbo, QboProxy(qbo.url) as proxy:
        config = write_config(tmp_path, target_config(qbo, tmp_path, api_url=proxy.api_url,
                                                      batch_size=8, state_interval_seconds=0))
        started: dict[str, int] = {}
        # The last products batch goes out after the tap's state covering all products
        # (and the customers) was read: it must not be claimed.
        rule = proxy.arm("kill_before", 5, match=item_batch, sig=signal.SIGTERM,
                         victim=lambda: started.get("pid"))

        def remember(proc: subprocess.Popen) -> None:
            started["pid"] = proc.pid

        stopped = run_target(config, recorded, state=EARLIER_TAP_STATE, on_start=remember)
        assert rule.fired.is_set()
        assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-3000:]
        assert "Interrupted (SIGTERM, signal 15)" in stopped.stderr.rstrip().splitlines()[-1]
        last = stopped.last_state
        assert last is not None
        assert last["bookmarks"]["products"] == EARLIER_TAP_STATE["bookmarks"]["products"]
        assert "customers" not in last["bookmarks"]
        assert_claims_exist(qbo, stopped.entry)
        # The four confirmed batches of 8 products (a deleted product shares its SKU's item).
        first = [m["record"]["sku"] for m in recorded
                 if m.get("type") == "RECORD" and m.get("stream") == "products"][:32]
        assert len(stopped.entry["items"]) == len({item_key(sku) for sku in first})

        resumed = run_target(config, recorded, state=last)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert_exactly_once(qbo, recorded)
        assert_state_complete(resumed.entry, recorded)


def test_fatal_error_after_writes_keeps_the_pending_records_of_earlier_runs(
    tmp_path: Path,
) -> None:
    waiting = invoice("INV-W", "FA-W", customer_key="43", shipping_amount=Decimal("5.00"),
                      grand_total=Decimal("29.00"))
    with QuickBooksEmulator(**NO_LIMITS) as qbo:
        config = target_config(qbo, tmp_path, max_requests_per_second=100)
        state, error = run_in_process(config, messages_of([*BASE, ("invoices", waiting)]))
        assert error is None
        assert state["bookmarks"][BOOKMARK]["pending"]["invoices"]["INV-W"]["status"] == \
            "deferred"

        # Its customer arrives with a new product, but the shipping item setting is wrong
        # (and may not be created): the run stops when the waiting invoice is retried,
        # after writing the others.
        newcomer = {"customer_key": "43", "customer_id": "43", "firstname": "Lou",
                    "lastname": "Nouveau"}
        more = [("products", {"sku": "NEW-1", "name": "Nouveau", "type": "virtual"}),
                ("customers", newcomer), ("invoices", invoice("INV-N", "FA-N"))]
        bad = {**config, "shipping_item": "No such item", "create_missing_items": False}
        stopped, error = run_in_process(bad, [{"type": "STATE", "value": state},
                                              *messages_of(more)])
        assert isinstance(error, ConfigurationError)
        entry = stopped["bookmarks"][BOOKMARK]
        assert "NEW-1" in entry["items"] and "43" in entry["customers"]
        assert entry["pending"]["invoices"]["INV-W"]["status"] == "deferred"

        done, error = run_in_process(config, [{"type": "STATE", "value": stopped},
                                              *messages_of(more)])
        assert error is None, error
        assert done["bookmarks"][BOOKMARK]["pending"] == {}
        assert {"FA-0001", "FA-W", "FA-N"} == {d["DocNumber"] for d in qbo.entities("Invoice")}


def test_a_refused_record_is_sent_again_each_run_not_replayed(tmp_path: Path) -> None:
    refused = invoice("INV-USD", "FA-USD", currency="USD")
    with QuickBooksEmulator(**NO_LIMITS) as qbo:
        config = target_config(qbo, tmp_path, max_requests_per_second=100)
        state, error = run_in_process(config, messages_of([*BASE, ("invoices", refused)]))
        assert isinstance(error, RecordsRejectedError)
        qbo.reset_stats()
        for attempt in (2, 3):
            # The tap does not send it again: the target retries it from its state.
            state, error = run_in_process(config, [{"type": "STATE", "value": state}])
            assert isinstance(error, RecordsRejectedError)
            kept = state["bookmarks"][BOOKMARK]["pending"]["invoices"]["INV-USD"]
            assert kept["attempts"] == attempt and kept["code"] == "6000"
        stats = qbo.stats()
        assert stats["by_kind"]["batch_operations"] == 2  # really sent twice
        assert stats["replayed"] == 0


def test_a_pending_record_under_an_older_key_is_kept_once(tmp_path: Path) -> None:
    """A record kept by an older version under another key is not kept twice."""
    no_sku = {"name": "Sans SKU", "type": "virtual"}
    old_entry = {"status": "rejected", "reason": "'sku' is missing", "attempts": 3,
                 "since": "2026-01-01T00:00:00+00:00", "record": no_sku}
    with QuickBooksEmulator(**NO_LIMITS) as qbo:
        config = target_config(qbo, tmp_path, max_requests_per_second=100)
        state = {"bookmarks": {BOOKMARK: {"realm_id": config["realm_id"], "v": 1,
                                          "pending": {"products": {"missing-key:0ld": old_entry}}}}}
        for _ in range(2):
            state, error = run_in_process(config, [{"type": "STATE", "value": state}])
            assert isinstance(error, RecordsRejectedError)
            kept = state["bookmarks"][BOOKMARK]["pending"]["products"]
            assert len(kept) == 1, kept
            ((key, entry),) = kept.items()
            assert key.startswith("missing-key:Sans SKU:")
            assert entry["record"] == no_sku and entry["field"] == "sku"
