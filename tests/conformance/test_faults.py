"""Fault codes as real QuickBooks answers them, read through python-quickbooks.

python-quickbooks raises by code range (client.handle_exceptions): 610 ObjectNotFound,
2000-4999 ValidationException, 5000-9999 QuickbooksException, all carrying ``message``,
``error_code`` and ``detail``.
"""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from conftest import Emulator
from quickbooks.batch import batch_create
from quickbooks.client import QuickBooks
from quickbooks.exceptions import (
    ObjectNotFoundException,
    QuickbooksException,
    ValidationException,
)
from quickbooks.objects.account import Account
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from test_documents import tax_code_ref

V3 = "{http://schema.intuit.com/finance/v3}"


def _customer(qb: QuickBooks, name: str) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    return customer.save(qb=qb)


def _service_item(qb: QuickBooks, name: str) -> Item:
    item = Item()
    item.Name = name
    item.Type = "Service"
    item.IncomeAccountRef = Account.where("AccountType = 'Income'", max_results=1,
                                          qb=qb)[0].to_ref()
    return item


def test_6240_duplicate_name_in_english(us_qb: QuickBooks, unique: str) -> None:
    # A real body (QuickBooks-V3-PHP-SDK issue #241): code 6240, Message "Duplicate Name
    # Exists Error", Detail "The name supplied already exists. : Another customer, vendor or
    # employee is already using this name..."; the reference file: the Detail ends Id=NNN.
    first = _customer(us_qb, unique)
    with pytest.raises(QuickbooksException) as error:
        _customer(us_qb, unique)
    assert error.value.error_code == 6240
    assert error.value.message == "Duplicate Name Exists Error"
    assert error.value.detail.startswith("The name supplied already exists.")
    assert error.value.detail.endswith(f"Id={first.Id}")


def test_6240_duplicate_name_in_a_french_company(fr_qb: QuickBooks, unique: str) -> None:
    # A French company answers in French: "Nom en double", "Ce nom existe déjà. : Id=425"
    # (reference/quickbooks-online.md, "Learned since"); the code and Id=NNN are the same.
    first = _customer(fr_qb, unique)
    with pytest.raises(QuickbooksException) as error:
        _customer(fr_qb, unique)
    assert error.value.error_code == 6240
    assert error.value.message == "Nom en double"
    assert error.value.detail == f"Ce nom existe déjà. : Id={first.Id}"


def test_5010_stale_object_names_the_user_not_the_sync_token(us_company: Emulator,
                                                            unique: str) -> None:
    # Real 5010 (python-quickbooks issue #127, routablehq fork; QuickBooks-V3-DotNET-SDK
    # #366): {'Message': 'Stale Object Error', 'Detail': 'Stale Object Error : You and API
    # API were working on this at the same time. API API finished before you did, so your
    # work was not saved.', 'code': '5010', 'element': ''}.
    qb = us_company.qb()
    created = _customer(qb, unique)
    mine, theirs = Customer.get(created.Id, qb=qb), Customer.get(created.Id, qb=qb)
    theirs.GivenName = "First"
    theirs.save(qb=qb)
    mine.GivenName = "Second"
    with pytest.raises(QuickbooksException) as error:
        mine.save(qb=qb)
    assert error.value.error_code == 5010
    assert error.value.message == "Stale Object Error"
    detail = error.value.detail
    assert detail.startswith("Stale Object Error : You and ")
    assert " were working on this at the same time. " in detail
    assert detail.endswith(" finished before you did, so your work was not saved.")
    assert "SyncToken" not in detail
    # The raw body, through python-quickbooks' own session: element is "" (not left out).
    url = f"{qb.api_url}/company/{qb.company_id}/customer"
    response = qb.process_request(
        "POST", url, headers={"Content-Type": "application/json", "Accept": "application/json"},
        params={"minorversion": 75}, data=mine.to_json())
    (entry,) = response.json()["Fault"]["Error"]
    assert entry["code"] == "5010"
    assert entry["element"] == ""


def test_2050_string_too_long(us_qb: QuickBooks) -> None:
    # Real 2050 (ruckus/quickbooks-ruby PR #436; consolibyte/quickbooks-php #79): Message
    # "String length is either shorter or longer than supported by specification", Detail
    # "String length specified does not match the supported length. Min:0 Max:... supported.
    # Supplied length:...". Item Name holds at most 100 characters (Intuit's Item reference).
    with pytest.raises(ValidationException) as error:
        _service_item(us_qb, "N" * 101).save(qb=us_qb)
    assert error.value.error_code == 2050
    assert error.value.message == (
        "String length is either shorter or longer than supported by specification")
    assert error.value.detail.startswith(
        "String length specified does not match the supported length. Min:0 Max:100")


def test_6000_line_without_vat_rate_outside_the_us(fr_qb: QuickBooks, unique: str) -> None:
    # Non-US companies refuse a sales line without a tax code: 6000, "Business Validation
    # Error: Make sure all your transactions have a VAT rate before you save." (a UK company,
    # intuit/quickbooks-online-mcp-server issue #94).
    customer = _customer(fr_qb, unique)
    invoice = Invoice()
    line = SalesItemLine()
    line.Amount = 10
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.all(max_results=1, qb=fr_qb)[0].to_ref()
    invoice.Line.append(line)
    invoice.CustomerRef = customer.to_ref()
    with pytest.raises(QuickbooksException) as error:
        invoice.save(qb=fr_qb)
    assert error.value.error_code == 6000
    line.SalesItemLineDetail.TaxCodeRef = tax_code_ref(fr_qb)
    assert invoice.save(qb=fr_qb).Id


def test_6520_inventory_line_without_quantity(us_qb: QuickBooks, unique: str) -> None:
    # Real 6520 (n8n-io/n8n issue #12956): {"Message":"Missing Inventory Item Quantity",
    # "Detail":"Quantity required for inventory item","code":"6520","element":""}.
    income = Account.where("AccountSubType = 'SalesOfProductIncome'", max_results=1, qb=us_qb)[0]
    cogs = Account.where("AccountSubType = 'SuppliesMaterialsCogs'", max_results=1, qb=us_qb)[0]
    asset = Account.where("AccountSubType = 'Inventory'", max_results=1, qb=us_qb)[0]
    item = Item()
    item.Name = "Stock " + unique
    item.Type = "Inventory"
    item.TrackQtyOnHand = True
    item.QtyOnHand = 5
    item.InvStartDate = "2024-01-01"
    item.IncomeAccountRef, item.ExpenseAccountRef = income.to_ref(), cogs.to_ref()
    item.AssetAccountRef = asset.to_ref()
    item = item.save(qb=us_qb)
    invoice = Invoice()
    line = SalesItemLine()
    line.Amount = 10
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    invoice.Line.append(line)
    invoice.CustomerRef = _customer(us_qb, unique).to_ref()
    with pytest.raises(QuickbooksException) as error:
        invoice.save(qb=us_qb)
    assert error.value.error_code == 6520
    assert error.value.message == "Missing Inventory Item Quantity"
    assert error.value.detail.startswith("Quantity required for inventory item")


def test_610_object_not_found(us_qb: QuickBooks) -> None:
    # 610 "Object Not Found" (reference file, Faults; python-quickbooks maps it to
    # ObjectNotFoundException).
    with pytest.raises(ObjectNotFoundException) as error:
        Customer.get("999999999", qb=us_qb)
    assert error.value.error_code == 610


def test_batch_reports_faults_per_item(us_qb: QuickBooks, unique: str) -> None:
    # Intuit's batch: one 200 whose BatchItemResponse holds each item's object or its own
    # Fault (reference file, Batch); python-quickbooks splits them into successes/faults.
    taken = _customer(us_qb, "Batch " + unique)
    fresh, clash = Customer(), Customer()
    fresh.DisplayName = "Batch new " + unique
    clash.DisplayName = taken.DisplayName
    result = batch_create([fresh, clash], qb=us_qb)
    assert [c.DisplayName for c in result.successes] == ["Batch new " + unique]
    (fault,) = result.faults
    assert fault.Error[0].code == "6240"
    assert fault.Error[0].Detail.endswith(f"Id={taken.Id}")
    assert fault.original_object.DisplayName == taken.DisplayName


def test_429_is_the_real_xml_body(us_company: Emulator) -> None:
    # Real 429 body (reference/quickbooks-online.md, "Learned since"): XML even when JSON is
    # asked, <IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="..."> with
    # <Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded;
    # errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.  Try
    # again later</Detail>. python-quickbooks cannot read it as JSON and raises code 10000
    # quoting the body.
    qb = us_company.qb()
    us_company.admin("POST", "faults", {"kind": "throttle", "count": 1})
    with pytest.raises(QuickbooksException) as error:
        Customer.all(max_results=1, qb=qb)
    assert error.value.error_code == 10000
    body = error.value.message.split("Error reading json response: ", 1)[1]
    root = ElementTree.fromstring(body.encode())
    assert root.tag == f"{V3}IntuitResponse"
    assert root.get("time")
    fault = root.find(f"{V3}Fault")
    assert fault is not None and fault.get("type") == "SERVICE"
    entry = fault.find(f"{V3}Error")
    assert entry is not None and entry.get("code") == "3001"
    assert entry.findtext(f"{V3}Message") == (
        "message=ThrottleExceeded; errorCode=003001; statusCode=429")
    assert entry.findtext(f"{V3}Detail") == "The request limit was reached.  Try again later"

