"""SIGKILL the `target-quickbooks` executable at many points of a run, then resume.

The input is the real tap's recorded output. Each run starts, like under Meltano,
from the last state the previous (killed) run emitted. A proxy kills the target
exactly before a write is forwarded, after QuickBooks committed it (the answer is
lost with the process), or drops the connection after the write; one restart of
the emulator in the middle wipes its requestid memory, and the products are
renamed at the source at the same moment, so only the natural-key (Sku) lookups
stand between a lost answer and a duplicate.
"""

from __future__ import annotations

import copy
import signal
import subprocess
from pathlib import Path

from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import (
    NO_LIMITS,
    QboProxy,
    assert_exactly_once,
    assert_state_complete,
    is_query,
    is_write_batch,
    run_target,
    target_config,
    write_config,
)

ENTITY = {"items": "Item", "customers": "Customer", "invoices": "Invoice",
          "credit_memos": "CreditMemo"}
#: A tap state from before this connector ran: bookmarks only.
EARLIER_TAP_STATE = {"bookmarks": {"products": {
    "replication_key": "updated_at", "replication_key_value": "2025-12-31T00:00:00+00:00"}}}


def credit_memo_batch(method: str, path: str, body: bytes) -> bool:
    """A write of credit memos: CreditMemos, or RefundReceipts for memos of paid invoices."""
    return is_write_batch(method, path, body) and (
        b'"CreditMemo"' in body or b'"RefundReceipt"' in body)


def customer_batch(method: str, path: str, body: bytes) -> bool:
    return is_write_batch(method, path, body) and b'"Customer"' in body


#: (what, nth matching request, matcher, restart the emulator first)
KILL_POINTS = [
    ("kill_before", 1, is_write_batch, False),   # lookups done, first write never sent
    ("kill_after", 2, is_write_batch, False),    # batch 1 recorded, batch 2 committed unheard
    ("kill_after", 1, is_write_batch, True),     # same, with QuickBooks' requestid memory gone
    ("kill_after", 1, customer_batch, False),    # after the items, in the customers
    ("kill_before", 1, is_query, False),         # before any lookup
    ("kill_after", 2, is_write_batch, False),    # invoices by now
    ("kill_after", 1, credit_memo_batch, False),  # the very last batch of the run
]


def renamed(messages: list[dict]) -> list[dict]:
    """The same records after every product was renamed at the source."""
    changed = copy.deepcopy(messages)
    for message in changed:
        if message.get("type") == "RECORD" and message["stream"] == "products":
            message["record"]["name"] += " (v2)"
    return changed


def assert_claims_exist(emu: QuickBooksEmulator, entry: dict) -> None:
    """Every Id the ID map claims is an object QuickBooks really has."""
    for kind, default in ENTITY.items():
        for value in (entry.get(kind) or {}).values():
            parts = str(value).split(":")
            entity = parts[3] if len(parts) > 3 else default  # e.g. ...:RefundReceipt
            ids = {str(e["Id"]) for e in emu.entities(entity)}
            assert parts[0] in ids, f"{kind} claims {entity} {parts[0]} QuickBooks does not have"


def test_sigkill_at_many_points_then_resume_writes_each_record_once(
    recorded: list[dict], tmp_path: Path
) -> None:
    state_file = tmp_path / "qbo-company.json"
    emu = QuickBooksEmulator(state_file=state_file, **NO_LIMITS).start()
    try:
        with QboProxy(emu.url) as proxy:
            config = write_config(tmp_path, target_config(
                emu, tmp_path, api_url=proxy.api_url, batch_size=8, state_interval_seconds=0,
                max_requests_per_second=100))
            state: dict = EARLIER_TAP_STATE
            messages = recorded
            progress_states = 0
            for number, (action, nth, match, restart) in enumerate(KILL_POINTS, 1):
                if restart:
                    port = emu.port
                    emu.stop()
                    emu = QuickBooksEmulator(port=port, state_file=state_file,
                                             **NO_LIMITS).start()
                    messages = renamed(recorded)
                started: dict[str, int] = {}
                rule = proxy.arm(action, nth, match=match, victim=lambda s=started: s.get("pid"))
                if number == 4:
                    proxy.arm("drop_after", 1, match=is_write_batch)  # retried, replayed

                def remember(proc: subprocess.Popen, s: dict = started) -> None:
                    s["pid"] = proc.pid

                run = run_target(config, messages, state=state, on_start=remember)
                proxy.disarm()
                assert rule.fired.is_set(), f"kill point {number} was not reached"
                assert run.returncode == -signal.SIGKILL, run.stderr[-2000:]
                if run.last_state is not None:
                    progress_states += 1
                    assert_claims_exist(emu, run.entry)
                    # The tap bookmarks are never newer than what was handled.
                    assert run.last_state["bookmarks"]["products"] == \
                        state["bookmarks"]["products"]
                    state = run.last_state
            assert progress_states >= 4, "progress states let a crash keep confirmed writes"

            final = run_target(config, messages, state=state)
            assert final.returncode == 0, final.stderr[-3000:]
            assert_exactly_once(emu, messages)
            assert_state_complete(final.entry, messages)
            assert_claims_exist(emu, final.entry)
            names = {i["Sku"]: i["Name"] for i in emu.entities("Item") if i.get("Sku")}
            assert [n for n in names.values() if "(v2)" not in n and len(n) < 100] == []

            # Once more from the final state: nothing left to write.
            emu.reset_stats()
            again = run_target(config, messages, state=final.last_state)
            assert again.returncode == 0, again.stderr[-3000:]
            assert emu.stats()["by_kind"]["batch_operations"] == 0
            assert_exactly_once(emu, messages)
    finally:
        emu.stop()
