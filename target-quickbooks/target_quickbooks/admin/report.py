"""``report``: the product sync view (Boostmyshop's "Synchronisation des produits").

The target keeps its ID map, per-product status, pending records and the last
results of each feed inside Meltano state (one state per feed). This command
reads those states through the ``meltano`` CLI (any state backend works) and
shows every product SKU with its QuickBooks Id and last sync status, each
feed's last result, and the records waiting to be retried with their reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from target_quickbooks.admin.config import project_root
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

    products: list[dict[str, Any]] = field(default_factory=list)
    feeds: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    #: Documents edited in QuickBooks after the target wrote them (left as they are).
    drift: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``--format json``)."""
        return {"products": self.products, "feeds": self.feeds, "pending": self.pending,
                "drift": self.drift}


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


def build_report(states: Mapping[str, Mapping[str, Any]]) -> Report:
    """Merge the feeds' states: the newest status of each product wins.

    Raises:
        ReportError: a state's target-quickbooks entry is damaged (which field, how to
            repair it).
    """
    check_states(states)
    report = Report()
    products: dict[str, dict[str, Any]] = {}
    for state_id, state in sorted(states.items()):
        entry = target_entry(state) or {}
        feed = _feed_name(state_id)
        items = entry.get("items") or {}
        statuses = entry.get("products") or {}
        last_run = str(entry.get("last_run") or "")
        for sku in set(items) | set(statuses):
            status, at = ([*list(statuses.get(sku) or []), "", ""])[:2]
            if not status and sku in items:
                # The target stores no status for synced products (compact state): a
                # mapped SKU without one was created, updated or unchanged by this feed.
                status, at = "synced", last_run
            row = {"sku": sku, "quickbooks_id": str(items.get(sku, "")).split(":")[0] or None,
                   "status": status, "at": at, "feed": feed}
            current = products.get(sku)
            if current is None or (row["at"] or "") >= (current["at"] or ""):
                row["quickbooks_id"] = row["quickbooks_id"] or (current or {}).get("quickbooks_id")
                products[sku] = row
        pending = entry.get("pending") or {}
        results = entry.get("results") or {}
        report.feeds.append({
            "feed": feed, "state_id": state_id, "realm_id": entry.get("realm_id"),
            "last_run": entry.get("last_run"),
            "results": {stream: {o: int(c.get(o, 0)) for o in OUTCOMES}
                        for stream, c in results.items()},
            "pending": sum(len(records) for records in pending.values()),
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
        for stream, records in sorted((entry.get("drift") or {}).items()):
            for key, item in sorted(records.items()):
                report.drift.append({
                    "feed": feed, "stream": stream, "key": key,
                    "quickbooks_id": item.get("id"), "doc_number": item.get("doc_number"),
                    "changes": list(item.get("changes") or []), "seen": item.get("seen"),
                    "hint": item.get("hint")})
    report.products = [products[sku] for sku in sorted(products)]
    return report


def _feed_name(state_id: str) -> str:
    """A state id made readable: the inherited plugins' suffixes name the feed.

    ``dev:tap-myfulfillment--products-to-target-quickbooks--create-products`` →
    ``products → create-products``; ids of other shapes are shown as they are.
    """
    _, _, pair = state_id.partition(":")
    tap, sep, target = (pair or state_id).partition("-to-")
    if not sep:
        return pair or state_id
    source = tap.partition("--")[2] or tap
    sink = target.partition("--")[2] or target
    return f"{source} → {sink}"


#: How the pending statuses read in the table's heading.
_STATUS_LABELS = {"rejected": "rejected", "needs_attention": "needing attention",
                  "deferred": "deferred",
                  "deleted_in_quickbooks": "deleted in QuickBooks (waiting for the source record)"}


def render_table(report: Report) -> str:
    """Plain-text tables for people."""
    lines = ["Product sync", ""]
    lines += _table(["SKU", "QuickBooks Id", "Status", "At", "Feed"],
                    [[p["sku"], p["quickbooks_id"] or "-", p["status"], p["at"] or "-",
                      p["feed"]] for p in report.products])
    lines += ["", "Feeds (last run)", ""]
    rows = []
    for feed in report.feeds:
        for stream, counts in sorted(feed["results"].items()) or [("-", {})]:
            rows.append([feed["feed"], feed["last_run"] or "-", stream,
                         *(str(counts.get(o, 0)) for o in OUTCOMES), str(feed["pending"])])
    lines += _table(["Feed", "Last run", "Stream", *OUTCOMES, "pending"], rows)
    if report.pending:
        statuses = Counter(str(p["status"] or "deferred") for p in report.pending)
        lines += ["", "Waiting to be retried (" + ", ".join(
            f"{statuses[status]} {label}" for status, label in _STATUS_LABELS.items())
            + ")", ""]
        lines += _table(["Feed", "Stream", "Key", "Status", "Field", "Attempts", "Reason", "Fix"],
                        [[p["feed"], p["stream"], p["key"], p["status"] or "", p["field"] or "-",
                          str(p["attempts"] or ""), (p["reason"] or "")[:160],
                          (p["hint"] or "")[:160]] for p in report.pending])
    if report.drift:
        lines += ["", "Edited in QuickBooks after the target wrote them (left as they are)", ""]
        lines += _table(["Feed", "Stream", "Key", "QuickBooks Id", "DocNumber", "Seen",
                         "What changed"],
                        [[d["feed"], d["stream"], d["key"], d["quickbooks_id"] or "-",
                          d["doc_number"] or "-", d["seen"] or "-", "; ".join(d["changes"])]
                         for d in report.drift])
    return "\n".join(lines)


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*row) for row in rows]
    if not rows:
        out.append("(none)")
    return out
