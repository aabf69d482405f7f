"""``report``: the product sync view of the hosted integration, from Meltano state.

The target keeps its ID map, per-product status, pending records and the last
results of each feed inside Meltano state (one state per feed). This command
reads those states through the ``meltano`` CLI (any state backend works) and
builds every product SKU with its QuickBooks Id, last sync status and the feed
that wrote it, each feed's last result, and the records waiting to be retried
with their reason. Filters, the summary and the tables: :mod:`report_view`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from target_quickbooks.admin.config import project_root
from target_quickbooks.admin.report_feeds import feed_name, jobs_by_task
from target_quickbooks.admin.report_products import ProductRow, merge_products
from target_quickbooks.results import OUTCOMES
from target_quickbooks.state import target_entry
from target_quickbooks.state_check import StateDamagedError, validate_entry


class ReportError(Exception):
    """Meltano state could not be read (or its target-quickbooks entry is damaged)."""


def check_states(states: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`ReportError` naming the state id, field and repair of a damaged entry."""
    for state_id, state in sorted(states.items()):
        try:
            entry = target_entry(state)
            if entry is not None:
                validate_entry(entry)
        except StateDamagedError as error:
            error.state_id, error.in_run = state_id, False
            raise ReportError(error.message()) from None


@dataclass
class Report:
    """Everything the report shows, ready for a table or JSON."""

    products: list[ProductRow] = field(default_factory=list)
    feeds: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    #: Documents edited in QuickBooks after the target wrote them (left as they are).
    drift: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``--format json``)."""
        return {"products": [row.as_dict() for row in self.products], "feeds": self.feeds,
                "pending": self.pending, "drift": self.drift}


def find_meltano() -> str:
    """The ``meltano`` executable of this project (plugins run in their own venv)."""
    candidates = [
        os.environ.get("MELTANO_BIN"),
        shutil.which("meltano"),
        str(project_root() / ".venv" / "bin" / "meltano"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    msg = "cannot find the `meltano` executable: set MELTANO_BIN to its path"
    raise ReportError(msg)


def read_states(meltano: str | None = None) -> dict[str, dict[str, Any]]:
    """Every Meltano state that holds a target-quickbooks entry, by state id."""
    exe = meltano or find_meltano()

    def run(*args: str) -> str:
        proc = subprocess.run(
            [exe, "state", *args], cwd=project_root(), capture_output=True, text=True,
            check=False,
        )
        if proc.returncode != 0:
            msg = f"`meltano state {' '.join(args)}` failed: {proc.stderr.strip()[-500:]}"
            raise ReportError(msg)
        return proc.stdout

    states = {}
    for state_id in run("list").split():
        text = run("get", state_id).strip()
        value = json.loads(text) if text else {}
        check_states({state_id: value})
        if target_entry(value):
            states[state_id] = value
    return states


def build_report(states: Mapping[str, Mapping[str, Any]],
                 jobs: Mapping[str, str] | None = None) -> Report:
    """Merge the feeds' states; each SKU names the feed that wrote it (report_products.py).

    ``jobs`` names each state after the job that runs it (default: from this
    project's ``meltano.yml``).

    Raises:
        ReportError: a state's target-quickbooks entry is damaged (which field, how to
            repair it).
    """
    check_states(states)
    if jobs is None:
        jobs = jobs_by_task(project_root() / "meltano.yml")
    report = Report()
    entries: list[tuple[str, Mapping[str, Any]]] = []
    for state_id, state in sorted(states.items()):
        entry = target_entry(state) or {}
        feed = feed_name(state_id, jobs)
        entries.append((feed, entry))
        pending: Mapping[str, Mapping[str, Any]] = entry.get("pending") or {}
        drift: Mapping[str, Mapping[str, Any]] = entry.get("drift") or {}
        report.feeds.append({
            "feed": feed, "state_id": state_id, "realm_id": entry.get("realm_id"),
            "last_run": entry.get("last_run"),
            "results": {stream: {o: int(c.get(o, 0)) for o in OUTCOMES}
                        for stream, c in (entry.get("results") or {}).items()},
            "pending": sum(len(records) for records in pending.values()),
            "waiting": dict(Counter(str(item.get("status") or "deferred")
                                    for records in pending.values()
                                    for item in records.values())),
            "drift": sum(len(records) for records in drift.values()),
        })
        for stream, records in sorted(pending.items()):
            for key, item in sorted(records.items()):
                report.pending.append({
                    "feed": feed, "stream": stream, "key": key,
                    "status": item.get("status"), "field": item.get("field"),
                    "reason": item.get("reason"), "code": item.get("code"),
                    "hint": item.get("hint"), "attempts": item.get("attempts"),
                    "since": item.get("since"),
                })
        for stream, records in sorted(drift.items()):
            for key, item in sorted(records.items()):
                report.drift.append({
                    "feed": feed, "stream": stream, "key": key,
                    "quickbooks_id": item.get("id"), "doc_number": item.get("doc_number"),
                    "changes": list(item.get("changes") or []), "seen": item.get("seen"),
                    "hint": item.get("hint")})
    report.products = merge_products(entries)
    return report
