"""The hourly DAGs *run* under real Airflow and the documents arrive in QuickBooks.

`airflow dags test` runs one DAG run in-process: Airflow parses the DAG file (which
asks the real `meltano schedule list`), creates the run in its own metadata database
(SQLite in the temporary AIRFLOW_HOME of `make airflow-test`) and executes each
BashOperator, here `meltano run` of the feed against both emulators. The emulators
run in the project's venv (`serve_emulators.py`): this venv has Airflow's
dependencies, not the emulators'.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DAGS_DIR = PROJECT_ROOT / "orchestrate" / "airflow" / "dags"
MELTANO_BIN = os.environ.get("MELTANO_BIN") or str(PROJECT_ROOT / ".venv" / "bin" / "meltano")
AIRFLOW = str(Path(sys.executable).parent / "airflow")
#: The hourly feeds in the order a first hour needs them: invoices and credit memos
#: refer to the items and customers the earlier feeds create.
HOURLY_DAGS = (
    "create-products-hourly",
    "export-customers-hourly",
    "export-invoices-hourly",
    "export-credit-memos-hourly",
)


class Emulators:
    """Both emulators in a child process of the project's venv; ``report()`` asks what they hold."""

    def __init__(self) -> None:
        python = Path(MELTANO_BIN).parent / "python"
        self.proc = subprocess.Popen(
            [str(python), str(Path(__file__).with_name("serve_emulators.py"))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.urls: dict[str, str] = json.loads(self._line())

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"serve_emulators.py exited {self.proc.wait()}")
        return line

    def report(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("report\n")
        self.proc.stdin.flush()
        return dict(json.loads(self._line()))

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture
def emulators() -> Iterator[Emulators]:
    emus = Emulators()
    try:
        yield emus
    finally:
        emus.stop()


def airflow_env(tmp_path: Path, emulators: Emulators) -> dict[str, str]:
    """Airflow with its own SQLite metadata database; Meltano pointed at the emulators."""
    env = dict(os.environ)
    env.setdefault("AIRFLOW_HOME", str(tmp_path / "airflow-home"))
    env.update({
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "MELTANO_PROJECT_ROOT": str(PROJECT_ROOT),
        "MELTANO_BIN": MELTANO_BIN,
        "MELTANO_ENVIRONMENT": "dev",
        # Meltano's state and the rotated tokens stay in this test's directory.
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "TAP_MYFULFILLMENT_BASE_URL": emulators.urls["mf_url"],
        "TARGET_QUICKBOOKS_API_URL": emulators.urls["qbo_api_url"],
        "TARGET_QUICKBOOKS_OAUTH_DISCOVERY_URL": emulators.urls["qbo_discovery_url"],
        "TARGET_QUICKBOOKS_TOKEN_STORE_PATH": str(tmp_path / "secrets" / "tokens.json"),
    })
    return env


def airflow(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([AIRFLOW, *args], env=env, cwd=env["AIRFLOW_HOME"],
                          capture_output=True, text=True, timeout=400, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"airflow {' '.join(args)} exited {proc.returncode}:\n" \
        f"{output[-6000:]}"
    return output


def test_hourly_dags_run_and_the_documents_arrive_in_quickbooks(
    tmp_path: Path, emulators: Emulators,
) -> None:
    env = airflow_env(tmp_path, emulators)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    airflow(env, "db", "migrate")
    before = emulators.report()
    assert before["qbo"]["invoices"] == 0
    for dag_id in HOURLY_DAGS:
        output = airflow(env, "dags", "test", dag_id)
        finished = [line for line in output.splitlines() if "DagRun Finished" in line]
        assert len(finished) == 1, output[-4000:]
        assert f"dag_id={dag_id}," in finished[0]
        assert "state=success" in finished[0], finished[0]
        assert "meltano      Run completed" in output  # the task really ran `meltano run`
    after = emulators.report()
    qbo, mf = after["qbo"], after["mf"]
    assert qbo["items"] == before["qbo"]["items"] + mf["products"]
    assert qbo["customers"] > 0
    assert mf["invoices"] > 0
    assert qbo["invoices"] == mf["invoices"]
    assert Decimal(qbo["invoice_total"]) == Decimal(mf["invoice_total"])
    assert qbo["refund_receipts"] == mf["refund_receipts"] > 0  # memos of paid invoices
    assert qbo["credit_memos"] == mf["credit_memos"]
