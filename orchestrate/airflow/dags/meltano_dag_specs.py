"""Meltano schedules → Airflow DAG specs, without importing Airflow.

Airflow only needs plain data to build the DAGs (ids, schedules, shell commands), so the
whole translation from `meltano schedule list --format=json` lives here as pure,
stdlib-only functions: they are unit-tested in the project's main venv, and the DAG file
(`meltano.py`) is left with nothing but the Airflow calls.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

# Airflow identifiers (dag_id, task_id) are limited to these characters and 250 chars.
_AIRFLOW_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")
_NOT_ID_CHAR = re.compile(r"[^A-Za-z0-9_.-]+")

# Meltano intervals that mean "never on a timer": the DAG exists but is only triggered by hand.
_MANUAL_INTERVALS = frozenset({"@manual", "@none"})

# A fixed date in the past: with catchup=False only the latest interval runs, and a fixed
# date (never `now()`) keeps the DAG definition identical on every parse.
START_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)

# `meltano schedule list` takes ~2 s; Airflow's default dagbag_import_timeout is 30 s.
SCHEDULE_LIST_TIMEOUT_S = 25.0


class MeltanoScheduleError(ValueError):
    """The schedule list from Meltano cannot be turned into DAGs (names what to fix)."""


@dataclass(frozen=True)
class MeltanoSettings:
    """Where and how the DAG tasks call Meltano.

    Attributes:
        project_root: directory holding meltano.yml; every task `cd`s there first.
        meltano_bin: the meltano executable (a path, or a name found on PATH).
        environment: Meltano environment passed as `--environment`, or None for the
            project's `default_environment`.
        pool: Airflow pool of every task (None: Airflow's default pool). A one-slot pool
            serializes the runs of all feeds, which share one rotating refresh token.
        queue: Airflow queue of every task (None: the executor's default), e.g. to pin all
            runs to the worker that holds the token store.
        retries: task retries before the run fails.
        retry_delay: wait between retries.
    """

    project_root: str
    meltano_bin: str = "meltano"
    environment: str | None = None
    pool: str | None = None
    queue: str | None = None
    retries: int = 1
    retry_delay: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class TaskSpec:
    """One `meltano run` invocation: an Airflow BashOperator."""

    task_id: str
    bash_command: str


@dataclass(frozen=True)
class DagSpec:
    """One Meltano schedule as an Airflow DAG; `tasks` run one after the other."""

    dag_id: str
    schedule: str | None
    description: str
    tags: tuple[str, ...]
    tasks: tuple[TaskSpec, ...]
    env: Mapping[str, str] = field(default_factory=dict)


def default_project_root(dags_file: Path) -> Path:
    """The project holding `orchestrate/airflow/dags/<dags_file>` (its meltano.yml)."""
    return dags_file.resolve().parents[3]


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def settings_from_env(environ: Mapping[str, str], dags_file: Path) -> MeltanoSettings:
    """Read the settings from environment variables (see orchestrate/README.md).

    Args:
        environ: usually `os.environ` of the Airflow process parsing the DAG file.
        dags_file: path of the DAG file, for the default project root.

    Returns:
        The settings; unset or empty variables take their defaults.

    Raises:
        MeltanoScheduleError: MELTANO_AIRFLOW_RETRIES is not a non-negative integer.
    """
    retries_text = _optional(environ, "MELTANO_AIRFLOW_RETRIES") or "1"
    if not retries_text.isdigit():
        msg = (
            f"MELTANO_AIRFLOW_RETRIES={retries_text!r} is not a non-negative integer; "
            "set it to e.g. 1, or unset it"
        )
        raise MeltanoScheduleError(msg)
    return MeltanoSettings(
        project_root=_optional(environ, "MELTANO_PROJECT_ROOT")
        or str(default_project_root(dags_file)),
        meltano_bin=_optional(environ, "MELTANO_BIN") or "meltano",
        environment=_optional(environ, "MELTANO_ENVIRONMENT"),
        pool=_optional(environ, "MELTANO_AIRFLOW_POOL"),
        queue=_optional(environ, "MELTANO_AIRFLOW_QUEUE"),
        retries=int(retries_text),
    )


def load_schedules_json(settings: MeltanoSettings) -> str:
    """Run `meltano schedule list --format=json` in the project and return its stdout.

    Raises:
        MeltanoScheduleError: meltano is missing, times out or exits non-zero; the
            message carries the command and meltano's stderr tail so the Airflow import
            error says what to fix.
    """
    command = [settings.meltano_bin, "schedule", "list", "--format=json"]
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    try:
        result = subprocess.run(  # noqa: PLW1510 - the return code is checked below
            command,
            cwd=settings.project_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=SCHEDULE_LIST_TIMEOUT_S,
        )
    except FileNotFoundError as exc:
        msg = (
            f"cannot run {shlex.join(command)!r} in {settings.project_root!r}: {exc}. "
            "Set MELTANO_BIN to the meltano executable and MELTANO_PROJECT_ROOT to the "
            "directory holding meltano.yml"
        )
        raise MeltanoScheduleError(msg) from exc
    except subprocess.TimeoutExpired as exc:
        msg = f"{shlex.join(command)!r} took over {SCHEDULE_LIST_TIMEOUT_S:.0f} s"
        raise MeltanoScheduleError(msg) from exc
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        msg = (
            f"{shlex.join(command)!r} in {settings.project_root!r} exited with "
            f"{result.returncode}:\n{tail}"
        )
        raise MeltanoScheduleError(msg)
    return result.stdout


def parse_schedules_json(text: str) -> Mapping[str, Any]:
    """Decode the output of `meltano schedule list --format=json`.

    Raises:
        MeltanoScheduleError: it is not JSON with a `schedules` object.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"`meltano schedule list --format=json` did not print JSON ({exc}): {text[:200]!r}"
        raise MeltanoScheduleError(msg) from exc
    schedules = document.get("schedules") if isinstance(document, dict) else None
    if not isinstance(schedules, dict):
        msg = "`meltano schedule list --format=json` printed no `schedules` object"
        raise MeltanoScheduleError(msg)
    return schedules


def airflow_schedule(name: str, interval: object, cron_interval: object) -> str | None:
    """Airflow `schedule=` of a Meltano schedule.

    Airflow understands Meltano's presets (`@hourly`, `@daily`, `@once`, ...) and cron
    expressions as they are; `@manual`/`@none`/no interval mean "trigger by hand" (None).

    Raises:
        MeltanoScheduleError: the interval is neither a string nor absent.
    """
    for value in (interval, cron_interval):
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            msg = f"schedule {name!r}: interval {value!r} is not a string; fix it in meltano.yml"
            raise MeltanoScheduleError(msg)
        return None if value in _MANUAL_INTERVALS else value
    return None


def _task_blocks(schedule_name: str, tasks: object) -> list[str]:
    """One `meltano run` argument string per job task, in the job's order.

    A Meltano job's tasks are a string, or a list whose items are strings
    (`"tap target"`) or lists of block names (run together by one `meltano run`).
    """
    if isinstance(tasks, str):
        items: list[object] = [tasks]
    elif isinstance(tasks, list) and tasks:
        items = list(tasks)
    else:
        msg = (
            f"schedule {schedule_name!r}: job.tasks must be a non-empty string or list, "
            f"got {tasks!r}; fix the job in meltano.yml"
        )
        raise MeltanoScheduleError(msg)
    blocks: list[str] = []
    for position, item in enumerate(items, start=1):
        if isinstance(item, list) and item and all(isinstance(x, str) for x in item):
            words = [word for part in item for word in part.split()]
        elif isinstance(item, str):
            words = item.split()
        else:
            words = []
        if not words:
            msg = (
                f"schedule {schedule_name!r}: task #{position} ({item!r}) is not a string "
                "or a list of strings of plugin names; fix the job in meltano.yml"
            )
            raise MeltanoScheduleError(msg)
        blocks.append(" ".join(words))
    return blocks


def _task_id(blocks: str, taken: set[str]) -> str:
    """Readable, unique Airflow task id: block names joined by `__`."""
    base = _NOT_ID_CHAR.sub("_", "__".join(blocks.split()))[:240]
    task_id, suffix = base, 1
    while task_id in taken:
        suffix += 1
        task_id = f"{base}_{suffix}"
    taken.add(task_id)
    return task_id


def meltano_command(settings: MeltanoSettings, arguments: Sequence[str]) -> str:
    """Shell command running `meltano [--environment=ENV] <arguments>` in the project."""
    command = [settings.meltano_bin]
    if settings.environment:
        command.append(f"--environment={settings.environment}")
    command.extend(arguments)
    return f"cd {shlex.quote(settings.project_root)} && {shlex.join(command)}"


def _schedule_env(name: str, env: object) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        msg = f"schedule {name!r}: env must map names to strings, got {env!r}"
        raise MeltanoScheduleError(msg)
    return dict(env)


def _schedule_name(entry: object, kind: str) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not _AIRFLOW_ID.match(name):
        msg = (
            f"{kind} schedule {name!r}: the name must be 1-250 letters, digits, '-', '_' "
            "or '.' to be an Airflow dag_id; rename it in meltano.yml"
        )
        raise MeltanoScheduleError(msg)
    return name


def _job_dag(entry: Mapping[str, Any], settings: MeltanoSettings) -> DagSpec:
    name = _schedule_name(entry, "job")
    job = entry.get("job")
    if not isinstance(job, dict) or not isinstance(job.get("name"), str):
        msg = f"schedule {name!r}: no job (with a name); fix the schedule in meltano.yml"
        raise MeltanoScheduleError(msg)
    blocks = _task_blocks(name, job.get("tasks"))
    taken: set[str] = set()
    tasks = tuple(
        TaskSpec(_task_id(b, taken), meltano_command(settings, ["run", *b.split()])) for b in blocks
    )
    return DagSpec(
        dag_id=name,
        schedule=airflow_schedule(name, entry.get("interval"), entry.get("cron_interval")),
        description=f"Meltano job {job['name']}: " + " → ".join(blocks),
        tags=("meltano", f"job:{job['name']}"),
        tasks=tasks,
        env=_schedule_env(name, entry.get("env")),
    )


def _elt_dag(entry: Mapping[str, Any], settings: MeltanoSettings) -> DagSpec:
    """A legacy `extractor`/`loader` schedule: one `meltano schedule run <name>` task."""
    name = _schedule_name(entry, "elt")
    extractor, loader = entry.get("extractor"), entry.get("loader")
    if not isinstance(extractor, str) or not isinstance(loader, str):
        msg = f"elt schedule {name!r}: extractor and loader must be plugin names"
        raise MeltanoScheduleError(msg)
    task_id = _task_id(f"{extractor} {loader}", set())
    return DagSpec(
        dag_id=name,
        schedule=airflow_schedule(name, entry.get("interval"), entry.get("cron_interval")),
        description=f"Meltano ELT schedule {name}: {extractor} → {loader}",
        tags=("meltano", "elt"),
        tasks=(TaskSpec(task_id, meltano_command(settings, ["schedule", "run", name])),),
        env=_schedule_env(name, entry.get("env")),
    )


def build_dag_specs(schedules: Mapping[str, Any], settings: MeltanoSettings) -> list[DagSpec]:
    """One DAG spec per Meltano schedule, job schedules first, in meltano.yml order.

    Args:
        schedules: the `schedules` object of `meltano schedule list --format=json`
            (`{"job": [...], "elt": [...]}`).
        settings: where and how tasks call Meltano.

    Returns:
        The DAG specs; each job task becomes one task, chained in the job's order, so a
        job listing products, customers, invoices runs them in that order.

    Raises:
        MeltanoScheduleError: a schedule is malformed or two share a dag_id.
    """
    specs: list[DagSpec] = []
    for kind, build in (("job", _job_dag), ("elt", _elt_dag)):
        entries = schedules.get(kind) or []
        if not isinstance(entries, list):
            msg = f"`schedules.{kind}` must be a list, got {type(entries).__name__}"
            raise MeltanoScheduleError(msg)
        specs.extend(build(entry, settings) for entry in entries)
    seen: set[str] = set()
    for spec in specs:
        if spec.dag_id in seen:
            msg = f"two schedules are named {spec.dag_id!r}; rename one in meltano.yml"
            raise MeltanoScheduleError(msg)
        seen.add(spec.dag_id)
    return specs


def default_args(settings: MeltanoSettings) -> dict[str, Any]:
    """Airflow `default_args` shared by every task of every generated DAG.

    `depends_on_past` stays False: each run reads its own Meltano state bookmark, so a
    failed hour does not need to block the next one (it is picked up by it instead).
    """
    args: dict[str, Any] = {
        "owner": "meltano",
        "depends_on_past": False,
        "retries": settings.retries,
        "retry_delay": settings.retry_delay,
    }
    if settings.pool:
        args["pool"] = settings.pool
    if settings.queue:
        args["queue"] = settings.queue
    return args
