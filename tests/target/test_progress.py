"""The progress line: n written of n received so far, and waits for QuickBooks' limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from target_quickbooks.progress import ProgressReporter
from target_quickbooks.results import RunResults


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reporter(clock: FakeClock, results: RunResults, waited: list[float], lines: list[str],
             **extra: object) -> ProgressReporter:
    return ProgressReporter(interval=30, results=results, waited=lambda: waited[0],
                            log=lines.append, clock=clock, **extra)  # type: ignore[arg-type]


def test_a_line_every_interval_with_written_received_and_waits() -> None:
    clock, results, waited, lines = FakeClock(), RunResults(), [0.0], []
    progress = reporter(clock, results, waited, lines)
    progress.interval = 30  # no thread: the test drives the clock
    for _ in range(5000):
        progress.received["invoices"] += 1
    for _ in range(40):
        progress.received["products"] += 1
    results.add("products", "created", 40)
    results.add("invoices", "created", 1150)
    results.add("invoices", "unchanged", 50)
    results.add("invoices", "deferred", 7)

    clock.now += 29.9
    assert not progress.report_if_due()
    waited[0] = 41.2
    clock.now += 0.1
    assert progress.report_if_due()
    assert lines == ["Progress: products 40 written of 40 received so far, invoices 1,200 "
                     "written of 5,000 received so far; waiting for QuickBooks' limits "
                     "(41 s of waits since the last line)."]

    clock.now += 30
    assert progress.report_if_due()
    assert lines[-1].endswith("invoices 1,200 written of 5,000 received so far.")  # no new wait


def test_nothing_before_the_first_record_and_nothing_when_off() -> None:
    clock, lines = FakeClock(), []
    progress = reporter(clock, RunResults(), [0.0], lines)
    clock.now += 60
    assert not progress.report_if_due()
    off = reporter(clock, RunResults(), [0.0], lines)
    off.interval = 0
    off.received["products"] += 1
    clock.now += 600
    assert not off.report_if_due()
    assert lines == []


def test_a_dry_run_says_so() -> None:
    clock, lines = FakeClock(), []
    progress = reporter(clock, RunResults(), [0.0], lines, dry_run=True)
    progress.received["customers"] += 3
    clock.now += 30
    progress.report_if_due()
    assert lines == ["Progress (dry run, nothing is sent): customers 0 written of 3 received "
                     "so far."]


@pytest.mark.timeout(300)
def test_a_run_held_back_by_quickbooks_limits_prints_progress_lines(tmp_path: Path) -> None:
    """Real executable, real emulator with QuickBooks' limits: 60 batch requests cannot go
    faster than 40 a minute, so the run waits, and says so."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
    from quickbooks_emulator import QuickBooksEmulator  # noqa: PLC0415
    from reliability_kit import TARGET_EXE, target_config, write_config  # noqa: PLC0415

    scale = 6  # QuickBooks' minute lasts 10 s, for the emulator and the target alike
    lines = [{"type": "SCHEMA", "stream": "products", "key_properties": ["sku"],
              "schema": {"type": "object", "properties": {
                  "sku": {"type": "string"}, "name": {"type": "string"},
                  "type": {"type": "string"}, "price": {"type": "number"}}}}]
    lines += [{"type": "RECORD", "stream": "products",
               "record": {"sku": f"P-{n:04d}", "name": f"Article {n}", "type": "virtual",
                          "price": 1 + n / 4}} for n in range(300)]
    with QuickBooksEmulator(time_scale=scale) as qbo:
        config = write_config(tmp_path, target_config(
            qbo, tmp_path, rate_limit_time_scale=scale, batch_size=5,
            progress_interval_seconds=2))
        done = subprocess.run([TARGET_EXE, "--config", str(config)],
                              input="".join(json.dumps(line) + "\n" for line in lines),
                              capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    progress = [line for line in done.stderr.splitlines() if "Progress: products " in line]
    assert progress, done.stderr[-3000:]
    assert any("received so far; waiting for QuickBooks' limits" in line for line in progress)
    # The target reads as it writes: "received" grows with the run, never past the input.
    received = [int(line.split(" received")[0].rsplit(" ", 1)[-1].replace(",", ""))
                for line in progress]
    assert received == sorted(received) and received[-1] <= 300
