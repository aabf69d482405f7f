"""Payments and payment methods as python-quickbooks' integration tests make them.

ej2/python-quickbooks tests/integration/test_payment.py creates a Payment of
``TotalAmt`` 140 with only ``CustomerRef`` and the first ``PaymentMethod`` and reads it
back; its ``Payment`` object sends every property it knows (``Line: []`` and nulls
included). A payment linked to an invoice (``PaymentLine`` with a ``LinkedTxn``) lowers
the invoice's ``Balance``; deleting the payment (``DeleteMixin``) restores it.
"""

from __future__ import annotations

import uuid

import pytest
from quickbooks.client import QuickBooks
from quickbooks.objects.base import LinkedTxn
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.paymentmethod import PaymentMethod
from test_documents import _invoice


@pytest.fixture(scope="module")
def customer(us_qb: QuickBooks) -> Customer:
    created = Customer()
    created.DisplayName = "Payer " + uuid.uuid4().hex[:8]
    created.save(qb=us_qb)
    return Customer.get(created.Id, qb=us_qb)


def test_payment_create_with_python_quickbooks_defaults(us_qb: QuickBooks,
                                                         customer: Customer) -> None:
    # test_payment.py::test_create
    payment = Payment()
    payment.TotalAmt = 140.0
    payment.CustomerRef = customer.to_ref()
    method = PaymentMethod.all(max_results=1, qb=us_qb)[0]
    payment.PaymentMethodRef = method.to_ref()
    payment.save(qb=us_qb)
    read = Payment.get(payment.Id, qb=us_qb)
    assert read.CustomerRef.name == customer.DisplayName
    assert read.TotalAmt == 140.0
    assert read.PaymentMethodRef.value == method.Id
    assert read.UnappliedAmt == 140.0  # applied to nothing: a credit of the customer


def test_payment_linked_to_an_invoice_then_deleted(us_qb: QuickBooks,
                                                   customer: Customer) -> None:
    invoice = Invoice.get(_invoice(us_qb, customer).Id, qb=us_qb)
    payment = Payment()
    payment.TotalAmt = 40.0
    payment.CustomerRef = customer.to_ref()
    line = PaymentLine()
    line.Amount = 40.0
    linked = LinkedTxn()
    linked.TxnId = invoice.Id
    linked.TxnType = "Invoice"
    line.LinkedTxn.append(linked)
    payment.Line.append(line)
    payment.save(qb=us_qb)
    paid = Invoice.get(invoice.Id, qb=us_qb)
    assert paid.Balance == invoice.TotalAmt - 40.0
    assert [txn.TxnId for txn in paid.LinkedTxn if txn.TxnType == "Payment"] == [payment.Id]
    Payment.get(payment.Id, qb=us_qb).delete(qb=us_qb)
    assert Invoice.get(invoice.Id, qb=us_qb).Balance == invoice.TotalAmt


def test_payment_method_create_and_query(us_qb: QuickBooks) -> None:
    # test_paymentmethod (unit) fields: Name, Type, Active
    method = PaymentMethod()
    method.Name = "Virement " + uuid.uuid4().hex[:6]
    method.Type = "NON_CREDIT_CARD"
    method.save(qb=us_qb)
    found = PaymentMethod.filter(Name=method.Name, qb=us_qb)
    assert [m.Id for m in found] == [method.Id]
