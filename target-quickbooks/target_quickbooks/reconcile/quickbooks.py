"""QuickBooks → the documents it holds (:class:`~.model.Doc`), read in few, read-only requests.

Reads are metered by Intuit, so they are batched: each entity is read with one
query paged 1,000 rows at a time (QuickBooks' page maximum) from the first day the
source has (``TxnDate >= ...``; TxnDate is filterable on Invoice, CreditMemo and
RefundReceipt in Intuit's API reference): 100,000 documents cost about a hundred
requests. The few source numbers the scan did not find (a document whose date
was edited in QuickBooks, or rows shifted by a deletion during the scan) are
looked up by ``DocNumber IN (...)``.

Every statement is kept short enough to travel as a GET (``qbo.client.MAX_GET_QUERY``):
a reconcile sends no POST at all, so it provably writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.money import ZERO, cents, rate_key, to_decimal
from target_quickbooks.qbo import query as q
from target_quickbooks.qbo.client import MAX_GET_QUERY
from target_quickbooks.reconcile.model import ALL_RATES, ENTITIES, Doc, Vat

_DISCRIMINATOR = re.compile(r"\(([^()]*)\)\s*$")


class QueryClient(Protocol):
    """The only calls a reconcile makes: reads."""

    def query(self, statement: str) -> list[dict]:
        """Every row of a query (the client pages)."""
        ...  # pragma: no cover

    def query_pages(self, statement: str) -> Iterator[list[dict]]:
        """The rows of a query one 1,000-row page at a time."""
        ...  # pragma: no cover


def customer_key(ref: Mapping[str, Any] | None) -> tuple[str, str]:
    """The discriminator ending a CustomerRef's name (``Jean Dupont (#101)`` → ``#101``).

    Returns the discriminator and the name to show.

    A customer the target did not make has no discriminator: ``Id <value>`` stands in.
    """
    ref = ref or {}
    name = str(ref.get("name") or "")
    match = _DISCRIMINATOR.search(name)
    key = match.group(1).strip().casefold() if match else f"Id {ref.get('value')}"
    return key, name or key


def _money(value: object, name: str) -> Decimal:
    try:
        return cents(to_decimal(value, name, default=ZERO))
    except MappingError:
        return ZERO


def row_vat(row: Mapping[str, Any]) -> dict[str, Vat]:
    """Net and VAT per rate from ``TxnTaxDetail.TaxLine``; one ``*`` entry when it has none."""
    detail = row.get("TxnTaxDetail") or {}
    vat: dict[str, Vat] = {}
    for line in detail.get("TaxLine") or []:
        tax_detail = line.get("TaxLineDetail") or {}
        try:
            rate = rate_key(tax_detail.get("TaxPercent"))
        except MappingError:
            rate = ALL_RATES
        old = vat.get(rate, Vat(ZERO, ZERO))
        vat[rate] = Vat(old.net + _money(tax_detail.get("NetAmountTaxable"), "NetAmountTaxable"),
                        old.tax + _money(line.get("Amount"), "Amount"))
    if not vat:
        tax = _money(detail.get("TotalTax"), "TotalTax")
        vat[ALL_RATES] = Vat(_money(row.get("TotalAmt"), "TotalAmt") - tax, tax)
    return vat


def to_doc(kind: str, entity: str, row: Mapping[str, Any]) -> Doc:
    """One QuickBooks document row as a :class:`Doc` (a RefundReceipt has no balance: 0)."""
    customer, label = customer_key(row.get("CustomerRef"))
    return Doc(kind=kind, number=str(row.get("DocNumber") or ""), customer=customer,
               customer_label=label, date=str(row.get("TxnDate") or ""),
               total=_money(row.get("TotalAmt"), "TotalAmt"), vat=row_vat(row),
               balance=_money(row.get("Balance"), "Balance"), entity=entity,
               qbo_id=str(row.get("Id") or ""))


def get_sized_chunks(entity: str, field: str, values: Sequence[str],
                     limit: int = MAX_GET_QUERY, most: int = q.PAGE_SIZE) -> Iterator[str]:
    """``SELECT * FROM entity WHERE field IN (...)`` statements that each fit in a GET URL.

    At most ``most`` values per statement (QuickBooks' page size, so one page answers it).
    """
    base = len(q.paged(f"SELECT * FROM {entity} WHERE {field} IN ()", 1))  # noqa: S608
    chunk: list[str] = []
    length = base
    for value in q.unique(values):
        extra = len(q.literal(value)) + 2
        if chunk and (length + extra > limit or len(chunk) >= most):
            yield from q.in_statements(entity, field, chunk, chunk=len(chunk))
            chunk, length = [], base
        chunk.append(value)
        length += extra
    if chunk:
        yield from q.in_statements(entity, field, chunk, chunk=len(chunk))


def read_documents(client: QueryClient, *, since: str | None,
                   numbers: Mapping[str, Iterable[str]]) -> dict[str, list[Doc]]:
    """The documents QuickBooks holds, by kind (``invoices``, ``credit_memos``).

    Args:
        client: a QuickBooks client (only ``query`` is called).
        since: first day to read (``YYYY-MM-DD``), the source's earliest; None: everything.
        numbers: kind → the DocNumbers the source has (looked up by number when the
            dated scan missed them).
    """
    found: dict[str, list[Doc]] = {}
    for kind, entities in ENTITIES.items():
        docs: list[Doc] = []
        for entity in entities:
            q.check_identifier(entity, "entity")
            where = f" WHERE TxnDate >= {q.literal(since)}" if since else ""
            # Page by page: only the Doc of each row is kept (100,000 raw rows would not fit).
            for page in client.query_pages(f"SELECT * FROM {entity}{where}"):  # noqa: S608
                docs.extend(to_doc(kind, entity, row) for row in page)
        seen = {doc.number.casefold() for doc in docs} | {""}
        absent = [n for n in numbers.get(kind, ()) if n.casefold() not in seen]
        ids = {(doc.entity, doc.qbo_id) for doc in docs}
        for entity in entities if absent else ():
            for statement in get_sized_chunks(entity, "DocNumber", absent):
                for row in client.query(statement):
                    doc = to_doc(kind, entity, row)
                    if (entity, doc.qbo_id) not in ids:
                        ids.add((entity, doc.qbo_id))
                        docs.append(doc)
        found[kind] = docs
    return found
