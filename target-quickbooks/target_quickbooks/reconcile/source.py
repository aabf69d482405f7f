"""Source records → the documents QuickBooks should hold (:class:`~.model.Doc`).

The expected values follow the mapping rules of the feeds (mappers/documents.py):
DocNumber from ``increment_id``, the day of ``created_at`` in the company's time
zone, ``grand_total``, and the VAT per rate the target states in ``TaxLine`` (item
lines at their ``tax_percent``, shipping at the configured rate that explains its
VAT, adjustment and rounding at 0 %). Balances follow the issue's rules: an
invoice ``paid`` or ``canceled`` owes nothing, else its total minus its credit
memos; a credit memo whose invoice the source has is applied to it or refunded
(nothing left), else its whole amount is unapplied credit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.customers import discriminator
from target_quickbooks.mappers.documents import (
    check_totals,
    customer_lookup_record,
    document_id,
    document_lines,
    txn_date,
)
from target_quickbooks.mappers.money import ZERO, cents, rate_key, to_decimal
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.reconcile.model import CREDIT_MEMO, INVOICE, Doc, Vat
from target_quickbooks.writer.canceled import is_canceled

#: Source invoice states that leave nothing to pay.
SETTLED_STATES = frozenset({"paid", "canceled", "cancelled"})
ZERO_RATE = "0"


@dataclass(frozen=True)
class Unreadable:
    """A source record the feeds would reject: it cannot be in QuickBooks as it is."""

    kind: str
    source_id: str
    number: str
    error: str


def _text(record: Mapping[str, Any], name: str) -> str:
    return str(record.get(name) or "").strip()


def _amount(record: Mapping[str, Any], name: str) -> Decimal:
    return to_decimal(record.get(name), name, default=ZERO)


def _add(vat: dict[str, Vat], rate: str, net: Decimal, tax: Decimal) -> None:
    old = vat.get(rate, Vat(ZERO, ZERO))
    vat[rate] = Vat(old.net + net, old.tax + tax)


def shipping_rate(shipping: Decimal, shipping_tax: Decimal, rates: Iterable[str]) -> str | None:
    """The rate whose VAT on ``shipping`` is ``shipping_tax`` to the cent (as the mapper picks).

    The closest within one cent wins; ties go to the nearest unrounded VAT, then the
    lower rate. None when no rate fits.
    """
    target = cents(shipping_tax)
    best: tuple[tuple[Decimal, Decimal, Decimal], str] | None = None
    for key in rates:
        try:
            rate = Decimal(key)
        except InvalidOperation:
            continue
        exact = shipping * rate / 100
        off = abs(cents(exact) - target)
        if off > Decimal("0.01"):
            continue
        rank = (off, abs(exact - target), rate)
        if best is None or rank < best[0]:
            best = (rank, key)
    return None if best is None else best[1]


def source_vat(record: Mapping[str, Any], *, stream: str, rates: Iterable[str]) -> dict[str, Vat]:
    """Net and VAT per rate as QuickBooks books them (``TxnTaxDetail.TaxLine``).

    The VAT is the source's, which the target states per rate. The net is the sum
    of the document's lines of that rate as QuickBooks adds them for
    ``NetAmountTaxable`` (each rounded to the cent), before the document's discount,
    which QuickBooks keeps on its own discount line.

    Args:
        record: the document record.
        stream: ``invoices`` or ``credit_memos``.
        rates: the configured rates (``tax_code_map`` keys) the shipping rate is chosen from.
    """
    totals = check_totals(record, stream=stream)
    vat: dict[str, Vat] = {}
    first: str | None = None
    rounded = ZERO
    unknown_tax: str | None = None
    for number, line in enumerate(document_lines(record)):
        raw_rate = line.get("tax_percent")
        rate = rate_key(raw_rate) if raw_rate not in (None, "") else ZERO_RATE
        first = first or rate
        row_total = to_decimal(line.get("row_total"), f"items[{number}].row_total")
        raw_tax = line.get("tax_amount")
        if raw_tax in (None, ""):
            unknown_tax = rate
        tax = to_decimal(raw_tax, f"items[{number}].tax_amount", default=ZERO)
        _add(vat, rate, cents(row_total), tax)
        rounded += cents(row_total)
    if totals.shipping != ZERO:
        shipping_tax = _amount(record, "shipping_tax_amount")
        candidates = list(rates) or list(vat)
        rate = shipping_rate(totals.shipping, shipping_tax, candidates) or first or ZERO_RATE
        _add(vat, rate, totals.shipping, shipping_tax)
    if totals.adjustment != ZERO:
        _add(vat, ZERO_RATE, totals.adjustment, ZERO)
    rounded += cents(totals.shipping) + cents(totals.adjustment) - cents(totals.discount)
    rounding = cents(totals.grand_total) - (rounded + cents(totals.tax))
    if rounding != ZERO:
        _add(vat, ZERO_RATE, rounding, ZERO)
    if unknown_tax is not None:
        # Lines of one rate without their VAT: that rate holds what the others do not.
        others = sum((cents(v.tax) for key, v in vat.items() if key != unknown_tax), ZERO)
        _add(vat, unknown_tax, ZERO, cents(totals.tax) - others - vat[unknown_tax].tax)
    return {rate: Vat(cents(v.net), cents(v.tax)) for rate, v in vat.items()}


def _customer(record: Mapping[str, Any]) -> tuple[str, str]:
    lookup = customer_lookup_record(record)
    key = discriminator(lookup)
    names = " ".join(part for part in (_text(lookup, "firstname"), _text(lookup, "lastname"))
                     if part)
    return key, f"{names} ({key})" if names else key


class SourceBook:
    """The source's documents, built record by record (records are not kept: 100,000 fit).

    A record seen again (same stream and id) replaces the earlier one. Balances need
    every credit memo, so they are set by :meth:`documents`, at the end.
    """

    def __init__(self, *, zone: dt.tzinfo, rates: Iterable[str] = ()) -> None:
        self.zone = zone
        self.rates = list(rates)
        self._docs: dict[tuple[str, str], Doc] = {}
        self._unreadable: dict[tuple[str, str], Unreadable] = {}
        self._states: dict[str, str] = {}  # invoice id → state
        self._memo_invoice: dict[str, str] = {}  # credit memo id → invoice id
        self._seen = 0

    def add(self, kind: str, record: Mapping[str, Any]) -> None:
        """Take one ``invoices`` or ``credit_memos`` record."""
        self._seen += 1
        key = _text(record, "id") or f"(no id #{self._seen})"
        self._docs.pop((kind, key), None)
        self._unreadable.pop((kind, key), None)
        number = _text(record, "increment_id")
        try:
            document_id(record)
            number = doc_number(record.get("increment_id"))[0]
            customer, label = _customer(record)
            canceled = is_canceled(record)
            total = ZERO if canceled else cents(check_totals(record, stream=kind).grand_total)
            doc = Doc(kind=kind, number=number, customer=customer, customer_label=label,
                      date=txn_date(record.get("created_at"), self.zone), total=total,
                      vat={} if canceled else source_vat(record, stream=kind, rates=self.rates),
                      canceled=canceled, source_id=key)
        except MappingError as error:
            self._unreadable[(kind, key)] = Unreadable(kind, key, number, str(error))
            return
        self._docs[(kind, key)] = doc
        if kind == INVOICE:
            self._states[key] = _text(record, "state").lower()
        else:
            self._memo_invoice[key] = _text(record, "invoice_id")

    @property
    def unreadable(self) -> list[Unreadable]:
        """The records the feeds would reject, with why."""
        return list(self._unreadable.values())

    def documents(self) -> list[Doc]:
        """Every readable document, with its balance."""
        docs = list(self._docs.values())
        credited: dict[str, Decimal] = {}
        for doc in docs:
            if doc.kind == CREDIT_MEMO and not doc.canceled:
                invoice = self._memo_invoice.get(doc.source_id, "")
                credited[invoice] = credited.get(invoice, ZERO) + doc.total
        for doc in docs:
            if doc.canceled:
                doc.balance = ZERO
            elif doc.kind == INVOICE:
                settled = self._states.get(doc.source_id, "") in SETTLED_STATES
                open_amount = doc.total - credited.get(doc.source_id, ZERO)
                doc.balance = ZERO if settled else max(ZERO, open_amount)
            else:
                invoice = self._memo_invoice.get(doc.source_id, "")
                doc.balance = ZERO if invoice in self._states else doc.total
        return docs

    def first_date(self) -> str | None:
        """The earliest document day, or None without documents."""
        return min((doc.date for doc in self._docs.values()), default=None)

    def numbers(self) -> dict[str, list[str]]:
        """Kind → the DocNumbers of the documents QuickBooks should hold (not canceled)."""
        numbers: dict[str, list[str]] = {}
        for doc in self._docs.values():
            if not doc.canceled:
                numbers.setdefault(doc.kind, []).append(doc.number)
        return numbers


def expected_documents(
    records: Mapping[str, Iterable[Mapping[str, Any]]], *, zone: dt.tzinfo,
    rates: Iterable[str] = (),
) -> tuple[list[Doc], list[Unreadable]]:
    """The documents QuickBooks should hold, from the ``invoices`` and ``credit_memos`` records.

    Args:
        records: stream name → its records.
        zone: the company's time zone (dates are days in it).
        rates: the configured VAT rates (``tax_code_map`` keys).

    Returns:
        The expected documents, and the records the feeds would reject (with why).
    """
    book = SourceBook(zone=zone, rates=rates)
    for kind in (INVOICE, CREDIT_MEMO):
        for record in records.get(kind, ()):
            book.add(kind, record)
    return book.documents(), book.unreadable
