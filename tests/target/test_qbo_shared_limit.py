"""Limits shared by every process of one company: real processes, killed holders, leases."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from target_quickbooks.qbo import RateLimiter
from target_quickbooks.qbo.shared_limit import SharedRateLimiter, limits_path
from target_quickbooks.target import build_client

# One child process: takes `n` slots of the shared limiter (each held `hold` seconds,
# `threads` at a time) and writes the (start, end) wall-clock times of each to `out`.
CHILD = textwrap.dedent("""
    import json, sys, threading, time
    from target_quickbooks.qbo.shared_limit import SharedRateLimiter
    path, out, n, threads, hold, kind = sys.argv[1:7]
    limiter = SharedRateLimiter(path, per_second=5, per_minute=1000, batch_per_minute=1000,
                                max_concurrent=3, time_scale=4.0, poll_seconds=0.005)
    spans, lock = [], threading.Lock()
    def work(count):
        for _ in range(count):
            with limiter.slot(kind):
                start = time.time()
                time.sleep(float(hold))
                end = time.time()
            with lock:
                spans.append((start, end))
    n, threads = int(n), int(threads)
    workers = [threading.Thread(target=work, args=(n // threads,)) for _ in range(threads)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    open(out, "w").write(json.dumps(spans))
""")

# A child that takes `n` slots and hangs holding them until killed.
HOLDER = textwrap.dedent("""
    import sys, time
    from target_quickbooks.qbo.shared_limit import SharedRateLimiter
    path, n = sys.argv[1], int(sys.argv[2])
    limiter = SharedRateLimiter(path, max_concurrent=2)
    held = [limiter.slot() for _ in range(n)]
    for slot in held:
        slot.__enter__()
    print("holding", flush=True)
    time.sleep(600)
""")


def max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans],
                    key=lambda ev: (ev[0], ev[1]))
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def max_starts_in_window(spans: list[tuple[float, float]], window: float) -> int:
    """Most request starts within ``window`` of the end of an earlier request or start."""
    starts = sorted(s for s, _ in spans)
    best = 0
    for i, first in enumerate(starts):
        best = max(best, sum(1 for s in starts[i:] if s < first + window))
    return best


def test_four_processes_together_stay_within_one_companys_limits(tmp_path: Path) -> None:
    path = tmp_path / "quickbooks-limits-1.json"
    outs = [tmp_path / f"spans-{i}.json" for i in range(4)]
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(out), "12", "4",
                                  "0.02", "request"]) for out in outs]
    for child in children:
        assert child.wait(timeout=120) == 0
    spans = [tuple(span) for out in outs for span in json.loads(out.read_text())]
    assert len(spans) == 48
    # Alone, each process would allow 3 in flight and 5 per 0.25 s; together the same.
    assert max_overlap(spans) <= 3
    assert max_starts_in_window(spans, 0.25) <= 5
    books = json.loads(path.read_text())
    assert books["slots"] == {}


def test_a_killed_holders_slots_are_freed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "quickbooks-limits-1.json"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), "2"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    limiter = SharedRateLimiter(path, max_concurrent=2, poll_seconds=0.01)
    blocked = threading.Event()
    got = threading.Event()

    def take() -> None:
        blocked.set()
        with limiter.slot():
            got.set()

    worker = threading.Thread(target=take, daemon=True)
    worker.start()
    blocked.wait()
    assert not got.wait(0.3)  # both slots are held by a live process
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert got.wait(5)
    worker.join(5)
    assert limiter.freed_stale == 2
    # The freed slots count as requests that ended when they were freed.
    assert len(json.loads(path.read_text())["ended"]) == 3


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_another_machines_slot_is_freed_only_after_its_lease(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    clock = FakeClock()
    path.write_text(json.dumps({"slots": {"other:1:a": {"host": "other", "pid": 1,
                                                         "kind": "request",
                                                         "since": clock.now}}}))
    limiter = SharedRateLimiter(path, max_concurrent=1, lease_seconds=300, poll_seconds=1,
                                clock=clock, sleep=clock.sleep, host="here", slack=0.0)
    started = clock.now
    with limiter.slot():
        waited = clock.now - started
    assert 300 < waited <= 302
    assert limiter.freed_stale == 1


def test_a_live_process_of_this_host_keeps_its_slot(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    clock = FakeClock()
    path.write_text(json.dumps({"slots": {"here:7:a": {"host": "here", "pid": 7,
                                                       "kind": "request",
                                                       "since": clock.now}}}))
    alive = {7: True}
    limiter = SharedRateLimiter(path, max_concurrent=1, lease_seconds=300, poll_seconds=1,
                                clock=clock, sleep=clock.sleep, host="here",
                                alive=lambda pid: alive[pid])
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.sleep(seconds)
        if len(slept) == 10:
            alive[7] = False  # the holder dies: its slot is freed at the next look

    limiter._sleep = sleep  # the sleep hook of the test
    with limiter.slot():
        pass
    assert len(slept) == 10
    assert limiter.freed_stale == 1


def test_batch_and_minute_windows_are_counted_across_limiters(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    clock = FakeClock()
    first, second = (SharedRateLimiter(path, per_second=100, per_minute=1000,
                                       batch_per_minute=4, clock=clock, sleep=clock.sleep,
                                       slack=0.0) for _ in range(2))
    starts = []
    for limiter in (first, second, first, second, first):
        with limiter.slot("batch"):
            starts.append(clock.now)
    assert starts[:4] == [starts[0]] * 4
    assert starts[4] == pytest.approx(starts[0] + 60.0)


def test_a_429_pauses_every_process_of_the_company(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    clock = FakeClock()
    first, second = (SharedRateLimiter(path, clock=clock, sleep=clock.sleep)
                     for _ in range(2))
    assert first.penalize(30) == 30
    started = clock.now
    with second.slot():
        assert clock.now - started == pytest.approx(30.0)


def test_an_unreadable_file_restarts_paused_for_a_window(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    path.write_text("{half")
    clock = FakeClock()
    limiter = SharedRateLimiter(path, clock=clock, sleep=clock.sleep, time_scale=10.0,
                                slack=0.0)
    started = clock.now
    with limiter.slot():
        assert clock.now - started == pytest.approx(6.0)
    assert json.loads(path.read_text())["slots"] == {}


def test_the_limits_file_sits_beside_the_token_store() -> None:
    assert limits_path("/srv/secrets/tokens.json", "9130") == Path(
        "/srv/secrets/quickbooks-limits-9130.json")
    assert limits_path("tokens.json", "../x") == Path("quickbooks-limits-x.json")


CONFIG = {"client_id": "i", "client_secret": "s", "realm_id": "42",
          "api_url": "http://127.0.0.1:1/v3", "max_concurrent_requests": 3}


def test_the_target_shares_its_limits_by_default(tmp_path: Path) -> None:
    client = build_client({**CONFIG, "token_store_path": str(tmp_path / "t" / "tokens.json")},
                          None)
    assert isinstance(client.limiter, SharedRateLimiter)
    assert client.limiter.path == tmp_path / "t" / "quickbooks-limits-42.json"
    assert client.limiter.max_concurrent == 3
    alone = build_client({**CONFIG, "token_store_path": str(tmp_path / "tokens.json"),
                          "shared_rate_limit": False}, None)
    assert type(alone.limiter) is RateLimiter


def test_slots_of_this_process_are_never_freed_as_dead(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    limiter = SharedRateLimiter(path, max_concurrent=2, alive=lambda pid: False)
    with limiter.slot():
        books = json.loads(path.read_text())
        assert [slot["pid"] for slot in books["slots"].values()] == [os.getpid()]
        with limiter.slot():
            pass
    assert limiter.freed_stale == 0
    assert time.time() - max(json.loads(path.read_text())["ended"]) < 5


def test_a_request_does_not_queue_behind_a_batch_waiting_for_its_window(tmp_path: Path) -> None:
    # One batch a minute, a minute lasting 1 s: the second batch waits about a second.
    limiter = SharedRateLimiter(tmp_path / "limits.json", batch_per_minute=1, time_scale=60.0)
    with limiter.slot("batch"):
        pass
    waiting = threading.Thread(target=lambda: limiter.slot("batch").__enter__(), daemon=True)
    waiting.start()
    time.sleep(0.1)
    started = time.monotonic()
    with limiter.slot("request"):
        assert time.monotonic() - started < 0.5
    waiting.join(5)
