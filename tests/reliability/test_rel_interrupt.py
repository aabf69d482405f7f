"""Ctrl-C in the middle of a real run: one line per process, no traceback, nothing lost.

A terminal's Ctrl-C sends SIGINT to the whole foreground process group: here the
test sends it to a process group of its own (the plain Singer pipe under ``bash``,
or ``meltano run``) once QuickBooks holds some items, while the tap is still
writing into a full pipe and the target is in the middle of a batch (the
emulator answers each request after 200 ms).

Then: no ``Traceback`` and no ``BrokenPipeError`` in either stderr; each process
ends with its ``Interrupted`` line; the state holds the Id of every item QuickBooks
created (the batch in flight included: Ctrl-C lets it finish); and a rerun from
that state creates only the rest, each item once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import TAP_EXE, TARGET_EXE, meltano_popen, target_config

from tests.harness import MeltanoProject

PRODUCTS = 300
#: Items QuickBooks holds when Ctrl-C is pressed.
BEFORE_CTRL_C = 30


def skus(qbo: QuickBooksEmulator) -> list[str]:
    return [str(item["Sku"]) for item in qbo.entities("Item") if item.get("Sku")]


def wait_for_items(qbo: QuickBooksEmulator, count: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while len(skus(qbo)) < count:
        assert proc.poll() is None, "the run ended before Ctrl-C"
        assert time.monotonic() < deadline, "QuickBooks never held enough items"
        time.sleep(0.05)


def assert_quiet(stderr: str, last_line_start: str) -> None:
    assert "Traceback" not in stderr, stderr[-4000:]
    assert "BrokenPipeError" not in stderr, stderr[-4000:]
    assert last_line_start in stderr.rstrip().splitlines()[-1], stderr[-2000:]


def item_ids(entry: dict) -> dict[str, str]:
    """QuickBooks Id of each item in a state entry (``"<id>:<sync token>:<hash>"``)."""
    return {sku: value.split(":")[0] for sku, value in entry["items"].items()}


@pytest.fixture
def emulators() -> Iterator[tuple[MyFulfillmentEmulator, QuickBooksEmulator]]:
    with MyFulfillmentEmulator(dataset=f"scale:{PRODUCTS}") as mf, \
            QuickBooksEmulator(latency_ms=200) as qbo:
        yield mf, qbo


def test_ctrl_c_in_the_plain_pipe_saves_every_confirmed_write(
    emulators: tuple[MyFulfillmentEmulator, QuickBooksEmulator], tmp_path: Path
) -> None:
    mf, qbo = emulators
    (tmp_path / "tap.json").write_text(json.dumps({
        "base_url": mf.url, "username": "demo", "password": "demo-password",
        "start_date": "2026-01-01T00:00:00Z"}))
    (tmp_path / "target.json").write_text(json.dumps(target_config(
        qbo, tmp_path, batch_size=10, state_interval_seconds=3600)))
    pipe = (f"{TAP_EXE} --config tap.json $STATE 2>tap.err | "
            f"{TARGET_EXE} --config target.json > state.json 2>target.err")

    proc = subprocess.Popen(["bash", "-c", pipe], cwd=tmp_path, start_new_session=True,
                            env={**os.environ, "STATE": ""})
    wait_for_items(qbo, BEFORE_CTRL_C, proc)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 128 + signal.SIGINT  # the target's status (last in the pipe)

    assert_quiet((tmp_path / "tap.err").read_text(), "Interrupted (SIGINT, signal 2): "
                 "tap-myfulfillment stopped before the end of its read")
    assert_quiet((tmp_path / "target.err").read_text(), "Interrupted (SIGINT, signal 2): ")
    created = skus(qbo)
    assert BEFORE_CTRL_C <= len(created) < PRODUCTS
    states = (tmp_path / "state.json").read_text().splitlines()
    entry = json.loads(states[-1])["bookmarks"]["target-quickbooks"]
    ids = {item["Sku"]: item["Id"] for item in qbo.entities("Item") if item.get("Sku")}
    assert item_ids(entry) == {sku: ids[sku] for sku in created}  # every one, none more
    assert f"{len(created)} records confirmed by QuickBooks ({len(created)} created" in \
        (tmp_path / "target.err").read_text()

    (tmp_path / "resume.json").write_text(states[-1])
    rerun = subprocess.run(["bash", "-c", pipe], cwd=tmp_path, timeout=300, check=False,
                           env={**os.environ, "STATE": "--state resume.json"})
    assert rerun.returncode == 0, (tmp_path / "target.err").read_text()[-4000:]
    final = skus(qbo)
    assert len(final) == len(set(final)) == PRODUCTS
    assert set(created) <= set(final)


@pytest.mark.e2e
def test_ctrl_c_under_meltano_run_stops_quietly_and_the_rerun_writes_each_item_once(
    emulators: tuple[MyFulfillmentEmulator, QuickBooksEmulator], tmp_path: Path
) -> None:
    mf, qbo = emulators
    project = MeltanoProject(
        workdir=tmp_path, mf_url=mf.url, qbo_api_url=qbo.api_url,
        qbo_discovery_url=qbo.discovery_url,
        extra_env={"TARGET_QUICKBOOKS_BATCH_SIZE": "10",
                   "TARGET_QUICKBOOKS_STATE_INTERVAL_SECONDS": "0"},
    )
    proc = meltano_popen(project, "run", "create-products")
    # meltano_popen does not start a process group: signal meltano and its plugins as
    # the terminal does.
    wait_for_items(qbo, BEFORE_CTRL_C, proc)
    for pid in group_of(proc.pid):
        os.kill(pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)

    assert proc.returncode != 0
    assert "Traceback" not in err and "BrokenPipeError" not in err, err[-5000:]
    target_lines = [line for line in err.splitlines() if "target-quickbooks" in line]
    assert "Interrupted (SIGINT, signal 2): " in target_lines[-1], err[-3000:]
    created = skus(qbo)
    assert BEFORE_CTRL_C <= len(created) < PRODUCTS
    # Meltano 4.4 stores the states the target emitted before Ctrl-C (one per batch
    # here); each Id it holds is an item QuickBooks really created.
    stored = project.state("create-products")["singer_state"]["bookmarks"]["target-quickbooks"]
    ids = {item["Sku"]: item["Id"] for item in qbo.entities("Item") if item.get("Sku")}
    assert item_ids(stored).items() <= ids.items()
    assert len(stored["items"]) >= BEFORE_CTRL_C - 10  # at most the batch in flight missing

    project.run("create-products")
    final = skus(qbo)
    assert len(final) == len(set(final)) == PRODUCTS
    assert set(created) <= set(final)


def group_of(pid: int) -> list[int]:
    """``pid`` and its descendants: what a terminal's Ctrl-C reaches."""
    import psutil  # noqa: PLC0415

    parent = psutil.Process(pid)
    return [pid, *(child.pid for child in parent.children(recursive=True))]
