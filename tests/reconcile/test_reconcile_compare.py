"""reconcile, without HTTP: source records → expected documents, comparison, tables, output."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from target_quickbooks.qbo.client import MAX_GET_QUERY
from target_quickbooks.reconcile.compare import reconcile, shape
from target_quickbooks.reconcile.model import Doc, Vat
from target_quickbooks.reconcile.quickbooks import customer_key, get_sized_chunks, to_doc
from target_quickbooks.reconcile.render import as_json, as_text
from target_quickbooks.reconcile.source import SourceBook, source_vat

PARIS = ZoneInfo("Europe/Paris")
RATES = ["20", "10", "5.5", "0"]
D = Decimal


def invoice(number: str = "200000001", *, state: str = "open", total: str = "57.12",
            created: str = "2026-03-31T22:30:00Z", customer: str = "101", source_id: str = "1",
            ) -> dict:
    """An invoice: 2 × 12.90 + 16.90 at 20 %, shipping 4.90 + 0.98 VAT."""
    return {
        "id": source_id, "increment_id": number, "state": state, "created_at": created,
        "customer_key": customer, "customer_id": customer, "customer_firstname": "Jean",
        "customer_lastname": "Dupont", "tax_amount": "8.54", "shipping_amount": "4.90",
        "shipping_tax_amount": "0.98", "discount_amount": "0", "grand_total": total,
        "items": [
            {"sku": "A", "qty": "2", "price": "12.90", "tax_percent": "20", "tax_amount": "5.16",
             "row_total": "25.80"},
            {"sku": "B", "qty": "1", "price": "16.90", "tax_percent": "20", "tax_amount": "3.38",
             "row_total": "16.90"},
        ],
    }


def memo(number: str = "300000001", *, invoice_id: str = "1", source_id: str = "9") -> dict:
    return {
        "id": source_id, "increment_id": number, "invoice_id": invoice_id, "state": "refunded",
        "created_at": "2026-04-02T10:00:00Z", "customer_key": "101", "customer_id": "101",
        "customer_firstname": "Jean", "customer_lastname": "Dupont", "tax_amount": "2.58",
        "grand_total": "15.48",
        "items": [{"sku": "A", "qty": "1", "price": "12.90", "tax_percent": "20",
                   "tax_amount": "2.58", "row_total": "12.90"}],
    }


def qbo_row(doc: Doc, **changes: object) -> dict:
    """The QuickBooks row the target would have written for ``doc``."""
    row: dict = {
        "Id": "50", "DocNumber": doc.number, "TxnDate": doc.date, "TotalAmt": str(doc.total),
        "Balance": str(doc.balance),
        "CustomerRef": {"value": "7", "name": f"Jean Dupont ({doc.customer})"},
        "TxnTaxDetail": {"TotalTax": str(sum(v.tax for v in doc.vat.values())), "TaxLine": [
            {"Amount": str(v.tax), "DetailType": "TaxLineDetail",
             "TaxLineDetail": {"TaxPercent": rate, "NetAmountTaxable": str(v.net)}}
            for rate, v in doc.vat.items()]},
    }
    row.update(changes)
    return row


def book(*invoices: dict, memos: tuple[dict, ...] = ()) -> SourceBook:
    source = SourceBook(zone=PARIS, rates=RATES)
    for record in invoices:
        source.add("invoices", record)
    for record in memos:
        source.add("credit_memos", record)
    return source


def found_for(docs: list[Doc]) -> dict[str, list[Doc]]:
    entity = {"invoices": "Invoice", "credit_memos": "CreditMemo"}
    found: dict[str, list[Doc]] = {"invoices": [], "credit_memos": []}
    for number, doc in enumerate(docs):
        found[doc.kind].append(to_doc(doc.kind, entity[doc.kind],
                                      qbo_row(doc, Id=str(100 + number))))
    return found


def test_source_document_day_is_the_company_day_and_vat_per_rate_includes_shipping() -> None:
    [doc] = book(invoice()).documents()
    assert doc.date == "2026-04-01"  # 22:30 UTC on 31 March is 1 April in Paris
    assert doc.vat == {"20": Vat(D("47.60"), D("9.52"))}
    assert doc.total == D("57.12")
    assert doc.customer == "#101"


def test_shipping_goes_to_the_configured_rate_that_explains_its_vat() -> None:
    record = invoice()
    record["items"][1]["tax_percent"] = "5.5"
    record["items"][1]["tax_amount"] = "0.93"
    record.update(tax_amount="6.09", grand_total="54.67")
    vat = source_vat(record, stream="invoices", rates=RATES)
    assert vat == {"20": Vat(D("30.70"), D("6.14")), "5.5": Vat(D("16.90"), D("0.93"))}


def test_balances_follow_state_and_credit_memos() -> None:
    docs = {d.number: d for d in book(
        invoice(), invoice("200000002", state="paid", source_id="2"),
        invoice("200000003", state="canceled", source_id="3"),
        memos=(memo(), memo("300000002", invoice_id="404", source_id="10"))).documents()}
    assert docs["200000001"].balance == D("57.12") - D("15.48")  # open, minus its memo
    assert docs["200000002"].balance == 0  # paid
    assert docs["200000003"].balance == 0 and docs["200000003"].canceled
    assert docs["300000001"].balance == 0  # applied to its invoice
    assert docs["300000002"].balance == D("15.48")  # its invoice is unknown: unapplied credit


def test_everything_written_as_the_target_writes_it_matches() -> None:
    source = book(invoice(), memos=(memo(),))
    docs = source.documents()
    report = reconcile(docs, found_for(docs), source.unreadable)
    assert report.matches, report.differences
    assert as_text(report).startswith("RECONCILE: all matches: 2 source document(s)")
    assert [(m.month, m.rate, m.source_tax, m.qbo_tax) for m in report.months] == [
        ("2026-04", "20", D("9.52") - D("2.58"), D("9.52") - D("2.58"))]
    [customer] = report.customers
    assert (customer.source, customer.quickbooks) == (D("41.64"), D("41.64"))


def test_each_difference_is_reported_with_both_values() -> None:
    source = book(invoice(), invoice("200000002", source_id="2"),
                  invoice("200000003", source_id="3"))
    docs = source.documents()
    found = found_for(docs)
    _first, second, third = found["invoices"]
    second.total, second.balance = D("67.12"), D("67.12")
    second.vat = {"20": Vat(D("47.60"), D("9.62"))}
    third.date, third.customer, third.customer_label = "2026-04-02", "#999", "Other (#999)"
    found["invoices"] = [second, third]  # the first one deleted in QuickBooks
    report = reconcile(docs, found)
    got = {(d.kind, d.subject): (d.source, d.quickbooks) for d in report.differences}
    assert got[("missing", "invoice 200000001")][1] == "not in QuickBooks"
    assert got[("total", "invoice 200000002")] == ("57.12", "67.12")
    assert got[("balance", "invoice 200000002")] == ("57.12", "67.12")
    assert got[("vat", "invoice 200000002")] == ("VAT 20 %: 9.52", "VAT 20 %: 9.62")
    assert got[("date", "invoice 200000003")] == ("2026-04-01", "2026-04-02")
    assert got[("customer", "invoice 200000003")] == ("Jean Dupont (#101)", "Other (#999)")
    assert got[("month", "2026-04 VAT 20 %")] == ("net 142.80, VAT 28.56",
                                                 "net 95.20, VAT 19.14")
    assert ("customer_balance", "customer Jean Dupont (#101)") in got
    assert not report.matches
    text = as_text(report)
    assert text.startswith("RECONCILE: ") and "difference(s)" in text.splitlines()[0]
    document = json.loads(as_json(report))
    assert document["matches"] is False
    assert document["counts"]["missing"] == 1
    assert {"kind": "total", "subject": "invoice 200000002", "source": "57.12",
            "quickbooks": "67.12", "detail": "Invoice Id 101"} in document["differences"]


def test_extra_documents_in_the_series_differ_others_are_information() -> None:
    source = book(invoice())
    docs = source.documents()
    found = found_for(docs)
    stray = to_doc("invoices", "Invoice", qbo_row(docs[0], Id="70", DocNumber="200000777"))
    by_hand = to_doc("invoices", "Invoice", qbo_row(docs[0], Id="71", DocNumber="1001"))
    twin = to_doc("invoices", "Invoice", qbo_row(docs[0], Id="72"))
    found["invoices"] += [stray, by_hand, twin]
    report = reconcile(docs, found)
    kinds = {(d.kind, d.subject) for d in report.differences}
    assert ("extra", "invoice 200000777") in kinds
    assert ("duplicate", "invoice 200000001") in kinds
    assert [i.subject for i in report.information] == ["invoice 1001"]
    assert shape("FA-2026-0012") == "fa-#4-#4"


def test_canceled_source_document_is_fine_absent_or_voided_but_not_booked() -> None:
    source = book(invoice(state="canceled"))
    docs = source.documents()
    assert reconcile(docs, {"invoices": []}).matches
    voided = to_doc("invoices", "Invoice", qbo_row(docs[0], TotalAmt="0", Balance="0"))
    assert reconcile(docs, {"invoices": [voided]}).matches
    booked = to_doc("invoices", "Invoice", qbo_row(docs[0], TotalAmt="57.12", Balance="0"))
    [difference, *_] = reconcile(docs, {"invoices": [booked]}).differences
    assert (difference.kind, difference.source, difference.quickbooks) == ("total", "0.00",
                                                                           "57.12")


def test_a_record_the_feeds_reject_is_reported_not_fatal() -> None:
    broken = invoice(total="99.99")
    source = book(broken)
    assert source.documents() == []
    report = reconcile(source.documents(), {}, source.unreadable)
    [difference] = report.differences
    assert difference.kind == "unreadable" and "grand_total" in difference.source


def test_quickbooks_without_vat_rates_is_compared_on_its_total_tax() -> None:
    docs = book(invoice()).documents()
    row = qbo_row(docs[0])
    row["TxnTaxDetail"] = {"TotalTax": "9.52"}
    assert reconcile(docs, {"invoices": [to_doc("invoices", "Invoice", row)]}).matches


def test_customer_key_is_the_discriminator_ending_the_display_name() -> None:
    assert customer_key({"value": "1", "name": "Ana (ana@EXAMPLE.es)"}) == ("ana@example.es",
                                                                           "Ana (ana@EXAMPLE.es)")
    assert customer_key({"value": "8", "name": "Walk-in"})[0] == "Id 8"


def test_lookups_by_number_stay_get_requests_of_at_most_a_page() -> None:
    numbers = [f"{200000000 + n}" for n in range(2500)]
    statements = list(get_sized_chunks("Invoice", "DocNumber", numbers))
    assert all(len(s) + len(" STARTPOSITION 1 MAXRESULTS 1000") <= MAX_GET_QUERY
               for s in statements)
    listed = [v.strip(" '") for s in statements for v in s.split("(")[1].rstrip(")").split(",")]
    assert listed == numbers
    assert len(list(get_sized_chunks("Invoice", "Id", [str(n) for n in range(3000)],
                                     limit=10**6))) == 3


def test_dates_before_a_time_zone_shift() -> None:
    record = invoice(created="2026-01-15T12:00:00Z")
    assert SourceBook(zone=dt.timezone.utc).documents() == []
    source = SourceBook(zone=dt.timezone.utc)
    source.add("invoices", record)
    assert source.first_date() == "2026-01-15"
    assert source.numbers() == {"invoices": ["200000001"]}
