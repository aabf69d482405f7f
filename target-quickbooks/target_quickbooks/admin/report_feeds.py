"""Which feed a Meltano state belongs to, named as the operator runs it.

Meltano keys each feed's state by ``<environment>:<extractor>-to-<loader>``
(``dev:tap-myfulfillment--products-to-target-quickbooks--create-products``).
The operator knows the feed by its job (``meltano run create-products``), so
the report names each state after the job of ``meltano.yml`` whose one task is
that extractor-loader pair. A state no such job runs keeps a readable
``<extractor suffix> → <loader suffix>`` name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # singer-sdk depends on PyYAML

#: What a products feed may do to an item: from its name, or its ``product_mode``.
CREATE, UPDATE, UPSERT = "create", "update", "upsert"


def split_state_id(state_id: str) -> tuple[str, str, str]:
    """``(environment, extractor, loader)`` of a Meltano state id; empty parts when absent."""
    env, colon, pair = state_id.partition(":")
    if not colon:
        env, pair = "", state_id
    tap, sep, target = pair.partition("-to-")
    return env, tap, target if sep else ""


def jobs_by_task(meltano_yml: Path) -> dict[str, str]:
    """``"<extractor> <loader>"`` → the name of the one-task job that runs it.

    An unreadable ``meltano.yml`` gives no names (the report still works, with
    the state ids' own names).
    """
    try:
        project = yaml.safe_load(meltano_yml.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    found: dict[str, str] = {}
    for job in project.get("jobs") or [] if isinstance(project, Mapping) else []:
        if not isinstance(job, Mapping):
            continue
        tasks = job.get("tasks") or []
        if isinstance(tasks, list) and len(tasks) == 1 and isinstance(tasks[0], str):
            found.setdefault(" ".join(tasks[0].split()), str(job.get("name")))
    return found


def feed_name(state_id: str, jobs: Mapping[str, str]) -> str:
    """The job that runs this state's pair, else ``<source> → <sink>``, else the id."""
    _, tap, target = split_state_id(state_id)
    if not target:
        return tap or state_id
    job = jobs.get(f"{tap} {target}")
    if job:
        return job
    source = tap.partition("--")[2] or tap
    sink = target.partition("--")[2] or target
    return f"{source} → {sink}"


def product_mode(feed: str) -> str:
    """Whether a feed creates items, updates them, or both.

    The state does not record ``product_mode``; the feed's name tells, by the
    project's convention (``create-products``, ``update-products``).
    """
    lowered = feed.lower()
    if "create" in lowered and "update" not in lowered:
        return CREATE
    if "update" in lowered and "create" not in lowered:
        return UPDATE
    return UPSERT
