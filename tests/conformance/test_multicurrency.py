"""Multicurrency: a customer has one currency and its documents are in it.

Intuit, "Manage multiple currencies" (developer.intuit.com, QBO workflows): once
multicurrency is on, a customer (``CurrencyRef``, the ISO code; python-quickbooks
issue #344, routablehq fork: ``value`` is the code, e.g. "EUR") is tied to one currency,
and the amounts of a transaction are expressed in its ``CurrencyRef``, which must be the
currency of the customer it references (the home currency when the customer has none).
"""

from __future__ import annotations

import pytest
from conftest import Emulator
from quickbooks.client import QuickBooks
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from test_documents import tax_code_ref


def _currency(code: str) -> Ref:
    ref = Ref()
    ref.value = code
    return ref


@pytest.fixture(scope="module")
def qb(multicurrency_company: Emulator) -> QuickBooks:
    """A client on a French company with multicurrency on."""
    return multicurrency_company.qb()


@pytest.fixture(scope="module")
def usd_customer(qb: QuickBooks) -> Customer:
    """A customer billed in US dollars."""
    customer = Customer()
    customer.DisplayName = "Dollar customer"
    customer.CurrencyRef = _currency("USD")
    return customer.save(qb=qb)


def _invoice(qb: QuickBooks, customer: Customer, currency: str | None) -> Invoice:
    invoice = Invoice()
    line = SalesItemLine()
    line.Amount = 50
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.all(max_results=1, qb=qb)[0].to_ref()
    line.SalesItemLineDetail.TaxCodeRef = tax_code_ref(qb)
    invoice.Line.append(line)
    invoice.CustomerRef = customer.to_ref()
    if currency is not None:
        invoice.CurrencyRef = _currency(currency)
    return invoice


def test_customer_keeps_its_currency(qb: QuickBooks, usd_customer: Customer) -> None:
    assert Customer.get(usd_customer.Id, qb=qb).CurrencyRef.value == "USD"


def test_invoice_in_the_customers_currency(qb: QuickBooks, usd_customer: Customer) -> None:
    saved = _invoice(qb, usd_customer, "USD").save(qb=qb)
    assert Invoice.get(saved.Id, qb=qb).CurrencyRef.value == "USD"


def test_invoice_in_another_currency_is_refused(qb: QuickBooks, usd_customer: Customer) -> None:
    with pytest.raises(QuickbooksException) as error:
        _invoice(qb, usd_customer, "EUR").save(qb=qb)
    assert error.value.error_code == 6000
    invoices = Invoice.where(f"CustomerRef = '{usd_customer.Id}'", qb=qb)
    assert {i.CurrencyRef.value for i in invoices} <= {"USD"}
