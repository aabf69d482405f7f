"""Invoices and credit memos as python-quickbooks' integration tests make them.

The payloads are python-quickbooks 0.9.12's own defaults (every property its objects
know, empty ones included: ``Line.CustomField: []``, ``ServiceDate: ""``, ``Qty: 0``,
``UnitPrice: 0``, on credit memos ``ApplyTaxAfterDiscount: ""``). Its integration tests
(ej2/python-quickbooks tests/integration/test_invoice.py, test_creditmemo.py) send exactly
these to real US sandboxes and assert what they read back, so the same assertions hold
here, on a US company.
"""

from __future__ import annotations

import uuid

import pytest
from conftest import Emulator
from quickbooks.client import QuickBooks
from quickbooks.objects.base import CustomerMemo, Ref
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.taxcode import TaxCode


def _line(qb: QuickBooks, description: str = "description") -> SalesItemLine:
    # test_invoice.py::create_invoice_line
    line = SalesItemLine()
    line.LineNum = 1
    line.Description = description
    line.Amount = 100
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.all(max_results=1, qb=qb)[0].to_ref()
    return line


def tax_code_ref(qb: QuickBooks) -> Ref:
    """A reference to an active sales tax code (a French company needs one per line)."""
    code = TaxCode.where("Active = true", max_results=1, qb=qb)[0]
    ref = Ref()
    ref.value = code.Id
    ref.name = code.Name
    return ref


def _invoice(qb: QuickBooks, customer: Customer, request_id: str | None = None) -> Invoice:
    # test_invoice.py::create_invoice
    invoice = Invoice()
    invoice.Line.append(_line(qb))
    invoice.CustomerRef = customer.to_ref()
    invoice.CustomerMemo = CustomerMemo()
    invoice.CustomerMemo.value = "Customer Memo"
    invoice.save(qb=qb, request_id=request_id)
    return invoice


@pytest.fixture(scope="module")
def customer(us_qb: QuickBooks) -> Customer:
    """A customer of the US company (the integration tests take the first one)."""
    created = Customer()
    created.DisplayName = "Conformance " + uuid.uuid4().hex[:8]
    created.save(qb=us_qb)
    return Customer.get(created.Id, qb=us_qb)


def test_invoice_create_with_python_quickbooks_defaults(us_qb: QuickBooks,
                                                        customer: Customer) -> None:
    # test_invoice.py::test_create
    invoice = _invoice(us_qb, customer)
    read = Invoice.get(invoice.Id, qb=us_qb)
    assert read.CustomerRef.name == customer.DisplayName
    assert read.CustomerMemo.value == "Customer Memo"
    assert read.Line[0].Description == "description"
    assert read.Line[0].Amount == 100.0


def test_invoice_query_by_customer_ref(us_qb: QuickBooks, customer: Customer) -> None:
    # test_invoice.py::test_query_by_customer_ref and ::test_where
    _invoice(us_qb, customer)
    found = Invoice.query(f"select * from Invoice where CustomerRef = '{customer.Id}'",
                          qb=us_qb)
    assert found[0].CustomerRef.name == customer.DisplayName
    assert Invoice.where(f"CustomerRef = '{customer.Id}'", qb=us_qb)[0].CustomerRef.name == (
        customer.DisplayName)


def test_requestid_replay_returns_the_first_answer(us_qb: QuickBooks,
                                                   customer: Customer) -> None:
    # test_invoice.py::test_create_idempotence: one requestid twice -> one invoice.
    request_id = str(uuid.uuid4())
    first = _invoice(us_qb, customer, request_id=request_id)
    second = _invoice(us_qb, customer, request_id=request_id)
    assert first.Id == second.Id


def test_invoice_delete(us_qb: QuickBooks, customer: Customer) -> None:
    # test_invoice.py::test_delete
    invoice = Invoice.get(_invoice(us_qb, customer).Id, qb=us_qb)
    invoice.delete(qb=us_qb)
    assert Invoice.filter(Id=invoice.Id, qb=us_qb) == []


def test_invoice_void(us_qb: QuickBooks, customer: Customer) -> None:
    # test_invoice.py::test_void
    invoice = Invoice.get(_invoice(us_qb, customer).Id, qb=us_qb)
    invoice.void(qb=us_qb)
    read = Invoice.get(invoice.Id, qb=us_qb)
    assert read.Balance == 0.0
    assert read.TotalAmt == 0.0
    assert "Voided" in read.PrivateNote


def test_credit_memo_create_and_update(us_qb: QuickBooks, customer: Customer) -> None:
    # test_creditmemo.py::test_create, then ::test_update (saves what it read back).
    item = Item.all(max_results=1, qb=us_qb)[0]
    memo = CreditMemo()
    memo.CustomerRef = customer.to_ref()
    line = SalesItemLine()
    line.LineNum = 1
    line.Description = "Test Description"
    line.Amount = 100
    line.DetailType = "SalesItemLineDetail"
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    memo.Line.append(line)
    memo.save(qb=us_qb)
    read = CreditMemo.get(memo.Id, qb=us_qb)
    assert read.Id == memo.Id
    assert read.CustomerRef.value == customer.Id
    first = read.Line[0]
    assert first.LineNum == 1
    assert first.Description == "Test Description"
    assert first.Amount == 100
    assert first.DetailType == "SalesItemLineDetail"
    assert first.SalesItemLineDetail.ItemRef.value == item.Id

    read.PrivateNote = "Test"
    read.save(qb=us_qb)
    assert CreditMemo.get(memo.Id, qb=us_qb).PrivateNote == "Test"


@pytest.mark.parametrize(("now", "day"), [("2026-03-31T22:30:00+00:00", "2026-04-01"),
                                          ("2026-04-30T21:59:00+00:00", "2026-04-30")])
def test_default_txn_date_is_the_company_day(fr_company: Emulator, fr_qb: QuickBooks,
                                             now: str, day: str) -> None:
    # A transaction's TxnDate defaults to the day in the company's time zone, not the
    # UTC day (Intuit's Invoice reference: "TxnDate ... if not supplied, the current
    # date on the server is used", and QuickBooks dates transactions and VAT periods by
    # the company's calendar; reference/quickbooks-online.md, issue 10 §3). A French
    # company is on Paris time: 22:30 UTC on 31 March is 00:30 on 1 April there.
    fr_company.admin("POST", "clock", {"now": now})
    try:
        customer = Customer()
        customer.DisplayName = "TxnDate " + uuid.uuid4().hex[:8]
        customer.save(qb=fr_qb)
        invoice = Invoice()
        line = _line(fr_qb)
        line.SalesItemLineDetail.TaxCodeRef = tax_code_ref(fr_qb)
        invoice.Line.append(line)
        invoice.CustomerRef = customer.to_ref()
        invoice.save(qb=fr_qb)
        assert Invoice.get(invoice.Id, qb=fr_qb).TxnDate == day
    finally:
        fr_company.admin("POST", "clock", {"now": None})
