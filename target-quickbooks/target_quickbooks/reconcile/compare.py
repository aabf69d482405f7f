"""Expected documents (source) against the documents QuickBooks holds → a :class:`~.model.Report`.

Documents are matched by kind and DocNumber. A QuickBooks document no source
record explains is a difference when its number is in the source's series (the
same shape as the source's numbers, e.g. nine digits: the target made it, or
will clash with the next one), and information otherwise (documents people make
in QuickBooks, numbered by QuickBooks). The month/VAT and customer tables add up
the source's documents and the QuickBooks documents that stand for them (matched
or in the series); credit memos count negative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from target_quickbooks.mappers.money import ZERO
from target_quickbooks.reconcile.model import (
    ALL_RATES,
    INVOICE,
    KINDS,
    CustomerRow,
    Difference,
    Doc,
    MonthRow,
    Report,
    Vat,
)
from target_quickbooks.reconcile.source import Unreadable

_DIGITS = re.compile(r"\d+")
LABEL = {"invoices": "invoice", "credit_memos": "credit memo"}


def shape(number: str) -> str:
    """A number's series: each run of digits replaced by its length (``FA-0012`` → ``FA-#4``)."""
    return _DIGITS.sub(lambda match: f"#{len(match.group())}", number.strip().casefold())


def money(value: Decimal) -> str:
    """An amount as the tables print it (two decimals)."""
    return f"{value:.2f}"


def _vat_text(vat: Mapping[str, Vat], rate: str) -> str:
    entry = vat.get(rate)
    return "none" if entry is None else money(entry.tax)


def comparable_vat(source: Mapping[str, Vat], quickbooks: Mapping[str, Vat]) -> dict[str, Vat]:
    """The source's VAT keyed as QuickBooks can tell it: one ``*`` entry when it has no rates."""
    if set(quickbooks) != {ALL_RATES} or set(source) == {ALL_RATES}:
        return dict(source)
    net = sum((v.net for v in source.values()), ZERO)
    tax = sum((v.tax for v in source.values()), ZERO)
    return {ALL_RATES: Vat(net, tax)} if source else {}


def _subject(doc: Doc) -> str:
    return f"{LABEL[doc.kind]} {doc.number or '(no number)'}"


def _describe(doc: Doc) -> str:
    where = f"{doc.entity} Id {doc.qbo_id}, " if doc.entity else ""
    return f"{where}{money(doc.total)} on {doc.date}, {doc.customer_label}"


def compare_document(expected: Doc, found: Doc) -> list[Difference]:
    """What differs between a source document and the QuickBooks document bearing its number."""
    subject = _subject(expected)
    where = f"{found.entity} Id {found.qbo_id}"
    differences: list[Difference] = []

    def differ(kind: str, source: str, quickbooks: str, detail: str = "") -> None:
        differences.append(Difference(kind, subject, source, quickbooks, detail or where))

    if expected.total != found.total:
        differ("total", money(expected.total), money(found.total),
               f"{where}" + (" (canceled at the source: expected voided)"
                             if expected.canceled else ""))
    if not expected.canceled:
        source_vat = comparable_vat(expected.vat, found.vat)
        for rate in sorted(set(source_vat) | set(found.vat), key=_rate_order):
            if _vat_text(source_vat, rate) != _vat_text(found.vat, rate):
                differ("vat", f"VAT {rate} %: {_vat_text(source_vat, rate)}",
                       f"VAT {rate} %: {_vat_text(found.vat, rate)}")
        if expected.date != found.date:
            differ("date", expected.date, found.date)
    if expected.customer.casefold() != found.customer.casefold():
        differ("customer", expected.customer_label, found.customer_label)
    if expected.balance != found.balance:
        differ("balance", money(expected.balance), money(found.balance))
    return differences


def _rate_order(rate: str) -> tuple[int, Decimal, str]:
    try:
        return (0, Decimal(rate), rate)
    except ArithmeticError:
        return (1, ZERO, rate)


def _pick(expected: Doc, candidates: Sequence[Doc]) -> Doc:
    """The QuickBooks document that stands for ``expected``: same total first, then lowest Id."""
    def key(doc: Doc) -> tuple[int, int, str]:
        number = int(doc.qbo_id) if doc.qbo_id.isdigit() else 0
        return (doc.total != expected.total, number, doc.qbo_id)
    return min(candidates, key=key)


class _Tables:
    """Running sums of the month/VAT and customer tables."""

    def __init__(self) -> None:
        self.months: dict[tuple[str, str], list[Decimal]] = {}
        self.customers: dict[str, list[Decimal]] = {}
        self.labels: dict[str, str] = {}

    def add(self, doc: Doc, side: int, vat: Mapping[str, Vat] | None = None) -> None:
        for rate, entry in (doc.vat if vat is None else vat).items():
            row = self.months.setdefault((doc.date[:7], rate), [ZERO] * 4)
            row[2 * side] += doc.sign * entry.net
            row[2 * side + 1] += doc.sign * entry.tax
        key = doc.customer.casefold()
        self.labels.setdefault(key, doc.customer_label)
        self.customers.setdefault(key, [ZERO, ZERO])[side] += doc.sign * doc.balance

    def rows(self) -> tuple[list[MonthRow], list[CustomerRow]]:
        months = [MonthRow(month, rate, *values) for (month, rate), values in
                  sorted(self.months.items(), key=lambda kv: (kv[0][0], _rate_order(kv[0][1])))]
        customers = [CustomerRow(key, self.labels[key], *values)
                     for key, values in sorted(self.customers.items())]
        return months, customers


def reconcile(expected: Iterable[Doc], found: Mapping[str, Sequence[Doc]],
              unreadable: Sequence[Unreadable] = ()) -> Report:
    """Compare the source's documents with QuickBooks'.

    Args:
        expected: the source's documents (:func:`~.source.expected_documents`).
        found: kind → the documents QuickBooks holds (:func:`~.quickbooks.read_documents`).
        unreadable: source records the feeds would reject.
    """
    report = Report()
    tables = _Tables()
    by_kind: dict[str, list[Doc]] = {kind: [] for kind in KINDS}
    for doc in expected:
        by_kind[doc.kind].append(doc)
    for item in unreadable:
        report.differences.append(Difference(
            "unreadable", f"{LABEL.get(item.kind, item.kind)} {item.number or item.source_id}",
            f"record id {item.source_id}: {item.error}", "not written (the feeds reject it)"))
    for kind in KINDS:
        _reconcile_kind(kind, by_kind[kind], list(found.get(kind, ())), report, tables)
    report.months, report.customers = tables.rows()
    for row in report.months:
        if row.differs:
            report.differences.append(Difference(
                "month", f"{row.month} VAT {row.rate} %",
                f"net {money(row.source_net)}, VAT {money(row.source_tax)}",
                f"net {money(row.qbo_net)}, VAT {money(row.qbo_tax)}"))
    for customer in report.customers:
        if customer.differs:
            report.differences.append(Difference(
                "customer_balance", f"customer {customer.label}", money(customer.source),
                money(customer.quickbooks)))
    return report


def _reconcile_kind(kind: str, expected: list[Doc], found: list[Doc], report: Report,
                    tables: _Tables) -> None:
    report.documents_source += len(expected)
    report.documents_quickbooks += len(found)
    index: dict[str, list[Doc]] = {}
    for doc in found:
        index.setdefault(doc.number.casefold(), []).append(doc)
    series = {shape(doc.number) for doc in expected}
    used: set[int] = set()
    for doc in expected:
        candidates = [c for c in index.get(doc.number.casefold(), []) if id(c) not in used]
        if not candidates:
            if not doc.canceled:
                report.differences.append(Difference(
                    "missing", _subject(doc), _describe(doc), "not in QuickBooks",
                    f"{'Invoice' if kind == INVOICE else 'credit memo'} of source id "
                    f"{doc.source_id}"))
            tables.add(doc, 0)
            continue
        match = _pick(doc, candidates)
        used.add(id(match))
        report.differences.extend(compare_document(doc, match))
        tables.add(doc, 0, comparable_vat(doc.vat, match.vat))
        tables.add(match, 1)
    for doc in found:
        if id(doc) in used:
            continue
        if doc.number and shape(doc.number) in series:
            duplicate = any(id(other) in used for other in index.get(doc.number.casefold(), []))
            report.differences.append(Difference(
                "duplicate" if duplicate else "extra", _subject(doc),
                "another document has this number" if duplicate else "not in the source",
                _describe(doc)))
            tables.add(doc, 1)
        else:
            report.information.append(Difference(
                "other", _subject(doc), "not from the source (other numbering)", _describe(doc)))
