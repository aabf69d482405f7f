"""Item and Customer create-read-update as python-quickbooks' integration tests do them.

Each case mirrors ej2/python-quickbooks 0.9.12 tests/integration (run by its authors
against real sandboxes): what they assert after a save is what real QuickBooks answers.
"""

from __future__ import annotations

from quickbooks.client import QuickBooks
from quickbooks.objects.account import Account
from quickbooks.objects.base import Address, EmailAddress, PhoneNumber
from quickbooks.objects.customer import Customer
from quickbooks.objects.item import Item


def _accounts(qb: QuickBooks) -> tuple[Account, Account, Account]:
    # tests/integration/test_item.py: setUp finds the accounts with these queries.
    income = Account.where("AccountType = 'Income' and AccountSubType = 'SalesOfProductIncome'",
                           max_results=1, qb=qb)[0]
    expense = Account.where("AccountSubType = 'SuppliesMaterialsCogs'", max_results=1, qb=qb)[0]
    asset = Account.where("AccountSubType = 'Inventory'", max_results=1, qb=qb)[0]
    return income, expense, asset


def test_inventory_item_create_and_read(us_qb: QuickBooks, unique: str) -> None:
    # tests/integration/test_item.py::test_create
    income, expense, asset = _accounts(us_qb)
    item = Item()
    item.Name = f"Test Item {unique}"
    item.Type = "Inventory"
    item.TrackQtyOnHand = True
    item.QtyOnHand = 10
    item.Sku = "SKU123123"
    item.InvStartDate = "2015-01-01"
    item.IncomeAccountRef = income.to_ref()
    item.ExpenseAccountRef = expense.to_ref()
    item.AssetAccountRef = asset.to_ref()
    item.save(qb=us_qb)
    read = Item.get(item.Id, qb=us_qb)
    assert read.Id == item.Id
    assert read.Name == f"Test Item {unique}"
    assert read.Type == "Inventory"
    assert read.Sku == "SKU123123"
    assert read.TrackQtyOnHand is True
    assert read.QtyOnHand == 10
    assert read.IncomeAccountRef.value == income.Id
    assert read.ExpenseAccountRef.value == expense.Id
    assert read.AssetAccountRef.value == asset.Id


def test_service_item_sku_in_all(us_qb: QuickBooks, unique: str) -> None:
    # tests/integration/test_item.py::test_sku_in_all
    income, expense, _ = _accounts(us_qb)
    item = Item()
    item.Name = f"Test SKU Item {unique}"
    item.Type = "Service"
    item.Sku = "TEST_SKU_" + unique
    item.IncomeAccountRef = income.to_ref()
    item.ExpenseAccountRef = expense.to_ref()
    item.save(qb=us_qb)
    items = Item.all(max_results=100, qb=us_qb)
    found = next((i for i in items if i.Id == item.Id), None)
    assert found is not None
    assert found.Sku == "TEST_SKU_" + unique


def test_customer_create_read_update(us_qb: QuickBooks, unique: str) -> None:
    # tests/integration/test_customer.py::test_create and ::test_update
    customer = Customer()
    customer.Title = "Mr"
    customer.GivenName = "James"
    customer.MiddleName = "B"
    customer.FamilyName = "King"
    customer.Suffix = "Jr"
    customer.FullyQualifiedName = unique
    customer.CompanyName = unique
    customer.DisplayName = unique
    customer.BillAddr = Address()
    customer.BillAddr.Line1 = "123 Main"
    customer.BillAddr.Line2 = "Apartment 1"
    customer.BillAddr.City = "City"
    customer.BillAddr.Country = "U.S.A"
    customer.BillAddr.CountrySubDivisionCode = "CA"
    customer.BillAddr.PostalCode = "94030"
    customer.PrimaryPhone = PhoneNumber()
    customer.PrimaryPhone.FreeFormNumber = "555-555-5555"
    customer.PrimaryEmailAddr = EmailAddress()
    customer.PrimaryEmailAddr.Address = "test@email.com"
    customer.save(qb=us_qb)
    read = Customer.get(customer.Id, qb=us_qb)
    assert read.Id == customer.Id
    assert (read.Title, read.GivenName, read.MiddleName, read.FamilyName, read.Suffix) == (
        "Mr", "James", "B", "King", "Jr")
    assert read.FullyQualifiedName == unique
    assert read.CompanyName == unique
    assert read.DisplayName == unique
    assert read.BillAddr.Line1 == "123 Main"
    assert read.BillAddr.Line2 == "Apartment 1"
    assert read.BillAddr.City == "City"
    assert read.BillAddr.Country == "U.S.A"
    assert read.BillAddr.CountrySubDivisionCode == "CA"
    assert read.BillAddr.PostalCode == "94030"
    assert read.PrimaryPhone.FreeFormNumber == "555-555-5555"
    assert read.PrimaryEmailAddr.Address == "test@email.com"

    read.GivenName = "Renamed" + unique[:5]  # ::test_update saves what it read back
    read.save(qb=us_qb)
    assert Customer.get(customer.Id, qb=us_qb).GivenName == "Renamed" + unique[:5]
