"""Is QuickBooks' document with this DocNumber this source document?

Adopting another source document's QuickBooks document would silently drop
one of them from the books, so every adoption goes through these checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.customers import customer_key
from target_quickbooks.mappers.documents import check_totals, txn_date
from target_quickbooks.mappers.money import ZERO, cents, to_decimal
from target_quickbooks.state import ENTITY_OF_KIND
from target_quickbooks.writer.jobs import KIND
from target_quickbooks.writer.twins import TwinGuard, claim_order


class DocumentMatching(TwinGuard):
    """Finds and checks the documents QuickBooks already holds by DocNumber."""

    def _find_existing_documents(self, stream: str, latest: dict[str, Mapping[str, Any]],
                                 numbers: Mapping[str, str], entity: str = "") -> None:
        """Map the unmapped documents QuickBooks already has, found by DocNumber.

        ``entity`` is the QuickBooks entity to look in (default: the map's own).

        A document found by number is adopted only if it is this record's (same date,
        total and, when known, customer); otherwise another source document already
        uses the number and this record is rejected: adopting it would silently drop
        this document from the books. So is a twin (same number, total, date and
        customer) whose document the ID map already holds for another source document.
        """
        kind = KIND[stream]
        found = self.resolver.lookup(kind, "DocNumber", numbers, entity)
        for key in claim_order(found):  # twins: the smallest source id adopts (twins.py)
            record, row = latest[key], found[key]
            conflict = self._document_conflict(stream, record, row, entity=entity)
            holder = None if conflict else self._holder_of(kind, row.get("Id"), key, entity)
            if conflict:
                self._reject_duplicate_number(stream, key, record, conflict)
            elif holder is not None:
                self._reject_twin(stream, key, record, holder=holder, qbo_id=row.get("Id"),
                                   number=numbers[key], entity=entity)
            else:
                self.resolver.adopt(kind, key, row, entity)
                continue
            del latest[key]

    def _document_entity(self, stream: str, key: str, record: Mapping[str, Any]) -> str:
        """The QuickBooks entity of a document: its map entry's, else the map's own.

        ``writer/receipts.py`` adds the routing of credit memos of paid invoices.
        """
        kind = KIND[stream]
        return self.state.entity_of(kind, key) or ENTITY_OF_KIND[kind]

    def _document_conflict(self, stream: str, record: Mapping[str, Any],
                           row: Mapping[str, Any], customer_id: str | None = None,
                           entity: str = "") -> str:
        """Why QuickBooks' document ``row`` (same DocNumber) is not ``record``'s, or ``""``."""
        differences = []
        expected = check_totals(record, stream=stream).grand_total
        if row.get("TotalAmt") not in (None, ""):
            try:
                total = to_decimal(row.get("TotalAmt"), "TotalAmt")
            except MappingError:
                total = ZERO
            if cents(total) != cents(expected):
                differences.append(f"TotalAmt {cents(total)} but grand_total {cents(expected)}")
        date = str(row.get("TxnDate") or "")
        wanted_date = txn_date(record.get("created_at"), self.references.timezone().tz)
        if date and date != wanted_date:
            differences.append(f"TxnDate {date} but created_at {wanted_date}")
        if customer_id is None:
            mapped = self.state.get("customers", customer_key(record))
            customer_id = mapped.id if mapped else None
        found_customer = str((row.get("CustomerRef") or {}).get("value") or "")
        if customer_id and found_customer and found_customer != customer_id:
            differences.append(f"customer Id {found_customer} but this record's is {customer_id}")
        if not differences:
            return ""
        entity = entity or ENTITY_OF_KIND[KIND[stream]]
        return (f"DocNumber {row.get('DocNumber')!r} is already used by QuickBooks {entity} Id "
                f"{row.get('Id')}, which is another document ({'; '.join(differences)})")

    def _reject_duplicate_number(self, stream: str, key: str, record: Mapping[str, Any],
                                 conflict: str) -> None:
        self._reject(
            stream, key, record, conflict, field_name="increment_id",
            hint="give every document its own increment_id at the source; if the QuickBooks "
                 "document is this one edited by hand, fix it in QuickBooks (documents are "
                 "never updated by the target)",
        )


    def _txn_date_or_none(self, record: Mapping[str, Any]) -> str | None:
        try:
            return txn_date(record.get("created_at"), self.references.timezone().tz)
        except MappingError:
            return None
