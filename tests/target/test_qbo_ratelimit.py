"""Client-side rate limiting with a fake clock: limits are never exceeded, penalties pause all."""

from __future__ import annotations

import threading

import pytest
from target_quickbooks.qbo import RateLimiter


class FakeClock:
    """A clock whose sleep advances time instantly (thread-safe)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def make(clock: FakeClock, **kwargs) -> RateLimiter:
    return RateLimiter(clock=clock, sleep=clock.sleep, slack=0.0, **kwargs)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_per_second_and_per_minute_limits_hold():
    clock = FakeClock()
    limiter = make(clock, per_second=10, per_minute=50)
    starts = []
    for _ in range(120):
        with limiter.slot("request"):
            starts.append(clock())
    assert max_in_window(starts, 1.0) == 10
    assert max_in_window(starts, 60.0) == 50
    # Not slower than needed: bursts of 50 at 10/s, the 101st..120th start at 120 s.
    assert starts[-1] - starts[0] == pytest.approx(121.0)
    assert starts[10] - starts[0] == pytest.approx(1.0)


def test_batch_limit_counts_only_batches_but_batches_count_as_requests():
    clock = FakeClock()
    limiter = make(clock, per_second=100, per_minute=1000, batch_per_minute=40)
    batch_starts = []
    for _ in range(100):
        with limiter.slot("batch"):
            batch_starts.append(clock())
        with limiter.slot("request"):
            pass
    assert max_in_window(batch_starts, 60.0) == 40
    limiter2 = make(clock, per_second=2, per_minute=1000, batch_per_minute=40)
    mixed = []
    for kind in ["batch", "request"] * 5:
        with limiter2.slot(kind):
            mixed.append(clock())
    assert max_in_window(mixed, 1.0) == 2


def test_penalize_pauses_every_caller_for_retry_after_or_default():
    clock = FakeClock()
    limiter = make(clock, default_penalty=60.0)
    assert limiter.penalize(5) == 5
    before = clock()
    with limiter.slot("request"):
        assert clock() - before == pytest.approx(5.0)
    assert limiter.penalize() == 60.0
    before = clock()
    with limiter.slot("batch"):
        assert clock() - before == pytest.approx(60.0)
    # A shorter penalty never shortens a longer one.
    limiter.penalize(30)
    limiter.penalize(1)
    before = clock()
    with limiter.slot("request"):
        assert clock() - before == pytest.approx(30.0)


def test_concurrency_is_capped_across_threads():
    clock = FakeClock()
    limiter = make(clock, per_second=1000, per_minute=100000, max_concurrent=3)
    inside = 0
    peak = 0
    lock = threading.Lock()
    three_inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        nonlocal inside, peak
        with limiter.slot("request"):
            with lock:
                inside += 1
                peak = max(peak, inside)
                if inside == 3:
                    three_inside.set()
            release.wait(timeout=10)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    assert three_inside.wait(timeout=10)
    # The other two threads are blocked in slot(); give them a moment to (wrongly) get in.
    threading.Event().wait(0.05)
    with lock:
        assert inside == 3
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert peak == 3


def test_threads_never_exceed_per_second():
    clock = FakeClock()
    limiter = make(clock, per_second=5, per_minute=10000, max_concurrent=10)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            with limiter.slot("request"):
                with lock:
                    starts.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(starts) == 60
    assert max_in_window(starts, 1.0) <= 5


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="per_second"):
        RateLimiter(per_second=0)
    with pytest.raises(ValueError, match="kind"):
        with RateLimiter().slot("bulk"):  # type: ignore[arg-type]
            pass


def test_time_scale_shrinks_windows_and_default_penalty():
    clock = FakeClock()
    limiter = make(clock, per_second=10, per_minute=20, time_scale=60.0, default_penalty=60.0)
    starts = []
    for _ in range(40):
        with limiter.slot("request"):
            starts.append(clock())
    assert max_in_window(starts, 1.0 / 60.0) == 10
    assert max_in_window(starts, 1.0) == 20
    assert limiter.penalize() == pytest.approx(1.0)


def test_window_counts_from_the_end_of_a_slow_request():
    # QuickBooks may see a request arrive as late as its response: it counts until end + window.
    clock = FakeClock()
    limiter = make(clock, per_second=1, per_minute=100)
    with limiter.slot("request"):
        clock.now += 5.0  # a slow response
    ended = clock()
    with limiter.slot("request"):
        assert clock() == pytest.approx(ended + 1.0)


def test_in_flight_requests_count_against_the_rate():
    clock = FakeClock()
    limiter = make(clock, per_second=2, per_minute=100, max_concurrent=10)
    entered = threading.Event()
    release = threading.Event()
    third_started = threading.Event()

    def hold() -> None:
        with limiter.slot("request"):
            entered.set()
            release.wait(timeout=10)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
        assert entered.wait(timeout=10)
        entered.clear()

    def third() -> None:
        with limiter.slot("request"):
            third_started.set()

    waiter = threading.Thread(target=third)
    waiter.start()
    assert not third_started.wait(timeout=0.05)  # two in flight fill the per-second quota
    release.set()
    waiter.join(timeout=10)
    for thread in holders:
        thread.join(timeout=10)
    assert third_started.is_set()
    assert clock.sleeps  # it waited a window after the holders ended
