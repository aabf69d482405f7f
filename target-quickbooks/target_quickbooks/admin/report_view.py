"""What ``report`` prints: a summary first, then the filtered, limited detail tables.

A catalogue of 100,000 SKUs must still read on one screen: the summary counts
everything, the detail tables show the first ``limit`` rows that pass the
filters (``--status``, ``--sku``, ``--feed``) and end with a line saying how
many more there are and which option shows them. Headings are English only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from itertools import islice
from typing import Any

from target_quickbooks.admin.report import Report, ReportError
from target_quickbooks.admin.report_feeds import split_state_id
from target_quickbooks.admin.report_products import ProductRow
from target_quickbooks.results import OUTCOMES

#: What ``--status`` accepts: product statuses, pending statuses, and drift.
STATUSES = ("created", "updated", "synced", "skipped", "deferred", "rejected",
            "needs_attention", "deleted_in_quickbooks", "drift")
#: Rows per detail table unless ``--limit`` or ``--all`` says otherwise.
DEFAULT_LIMIT = 50
#: How the pending statuses read in the table's heading.
_STATUS_LABELS = {"rejected": "rejected", "needs_attention": "needing attention",
                  "deferred": "deferred",
                  "deleted_in_quickbooks": "deleted in QuickBooks (waiting for the source record)"}


def _has_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


@dataclass(frozen=True)
class Filters:
    """The rows the operator asked for; empty means everything."""

    statuses: frozenset[str] = frozenset()
    sku: str | None = None
    feed: str | None = None

    def wants_status(self, status: str | None) -> bool:
        """A pending record without a status was deferred (older states)."""
        return not self.statuses or (status or "deferred") in self.statuses

    def wants_sku(self, sku: str) -> bool:
        """Exact SKU, or a glob when the pattern has ``*``, ``?`` or ``[``."""
        if self.sku is None:
            return True
        return fnmatchcase(sku, self.sku) if _has_glob(self.sku) else sku == self.sku

    def wants_feed(self, feed: str, state_id: str = "") -> bool:
        """The feed's job name or its Meltano state id, exactly or by glob."""
        if self.feed is None:
            return True
        return any(fnmatchcase(name, self.feed) for name in (feed, state_id) if name)

    def product(self, row: ProductRow) -> bool:
        """Whether a product row passes every filter."""
        return (self.wants_status(row.status) and self.wants_sku(row.sku)
                and self.wants_feed(row.feed))

    def pending(self, row: Mapping[str, Any]) -> bool:
        """With ``--sku``, only the products' own waiting records (documents have no SKU)."""
        if self.sku is not None and (row["stream"] != "products"
                                     or not self.wants_sku(row["key"])):
            return False
        return self.wants_status(row["status"]) and self.wants_feed(row["feed"])

    def drift(self, row: Mapping[str, Any]) -> bool:
        """Drift is about documents: shown unless a SKU or other statuses are asked for."""
        return (self.sku is None and self.wants_status("drift")
                and self.wants_feed(row["feed"]))

    def describe(self) -> str:
        """The filters as the options that set them (empty: none)."""
        parts = []
        if self.statuses:
            parts.append("--status " + ",".join(sorted(self.statuses)))
        if self.sku is not None:
            parts.append(f"--sku {self.sku}")
        if self.feed is not None:
            parts.append(f"--feed {self.feed}")
        return " ".join(parts)


def parse_statuses(values: Iterable[str]) -> frozenset[str]:
    """``--status`` values (repeated or comma-separated), checked against :data:`STATUSES`."""
    wanted = {part.strip().lower().replace("-", "_") for value in values
              for part in value.split(",") if part.strip()}
    unknown = sorted(wanted - set(STATUSES))
    if unknown:
        msg = f"unknown --status {', '.join(unknown)}; use one of: {', '.join(STATUSES)}"
        raise ReportError(msg)
    return frozenset(wanted)


def check_feed(filters: Filters, report: Report) -> None:
    """Fail, listing the feeds there are, when ``--feed`` names none of them."""
    if filters.feed is None or any(filters.wants_feed(f["feed"], f["state_id"])
                                   for f in report.feeds):
        return
    names = ", ".join(sorted({f["feed"] for f in report.feeds})) or "(no feed has run)"
    msg = f"no feed matches --feed {filters.feed}; the feeds are: {names}"
    raise ReportError(msg)


@dataclass
class Environment:
    """Which QuickBooks company the report is about, from the settings and the states."""

    quickbooks: str | None = None
    realm_id: str | None = None
    api_url: str | None = None
    meltano_environment: str | None = None
    realms_in_state: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"quickbooks": self.quickbooks, "realm_id": self.realm_id,
                "api_url": self.api_url, "meltano_environment": self.meltano_environment,
                "realms_in_state": self.realms_in_state}

    def lines(self) -> list[str]:
        """One line, two when an API URL override (an emulator, say) is set."""
        realm = self.realm_id or (", ".join(self.realms_in_state) + " (from the state)"
                                  if self.realms_in_state else "not set")
        line = (f"Environment: QuickBooks {self.quickbooks or 'environment not set'}, "
                f"realm {realm}")
        if self.meltano_environment:
            line += f", Meltano environment {self.meltano_environment}"
        out = [line]
        if self.api_url:
            out.append(f"API: {self.api_url} (api_url setting, instead of Intuit's host)")
        others = [realm for realm in self.realms_in_state if realm != self.realm_id]
        if self.realm_id and others:
            out.append(f"Note: the state holds realm {', '.join(others)}, not the configured "
                       f"realm {self.realm_id}: check realm_id")
        return out


def environment_of(config: Mapping[str, Any], report: Report,
                   meltano_environment: str | None = None) -> Environment:
    """The environment from the target's settings, the states' realms and ids."""
    envs = sorted({split_state_id(f["state_id"])[0] for f in report.feeds} - {""})
    return Environment(
        quickbooks=str(config.get("environment") or "") or None,
        realm_id=str(config.get("realm_id") or "") or None,
        api_url=str(config.get("api_url") or "") or None,
        meltano_environment=meltano_environment or (", ".join(envs) or None),
        realms_in_state=sorted({str(f["realm_id"]) for f in report.feeds if f["realm_id"]}),
    )


@dataclass
class View:
    """The report after the filters: summary over everything, filtered detail rows."""

    report: Report
    environment: Environment
    filters: Filters = field(default_factory=Filters)
    #: Rows per detail table; None: all of them.
    limit: int | None = DEFAULT_LIMIT

    def products(self) -> Iterator[ProductRow]:
        """Product rows passing the filters, lazily (a 100,000-SKU list is not copied)."""
        return (row for row in self.report.products if self.filters.product(row))

    def pending(self) -> list[dict[str, Any]]:
        """Waiting records passing the filters."""
        return [row for row in self.report.pending if self.filters.pending(row)]

    def drift(self) -> list[dict[str, Any]]:
        """Edited documents passing the filters."""
        return [row for row in self.report.drift if self.filters.drift(row)]

    def product_counts(self) -> Counter[str]:
        """Every SKU by status (the summary ignores the filters)."""
        return Counter(row.status for row in self.report.products)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: everything the filters pass (the limit only when given)."""
        products = [row.as_dict() for row in _limited(self.products(), self.limit)]
        return {
            "environment": self.environment.as_dict(),
            "summary": {"products": dict(sorted(self.product_counts().items())),
                        "feeds": [_feed_summary(feed) for feed in self.report.feeds]},
            "filters": self.filters.describe(),
            "products": products,
            "feeds": self.report.feeds,
            "pending": list(_limited(iter(self.pending()), self.limit)),
            "drift": list(_limited(iter(self.drift()), self.limit)),
        }


def _limited(rows: Iterator[Any], limit: int | None) -> Iterator[Any]:
    return rows if limit is None else islice(rows, limit)


def _feed_summary(feed: Mapping[str, Any]) -> dict[str, Any]:
    totals = {o: sum(counts.get(o, 0) for counts in feed["results"].values()) for o in OUTCOMES}
    return {"feed": feed["feed"], "last_run": feed["last_run"], **totals,
            "waiting": feed["pending"], "drift": feed["drift"]}


def render_table(report: Report, view: View | None = None) -> str:
    """Plain-text report for people: summary, products, feeds, waiting records, drift."""
    view = view or View(report, environment_of({}, report))
    lines = ["Summary", ""]
    lines += view.environment.lines()
    counts = view.product_counts()
    lines.append(f"Products: {len(report.products):,} SKUs" + (
        ": " + ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items()))
        if counts else ""))
    lines.append("")
    summary = [_feed_summary(feed) for feed in report.feeds]
    lines += _table(["Feed", "Last run", *OUTCOMES, "waiting", "drift"],
                    [[s["feed"], s["last_run"] or "never", *(f"{s[o]:,}" for o in OUTCOMES),
                      f"{s['waiting']:,}", f"{s['drift']:,}"] for s in summary])
    lines.append("(counts of each feed's last run; waiting and drift: now)")
    if view.filters.describe():
        lines += ["", f"Filters: {view.filters.describe()}"]
    lines += ["", "Product sync (each SKU, its QuickBooks Id, status, and the feed that wrote it)",
              ""]
    lines += _limited_table(["SKU", "QuickBooks Id", "Status", "Feed", "At"],
                            ([p.sku, p.quickbooks_id or "-", p.status, p.feed, p.at or "-"]
                             for p in view.products()), view.limit, "products")
    lines += ["", "Last run per stream", ""]
    rows = []
    for feed in report.feeds:
        if not view.filters.wants_feed(feed["feed"], feed["state_id"]):
            continue
        for stream, stream_counts in sorted(feed["results"].items()) or [("-", {})]:
            rows.append([feed["feed"], feed["last_run"] or "never", stream,
                         *(f"{stream_counts.get(o, 0):,}" for o in OUTCOMES)])
    lines += _table(["Feed", "Last run", "Stream", *OUTCOMES], rows)
    pending = view.pending()
    if pending:
        statuses = Counter(str(p["status"] or "deferred") for p in pending)
        lines += ["", "Waiting to be retried (" + ", ".join(
            f"{statuses[status]:,} {label}" for status, label in _STATUS_LABELS.items())
            + ")", ""]
        lines += _limited_table(
            ["Feed", "Stream", "Key", "Status", "Field", "Attempts", "Reason", "Fix"],
            ([p["feed"], p["stream"], p["key"], p["status"] or "", p["field"] or "-",
              str(p["attempts"] or ""), (p["reason"] or "")[:160], (p["hint"] or "")[:160]]
             for p in pending), view.limit, "records waiting")
    drift = view.drift()
    if drift:
        lines += ["", "Edited in QuickBooks after the target wrote them (left as they are)", ""]
        lines += _limited_table(
            ["Feed", "Stream", "Key", "QuickBooks Id", "DocNumber", "Seen", "What changed"],
            ([d["feed"], d["stream"], d["key"], d["quickbooks_id"] or "-",
              d["doc_number"] or "-", d["seen"] or "-", "; ".join(d["changes"])]
             for d in drift), view.limit, "edited documents")
    return "\n".join(lines)


def _limited_table(header: list[str], rows: Iterator[list[str]], limit: int | None,
                   what: str) -> list[str]:
    """A table of the first ``limit`` rows, then how many more and how to see them."""
    shown = list(_limited(rows, limit))
    more = sum(1 for _ in rows) if limit is not None else 0
    out = _table(header, shown)
    if more:
        out.append(f"... {more:,} more {what} not shown: --limit N or --all shows them; "
                   "--status, --sku and --feed narrow the list")
    return out


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header).rstrip(), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*row).rstrip() for row in rows]
    if not rows:
        out.append("(none)")
    return out
