"""reconcile's QuickBooks reads: page by page, read-only, few requests."""

from __future__ import annotations

from collections.abc import Iterator

from target_quickbooks.reconcile.quickbooks import read_documents


class PagedBooks:
    """A client holding ``invoices`` invoices; answers ``query_pages`` only, 1,000 rows a page."""

    def __init__(self, invoices: int) -> None:
        self.rows = [{"Id": str(n), "DocNumber": str(200_000_000 + n), "TxnDate": "2026-03-01",
                      "TotalAmt": "10.00", "Balance": "0",
                      "CustomerRef": {"value": "7", "name": "Jean Dupont (#101)"}}
                     for n in range(1, invoices + 1)]
        self.statements: list[str] = []

    def query(self, statement: str) -> list[dict]:
        raise AssertionError(f"whole-result query {statement!r}: reconcile must read by page")

    def query_pages(self, statement: str) -> Iterator[list[dict]]:
        self.statements.append(statement)
        rows = self.rows if "FROM Invoice" in statement else []
        for start in range(0, max(len(rows), 1), 1000):
            yield rows[start:start + 1000]


def test_documents_are_read_page_by_page_with_one_statement_per_entity() -> None:
    books = PagedBooks(2500)
    numbers = {"invoices": [row["DocNumber"] for row in books.rows]}
    found = read_documents(books, since="2026-01-01", numbers=numbers)
    assert len(found["invoices"]) == 2500 and found["credit_memos"] == []
    assert found["invoices"][0].customer == "#101"
    assert books.statements == ["SELECT * FROM Invoice WHERE TxnDate >= '2026-01-01'",
                                "SELECT * FROM CreditMemo WHERE TxnDate >= '2026-01-01'",
                                "SELECT * FROM RefundReceipt WHERE TxnDate >= '2026-01-01'"]
