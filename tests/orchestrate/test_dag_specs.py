"""The pure Meltano-schedules → DAG-specs translation, without Airflow (main venv)."""

from __future__ import annotations

import json
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from meltano_dag_specs import (
    MeltanoScheduleError,
    MeltanoSettings,
    TaskSpec,
    airflow_schedule,
    build_dag_specs,
    default_args,
    default_project_root,
    load_schedules_json,
    meltano_command,
    parse_schedules_json,
    settings_from_env,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = PROJECT_ROOT / "orchestrate" / "airflow" / "dags" / "meltano.py"
MELTANO = PROJECT_ROOT / ".venv" / "bin" / "meltano"

SETTINGS = MeltanoSettings(project_root="/srv/my project", meltano_bin="/opt/bin/meltano")

# The shape `meltano schedule list --format=json` prints (Meltano 4.4), with the cases
# this project's meltano.yml does not have yet: a multi-task job, a nested task list, a
# manual schedule, schedule env and a legacy ELT schedule.
SAMPLE = {
    "schedules": {
        "job": [
            {
                "name": "create-products-hourly",
                "interval": "@hourly",
                "cron_interval": "0 * * * *",
                "env": {},
                "job": {
                    "name": "create-products",
                    "tasks": ["tap-myfulfillment--products target-quickbooks--create-products"],
                },
            },
            {
                "name": "sync-all-daily",
                "interval": "@daily",
                "cron_interval": "0 0 * * *",
                "env": {"TARGET_QUICKBOOKS_DRY_RUN": "true"},
                "job": {
                    "name": "sync-all",
                    "tasks": [
                        "tap-myfulfillment--products target-quickbooks--create-products",
                        "tap-myfulfillment--customers target-quickbooks",
                        "tap-myfulfillment--invoices target-quickbooks",
                        "tap-myfulfillment--credit-memos target-quickbooks",
                    ],
                },
            },
            {
                "name": "nested-manual",
                "interval": "@manual",
                "cron_interval": None,
                "env": {},
                "job": {
                    "name": "nested",
                    "tasks": [["tap-a target-b", "dbt:run"], "tap-a target-b"],
                },
            },
            {
                "name": "cron-job",
                "interval": "15 */2 * * *",
                "cron_interval": "15 */2 * * *",
                "env": {},
                "job": {"name": "single-string", "tasks": "tap-a target-b"},
            },
        ],
        "elt": [
            {
                "name": "legacy-elt",
                "extractor": "tap-a",
                "loader": "target-b",
                "transform": "skip",
                "interval": "@once",
                "env": {},
                "cron_interval": None,
                "last_successful_run_ended_at": None,
                "elt_args": ["tap-a", "target-b"],
            }
        ],
    }
}


def specs_by_id(settings: MeltanoSettings = SETTINGS) -> dict:
    schedules = parse_schedules_json(json.dumps(SAMPLE))
    return {spec.dag_id: spec for spec in build_dag_specs(schedules, settings)}


def test_one_dag_per_schedule_in_order() -> None:
    schedules = parse_schedules_json(json.dumps(SAMPLE))
    assert [s.dag_id for s in build_dag_specs(schedules, SETTINGS)] == [
        "create-products-hourly",
        "sync-all-daily",
        "nested-manual",
        "cron-job",
        "legacy-elt",
    ]


def test_schedules_map_meltano_intervals() -> None:
    specs = specs_by_id()
    assert specs["create-products-hourly"].schedule == "@hourly"
    assert specs["sync-all-daily"].schedule == "@daily"
    assert specs["nested-manual"].schedule is None
    assert specs["cron-job"].schedule == "15 */2 * * *"
    assert specs["legacy-elt"].schedule == "@once"
    # Only a cron_interval (interval absent): the cron expression is used.
    assert airflow_schedule("x", None, "0 3 * * *") == "0 3 * * *"
    assert airflow_schedule("x", None, None) is None
    assert airflow_schedule("x", "@none", None) is None


def test_job_tasks_become_chained_meltano_runs_in_job_order() -> None:
    spec = specs_by_id()["sync-all-daily"]
    assert [t.task_id for t in spec.tasks] == [
        "tap-myfulfillment--products__target-quickbooks--create-products",
        "tap-myfulfillment--customers__target-quickbooks",
        "tap-myfulfillment--invoices__target-quickbooks",
        "tap-myfulfillment--credit-memos__target-quickbooks",
    ]
    assert spec.tasks[1].bash_command == (
        "cd '/srv/my project' && /opt/bin/meltano run tap-myfulfillment--customers "
        "target-quickbooks"
    )
    assert spec.env == {"TARGET_QUICKBOOKS_DRY_RUN": "true"}
    assert spec.tags == ("meltano", "job:sync-all")
    assert "products" in spec.description
    assert spec.description.index("customers") < spec.description.index("invoices")


def test_nested_task_lists_run_as_one_invocation_and_ids_stay_unique() -> None:
    spec = specs_by_id()["nested-manual"]
    assert spec.tasks == (
        TaskSpec(
            "tap-a__target-b__dbt_run",
            "cd '/srv/my project' && /opt/bin/meltano run tap-a target-b dbt:run",
        ),
        TaskSpec("tap-a__target-b", "cd '/srv/my project' && /opt/bin/meltano run tap-a target-b"),
    )
    single = specs_by_id()["cron-job"]
    assert [t.task_id for t in single.tasks] == ["tap-a__target-b"]


def test_repeated_task_gets_a_suffixed_id() -> None:
    schedules = {
        "job": [
            {
                "name": "twice",
                "interval": "@daily",
                "job": {"name": "twice", "tasks": ["tap-a target-b", "tap-a  target-b"]},
            }
        ]
    }
    (spec,) = build_dag_specs(schedules, SETTINGS)
    assert [t.task_id for t in spec.tasks] == ["tap-a__target-b", "tap-a__target-b_2"]


def test_elt_schedule_runs_meltano_schedule_run() -> None:
    spec = specs_by_id()["legacy-elt"]
    assert spec.tasks == (
        TaskSpec(
            "tap-a__target-b",
            "cd '/srv/my project' && /opt/bin/meltano schedule run legacy-elt",
        ),
    )
    assert spec.tags == ("meltano", "elt")


def test_environment_is_passed_and_everything_is_shell_quoted() -> None:
    settings = MeltanoSettings(
        project_root="/srv/it's here", meltano_bin="/opt/my bin/meltano", environment="prod"
    )
    command = meltano_command(settings, ["run", "tap-a", "target-b"])
    assert command == (
        "cd '/srv/it'\"'\"'s here' && '/opt/my bin/meltano' --environment=prod run tap-a target-b"
    )
    assert shlex.split(command)[:2] == ["cd", "/srv/it's here"]


def test_settings_defaults_and_environment_variables() -> None:
    defaults = settings_from_env({}, DAG_FILE)
    assert defaults == MeltanoSettings(project_root=str(PROJECT_ROOT))
    assert default_project_root(DAG_FILE) == PROJECT_ROOT
    assert (PROJECT_ROOT / "meltano.yml").is_file()

    settings = settings_from_env(
        {
            "MELTANO_PROJECT_ROOT": "/srv/project",
            "MELTANO_BIN": "/srv/project/.venv/bin/meltano",
            "MELTANO_ENVIRONMENT": "prod",
            "MELTANO_AIRFLOW_POOL": "quickbooks",
            "MELTANO_AIRFLOW_QUEUE": "token-holder",
            "MELTANO_AIRFLOW_RETRIES": "3",
        },
        DAG_FILE,
    )
    assert settings == MeltanoSettings(
        project_root="/srv/project",
        meltano_bin="/srv/project/.venv/bin/meltano",
        environment="prod",
        pool="quickbooks",
        queue="token-holder",
        retries=3,
    )
    # Empty values mean "unset" (e.g. `MELTANO_ENVIRONMENT=` in a deployment manifest).
    assert settings_from_env({"MELTANO_ENVIRONMENT": " "}, DAG_FILE).environment is None


def test_bad_retries_value_is_named() -> None:
    with pytest.raises(MeltanoScheduleError, match="MELTANO_AIRFLOW_RETRIES='two'"):
        settings_from_env({"MELTANO_AIRFLOW_RETRIES": "two"}, DAG_FILE)


def test_default_args() -> None:
    assert default_args(SETTINGS) == {
        "owner": "meltano",
        "depends_on_past": False,
        "retries": 1,
        "retry_delay": timedelta(minutes=5),
    }
    pinned = MeltanoSettings(project_root="/p", pool="quickbooks", queue="q1", retries=0)
    assert default_args(pinned)["pool"] == "quickbooks"
    assert default_args(pinned)["queue"] == "q1"
    assert default_args(pinned)["retries"] == 0


@pytest.mark.parametrize(
    ("schedules", "message"),
    [
        ({"job": [{"name": "bad name!", "job": {}}]}, "'bad name!'.*rename it"),
        ({"job": [{"name": "x", "interval": "@daily"}]}, "schedule 'x': no job"),
        ({"job": [{"name": "x", "job": {"name": "j", "tasks": []}}]}, "job.tasks must be"),
        ({"job": [{"name": "x", "job": {"name": "j", "tasks": ["ok", 3]}}]}, "task #2 \\(3\\)"),
        ({"job": [{"name": "x", "job": {"name": "j", "tasks": ["  "]}}]}, "task #1"),
        ({"job": [{"name": "x", "interval": 5, "job": {"name": "j", "tasks": "a"}}]}, "interval 5"),
        ({"job": [{"name": "x", "env": {"A": 1}, "job": {"name": "j", "tasks": "a"}}]}, "env"),
        ({"job": {"name": "x"}}, "schedules.job` must be a list"),
        ({"elt": [{"name": "e", "extractor": "tap-a"}]}, "extractor and loader"),
        (
            {
                "job": [{"name": "same", "job": {"name": "j", "tasks": "a b"}}],
                "elt": [{"name": "same", "extractor": "a", "loader": "b"}],
            },
            "two schedules are named 'same'",
        ),
    ],
)
def test_malformed_schedules_are_rejected_with_the_fix(schedules: dict, message: str) -> None:
    with pytest.raises(MeltanoScheduleError, match=message):
        build_dag_specs(schedules, SETTINGS)


@pytest.mark.parametrize(
    ("text", "message"),
    [("not json", "did not print JSON"), ("[]", "no `schedules`"), ('{"a": 1}', "no `sch")],
)
def test_output_that_is_not_a_schedule_list_is_rejected(text: str, message: str) -> None:
    with pytest.raises(MeltanoScheduleError, match=message):
        parse_schedules_json(text)


def test_real_meltano_schedule_list_gives_one_dag_per_meltano_yml_schedule() -> None:
    settings = MeltanoSettings(project_root=str(PROJECT_ROOT), meltano_bin=str(MELTANO))
    specs = build_dag_specs(parse_schedules_json(load_schedules_json(settings)), settings)

    project = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text())
    jobs = {job["name"]: job["tasks"] for job in project["jobs"]}
    expected = {s["name"]: (s["interval"], jobs[s["job"]]) for s in project["schedules"]}
    assert {spec.dag_id for spec in specs} == set(expected)
    for spec in specs:
        interval, tasks = expected[spec.dag_id]
        assert spec.schedule == interval
        assert [t.bash_command for t in spec.tasks] == [
            f"cd {shlex.quote(str(PROJECT_ROOT))} && {shlex.quote(str(MELTANO))} run {task}"
            for task in tasks
        ]


def test_missing_meltano_executable_names_the_variables(tmp_path: Path) -> None:
    settings = MeltanoSettings(project_root=str(tmp_path), meltano_bin=str(tmp_path / "nope"))
    with pytest.raises(MeltanoScheduleError, match="Set MELTANO_BIN"):
        load_schedules_json(settings)


def test_failing_meltano_reports_exit_code_and_stderr(tmp_path: Path) -> None:
    settings = MeltanoSettings(project_root=str(tmp_path), meltano_bin=str(MELTANO))
    with pytest.raises(MeltanoScheduleError, match=r"exited with [1-9]") as caught:
        load_schedules_json(settings)
    assert str(tmp_path) in str(caught.value)
