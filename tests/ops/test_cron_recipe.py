"""The cron recipe (orchestrate/cron/run-feed.sh) never runs two copies of one feed."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RUN_FEED = ROOT / "orchestrate" / "cron" / "run-feed.sh"
CRONTAB = ROOT / "orchestrate" / "cron" / "crontab.example"

#: Stands in for meltano: records its call, then holds until told to finish.
FAKE_MELTANO = """#!/usr/bin/env bash
echo "$*" >> "$CALLS"
while [ ! -e "$RELEASE_DIR/$2" ]; do sleep 0.05; done
"""


def _env(tmp_path: Path) -> dict[str, str]:
    fake = tmp_path / "meltano"
    fake.write_text(FAKE_MELTANO)
    fake.chmod(0o755)
    (tmp_path / "release").mkdir()
    return {**os.environ, "MELTANO_BIN": str(fake), "FEED_LOCK_DIR": str(tmp_path / "locks"),
            "CALLS": str(tmp_path / "calls"), "RELEASE_DIR": str(tmp_path / "release")}


def _calls(tmp_path: Path) -> list[str]:
    path = tmp_path / "calls"
    return path.read_text().splitlines() if path.exists() else []


def _wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_second_copy_of_a_feed_skips_while_the_first_runs(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = subprocess.Popen([str(RUN_FEED), "export-invoices"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _calls(tmp_path) == ["run export-invoices"])

        second = subprocess.run([str(RUN_FEED), "export-invoices"], check=False, env=env,
                                capture_output=True, text=True, timeout=10)
        assert second.returncode == 0
        assert "export-invoices is already running" in second.stderr
        assert _calls(tmp_path) == ["run export-invoices"]  # meltano was not started again

        # Another feed has its own lock: it runs while export-invoices still holds its.
        (tmp_path / "release" / "export-customers").touch()
        other = subprocess.run([str(RUN_FEED), "export-customers"], check=False, env=env,
                               capture_output=True, text=True, timeout=10)
        assert other.returncode == 0, other.stderr
        assert _calls(tmp_path) == ["run export-invoices", "run export-customers"]
        assert first.poll() is None
    finally:
        (tmp_path / "release" / "export-invoices").touch()
        first.wait(timeout=10)
    assert first.returncode == 0

    # The lock went with the process: the next hourly run goes ahead.
    third = subprocess.run([str(RUN_FEED), "export-invoices"], check=False, env=env,
                           capture_output=True, text=True, timeout=10)
    assert third.returncode == 0, third.stderr
    assert _calls(tmp_path)[-1] == "run export-invoices"
    assert len(_calls(tmp_path)) == 3


def test_a_failing_feed_passes_its_exit_code_to_cron(tmp_path: Path) -> None:
    env = _env(tmp_path)
    failing = tmp_path / "meltano"
    failing.write_text("#!/usr/bin/env bash\nexit 3\n")
    result = subprocess.run([str(RUN_FEED), "export-invoices"], check=False, env=env,
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 3


def test_the_example_crontab_runs_every_scheduled_job_through_the_lock() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    scheduled = {s["job"] for s in project["schedules"]}
    jobs = {job["name"] for job in project["jobs"]}
    lines = [x for x in CRONTAB.read_text().splitlines() if re.match(r"^[0-9*]", x)]
    cron_jobs = [re.search(r"run-feed\.sh (\S+)", x).group(1) for x in lines]  # type: ignore[union-attr]
    assert sorted(cron_jobs) == sorted(scheduled)
    assert set(cron_jobs) <= jobs
