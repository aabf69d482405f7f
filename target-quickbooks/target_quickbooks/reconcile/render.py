"""A :class:`~.model.Report` as text (summary first, then tables) or as JSON.

The text puts the verdict on its first line: ``RECONCILE: all matches`` or
``RECONCILE: N difference(s)``; the tables then list every difference with both
values, the month × VAT-rate table an accountant checks before the VAT return,
and the customers whose open balance differs (all customers are in the JSON).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from target_quickbooks.reconcile.compare import money
from target_quickbooks.reconcile.model import Report
from target_quickbooks.settings import RECONCILE_FORMATS as FORMATS

#: Most rows of one kind the text lists (the JSON has them all).
TEXT_ROWS = 200


def verdict(report: Report) -> str:
    """The summary's first line."""
    if report.matches:
        return (f"RECONCILE: all matches: {report.documents_source} source document(s), "
                f"{report.documents_quickbooks} QuickBooks document(s), 0 differences.")
    counts = ", ".join(f"{count} {kind}" for kind, count in report.counts().items())
    return (f"RECONCILE: {len(report.differences)} difference(s) ({counts}) between "
            f"{report.documents_source} source document(s) and "
            f"{report.documents_quickbooks} QuickBooks document(s).")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows,
                                                                         strict=False)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths,
                                                                        strict=True)).rstrip()
    return [line(headers), line(["-" * width for width in widths]), *map(line, rows)]


def as_text(report: Report) -> str:
    """The human-readable report."""
    lines = [verdict(report), f"QuickBooks requests: {report.requests}."]
    if report.information:
        lines.append(f"{len(report.information)} other QuickBooks document(s) not from the "
                     "source (information, not differences).")
    if report.differences:
        lines += ["", "Differences"]
        rows = [(d.kind, d.subject, d.source, d.quickbooks, d.detail)
                for d in report.differences[:TEXT_ROWS]]
        lines += _table(("what", "document", "source", "QuickBooks", "detail"), rows)
        if len(report.differences) > TEXT_ROWS:
            lines.append(f"... and {len(report.differences) - TEXT_ROWS} more (--format json "
                         "lists them all)")
    lines += ["", "Sales and VAT per month and rate (credit memos negative)"]
    lines += _table(
        ("month", "rate %", "source net", "source VAT", "QuickBooks net", "QuickBooks VAT", ""),
        [(r.month, r.rate, money(r.source_net), money(r.source_tax), money(r.qbo_net),
          money(r.qbo_tax), "DIFFERS" if r.differs else "ok") for r in report.months])
    differing = [c for c in report.customers if c.differs]
    lines += ["", f"Open balance per customer: {len(report.customers) - len(differing)} of "
                  f"{len(report.customers)} match"]
    if differing:
        lines += _table(("customer", "source", "QuickBooks"),
                        [(c.label, money(c.source), money(c.quickbooks))
                         for c in differing[:TEXT_ROWS]])
    if report.information:
        lines += ["", "Other QuickBooks documents (information)"]
        lines += _table(("document", "QuickBooks"),
                        [(i.subject, i.quickbooks) for i in report.information[:TEXT_ROWS]])
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value if isinstance(value, str | int | bool) or value is None else str(value)


def as_json(report: Report) -> str:
    """The whole report as one JSON document (amounts as strings, exact)."""
    document = {
        "matches": report.matches,
        "summary": verdict(report),
        "counts": report.counts(),
        "documents_source": report.documents_source,
        "documents_quickbooks": report.documents_quickbooks,
        "requests": report.requests,
        "differences": [asdict(d) for d in report.differences],
        "information": [asdict(d) for d in report.information],
        "months": [{**asdict(r), "differs": r.differs} for r in report.months],
        "customers": [{**asdict(c), "differs": c.differs} for c in report.customers],
    }
    return json.dumps(_plain(document), ensure_ascii=False, indent=1) + "\n"


def render(report: Report, output_format: str) -> str:
    """The report in ``text`` or ``json``."""
    if output_format not in FORMATS:
        raise ValueError(f"reconcile_format is {output_format!r}; use one of {', '.join(FORMATS)}")
    return as_json(report) if output_format == "json" else as_text(report)
