"""Ctrl-C waits for the batch in flight; SIGTERM does not; the last line says what was saved."""

from __future__ import annotations

import signal

import pytest
from target_quickbooks.interrupt import BatchGate, interrupted_line
from target_quickbooks.results import RunResults


@pytest.fixture
def stops() -> list[int]:
    return []


@pytest.fixture
def gate(stops: list[int]) -> BatchGate:
    previous = signal.getsignal(signal.SIGALRM)
    yield BatchGate(stops.append, grace=30)
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_sigint_during_a_batch_stops_when_the_batch_ends(gate: BatchGate, stops: list[int]
                                                         ) -> None:
    with gate.batch():
        assert gate.hold(signal.SIGINT)
        assert gate.hold(signal.SIGTERM)  # meltano's terminate, right after Ctrl-C
        assert stops == []
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0  # the grace period runs
    assert stops == [signal.SIGINT]
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_nested_batches_stop_after_the_outer_one(gate: BatchGate, stops: list[int]) -> None:
    with gate.batch():
        with gate.batch():
            assert gate.hold(signal.SIGINT)
        assert stops == []
    assert stops == [signal.SIGINT]


def test_outside_a_batch_and_for_sigterm_the_stop_is_immediate(gate: BatchGate) -> None:
    assert not gate.hold(signal.SIGINT)
    with gate.batch():
        assert not gate.hold(signal.SIGTERM)
        assert gate.in_flight


def test_the_end_of_the_grace_period_stops_at_once(gate: BatchGate) -> None:
    with gate.batch():
        assert gate.hold(signal.SIGINT)
        assert not gate.hold(signal.SIGALRM)


def test_the_line_counts_what_quickbooks_confirmed() -> None:
    results = RunResults()
    results.add("products", "created", 1200)
    results.add("customers", "updated", 3)
    results.add("invoices", "deferred", 2)

    line = interrupted_line(results, signum=signal.SIGINT, dry_run=False, cut=False)

    assert line == ("Interrupted (SIGINT, signal 2): 1,203 records confirmed by QuickBooks "
                    "(1,200 created, 3 updated, 0 unchanged) were saved in the state, 2 deferred "
                    "or rejected kept there for a retry; the rest will be sent on the next run.")
    cut = interrupted_line(RunResults(), signum=signal.SIGTERM, dry_run=False, cut=True)
    assert cut.startswith("Interrupted (SIGTERM, signal 15): no record was confirmed")
    assert "never written twice" in cut
    assert "nothing was written" in interrupted_line(RunResults(), signum=2, dry_run=True,
                                                     cut=False)


def test_under_meltano_the_line_does_not_claim_meltano_stored_the_last_state() -> None:
    results = RunResults()
    results.add("products", "created", 40)

    line = interrupted_line(results, signum=signal.SIGINT, dry_run=False, cut=False,
                            under_meltano=True)

    assert "were saved in the state" not in line
    assert "are in the last state emitted (Meltano keeps the states emitted before" in line
    assert line.endswith("the rest will be sent on the next run.")
