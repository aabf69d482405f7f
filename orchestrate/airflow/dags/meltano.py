"""Airflow DAGs for this project's Meltano schedules: one DAG per schedule.

Airflow parses this file; it asks Meltano for the schedules
(`meltano schedule list --format=json`, run in MELTANO_PROJECT_ROOT with MELTANO_BIN) and
builds, for each schedule, a DAG whose tasks are `meltano run <task>` in the job's order.
All translation logic is in `meltano_dag_specs` (pure, tested without Airflow); this file
only hands its specs to Airflow. A failing `meltano schedule list` is raised, so it shows
as an import error of this file in Airflow instead of DAGs silently disappearing.

Settings (environment of the Airflow scheduler/DAG processor *and* workers): see
orchestrate/README.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, chain

# Airflow puts the DAG bundle's root on sys.path when it parses DAG files; a bare
# DagBag(dag_folder=...) does not, so make the sibling module importable either way.
_DAGS_DIR = str(Path(__file__).resolve().parent)
if _DAGS_DIR not in sys.path:
    sys.path.append(_DAGS_DIR)

from meltano_dag_specs import (  # noqa: E402 - needs the sys.path entry above
    START_DATE,
    DagSpec,
    MeltanoSettings,
    build_dag_specs,
    default_args,
    load_schedules_json,
    parse_schedules_json,
    settings_from_env,
)


def build_dag(spec: DagSpec, settings: MeltanoSettings) -> DAG:
    """One Airflow DAG from its spec: tasks chained in the job's order."""
    with DAG(
        dag_id=spec.dag_id,
        description=spec.description,
        schedule=spec.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(settings),
        tags=list(spec.tags),
        doc_md=f"Generated from the Meltano schedule `{spec.dag_id}` by orchestrate/.",
    ) as dag:
        operators = [
            BashOperator(
                task_id=task.task_id,
                bash_command=task.bash_command,
                env=dict(spec.env) or None,
                append_env=True,
            )
            for task in spec.tasks
        ]
        chain(*operators)
    return dag


def _register_dags() -> None:
    settings = settings_from_env(os.environ, Path(__file__))
    schedules = parse_schedules_json(load_schedules_json(settings))
    for spec in build_dag_specs(schedules, settings):
        globals()[spec.dag_id] = build_dag(spec, settings)


_register_dags()
