"""The generated DAGs as real Airflow loads them (runs in `.airflow-venv`: make airflow-test).

Each DagBag parse runs the DAG file, which runs the real `meltano schedule list` of the
project (MELTANO_BIN, default the main venv's meltano).
"""

from __future__ import annotations

import itertools
import os
import shlex
from pathlib import Path

import pytest
import yaml
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.standard.operators.bash import BashOperator
from airflow.serialization.serialized_objects import DagSerialization

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DAGS_DIR = PROJECT_ROOT / "orchestrate" / "airflow" / "dags"
MELTANO_BIN = os.environ.get("MELTANO_BIN") or str(PROJECT_ROOT / ".venv" / "bin" / "meltano")


def expected_schedules(project_root: Path) -> dict[str, tuple[str, list[str], dict]]:
    """schedule name → (interval, job tasks, env), read from meltano.yml."""
    project = yaml.safe_load((project_root / "meltano.yml").read_text())
    jobs = {job["name"]: job["tasks"] for job in project["jobs"]}
    return {
        s["name"]: (s["interval"], jobs[s["job"]], s.get("env", {})) for s in project["schedules"]
    }


def load_dagbag(project_root: Path, meltano_bin: str = MELTANO_BIN) -> DagBag:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MELTANO_PROJECT_ROOT", str(project_root))
        mp.setenv("MELTANO_BIN", meltano_bin)
        mp.setenv("MELTANO_ENVIRONMENT", "prod")
        mp.delenv("MELTANO_AIRFLOW_POOL", raising=False)
        mp.delenv("MELTANO_AIRFLOW_QUEUE", raising=False)
        mp.delenv("MELTANO_AIRFLOW_RETRIES", raising=False)
        return DagBag(dag_folder=str(DAGS_DIR))


def command(project_root: Path, task: str) -> str:
    return (
        f"cd {shlex.quote(str(project_root))} && {shlex.quote(MELTANO_BIN)} "
        f"--environment=prod run {task}"
    )


def assert_chained_in_order(dag, tasks: list[str], project_root: Path) -> None:
    ordered = [dag.get_task(t) for t in (op.task_id for op in dag.topological_sort())]
    assert [op.bash_command for op in ordered] == [command(project_root, t) for t in tasks]
    for previous, current in itertools.pairwise(ordered):
        assert current.upstream_task_ids == {previous.task_id}
    assert ordered[0].upstream_task_ids == set()
    assert all(isinstance(op, BashOperator) for op in ordered)


@pytest.fixture(scope="module")
def project_dagbag() -> DagBag:
    return load_dagbag(PROJECT_ROOT)


def test_dag_file_imports_cleanly_with_one_dag_per_schedule(project_dagbag: DagBag) -> None:
    assert project_dagbag.import_errors == {}
    assert set(project_dagbag.dag_ids) == set(expected_schedules(PROJECT_ROOT))
    assert set(project_dagbag.dag_ids) == {
        "create-products-hourly",
        "update-products-daily",
        "export-customers-hourly",
        "export-invoices-hourly",
        "export-credit-memos-hourly",
        "reconcile-daily",
    }
    # Only meltano.py holds DAGs; .airflowignore keeps the pure module from being parsed.
    assert {Path(dag.fileloc).name for dag in project_dagbag.dags.values()} == {"meltano.py"}


def test_dags_follow_meltano_schedules(project_dagbag: DagBag) -> None:
    for name, (interval, tasks, _env) in expected_schedules(PROJECT_ROOT).items():
        dag = project_dagbag.dags[name]
        assert dag.schedule == interval
        assert interval in {"@hourly", "@daily"}
        assert dag.catchup is False
        assert dag.max_active_runs == 1
        assert "meltano" in dag.tags
        assert_chained_in_order(dag, tasks, PROJECT_ROOT)
        for op in dag.tasks:
            assert op.retries == 1
            assert op.retry_delay.total_seconds() == 300
            assert op.owner == "meltano"


def test_dags_survive_airflow_serialization(project_dagbag: DagBag) -> None:
    for dag in project_dagbag.dags.values():
        restored = DagSerialization.from_dict(DagSerialization.to_dict(dag))
        assert restored.dag_id == dag.dag_id
        assert restored.task_ids == dag.task_ids


@pytest.fixture
def project_with_sync_all_schedule(tmp_path: Path) -> Path:
    """A copy of meltano.yml that also schedules the four-task `sync-all` job."""
    project = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text())
    project["schedules"].append(
        {
            "name": "sync-all-daily",
            "interval": "@daily",
            "job": "sync-all",
            "env": {"TARGET_QUICKBOOKS_DRY_RUN": "true"},
        }
    )
    (tmp_path / "meltano.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    return tmp_path


def test_multi_task_job_is_chained_in_dependency_order(
    project_with_sync_all_schedule: Path,
) -> None:
    root = project_with_sync_all_schedule
    bag = load_dagbag(root)
    assert bag.import_errors == {}
    dag = bag.dags["sync-all-daily"]
    _interval, tasks, _env = expected_schedules(root)["sync-all-daily"]
    assert len(tasks) == 4
    assert_chained_in_order(dag, tasks, root)
    feeds = [op.bash_command.split("run ", 1)[1].split()[0] for op in dag.topological_sort()]
    assert feeds == [
        "tap-myfulfillment--products",
        "tap-myfulfillment--customers",
        "tap-myfulfillment--invoices",
        "tap-myfulfillment--credit-memos",
    ]
    for op in dag.tasks:
        assert op.env == {"TARGET_QUICKBOOKS_DRY_RUN": "true"}
        assert op.append_env is True


def test_meltano_failure_is_an_airflow_import_error(tmp_path: Path) -> None:
    bag = load_dagbag(PROJECT_ROOT, meltano_bin=str(tmp_path / "no-meltano"))
    assert bag.dag_ids == []
    ((path, error),) = bag.import_errors.items()
    assert path.endswith("meltano.py")
    assert "MeltanoScheduleError" in error
    assert "Set MELTANO_BIN" in error
