"""QuickBooks emulator: entities, validation Faults, query language and batch (real sockets)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from quickbooks_emulator import QboFault, QuickBooksEmulator

INVENTORY = {
    "Name": "Blue mug", "Sku": "MUG-BLUE", "Type": "Inventory", "TrackQtyOnHand": True,
    "QtyOnHand": 10, "InvStartDate": "2026-01-01", "UnitPrice": 12.5,
    "IncomeAccountRef": {"value": "79"}, "ExpenseAccountRef": {"value": "80"},
    "AssetAccountRef": {"value": "81"},
}


class Api:
    """Minimal QBO client over requests, holding a bearer token."""

    def __init__(self, qbo: QuickBooksEmulator) -> None:
        self.qbo = qbo
        token = requests.post(
            qbo.url + "/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": qbo.current_refresh_token()},
            auth=("demo-client-id", "demo-client-secret"), timeout=5,
        ).json()
        self.session = requests.Session()
        self.session.headers.update({"Authorization": "Bearer " + token["access_token"],
                                     "Accept": "application/json"})
        self.base = f"{qbo.api_url}/company/{qbo.realm_id}"

    def post(self, path: str, body: Any, **params: str) -> requests.Response:
        return self.session.post(f"{self.base}/{path}", json=body,
                                 params={"minorversion": "75", **params}, timeout=5)

    def get(self, path: str, **params: str) -> requests.Response:
        return self.session.get(f"{self.base}/{path}", params={"minorversion": "75", **params},
                                timeout=5)

    def query(self, text: str) -> requests.Response:
        return self.get("query", query=text)

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(entity.lower(), body)
        assert response.status_code == 200, response.text
        return response.json()[entity]


def fault_of(response: requests.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] == "ValidationFault"
    return body["Fault"]["Error"][0]


@pytest.fixture
def customer(api):
    return api.create("Customer", {"GivenName": "Jeanne", "FamilyName": "Martin",
                                   "DisplayName": "Jeanne Martin (#42)"})


@pytest.fixture
def mug(api):
    return api.create("Item", INVENTORY)


def sales_line(item_id: str, qty: Any, price: Any, amount: Any, tax: str = "3") -> dict:
    return {"Amount": amount, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": qty,
                                    "UnitPrice": price, "TaxCodeRef": {"value": tax}}}


# -- create / read / update --------------------------------------------------------------
def test_create_read_sparse_and_full_update(api, mug):
    assert mug["SyncToken"] == "0"
    assert mug["Id"]
    assert set(mug["MetaData"]) == {"CreateTime", "LastUpdatedTime"}
    read = api.get(f"item/{mug['Id']}")
    assert read.status_code == 200
    assert read.json()["Item"]["Sku"] == "MUG-BLUE"
    assert read.headers["intuit_tid"]

    sparse = api.post("item", {"Id": mug["Id"], "SyncToken": "0", "sparse": True,
                               "UnitPrice": 13})
    assert sparse.status_code == 200, sparse.text
    updated = sparse.json()["Item"]
    assert updated["SyncToken"] == "1"
    assert updated["UnitPrice"] == 13
    assert updated["Sku"] == "MUG-BLUE"  # untouched by a sparse update

    stale = fault_of(api.post("item", {"Id": mug["Id"], "SyncToken": "0", "sparse": True,
                                       "UnitPrice": 14}))
    assert stale["code"] == "5010"

    full = dict(INVENTORY, Id=mug["Id"], SyncToken="1")
    del full["Sku"]
    replaced = api.post("item", full).json()["Item"]
    assert replaced["SyncToken"] == "2"
    assert "Sku" not in replaced


def test_object_not_found_610(api):
    assert fault_of(api.get("item/999999"))["code"] == "610"
    missing = api.post("item", {"Id": "999999", "SyncToken": "0", "sparse": True, "Name": "X"})
    assert fault_of(missing)["code"] == "610"


def test_update_without_synctoken_is_2020(api, mug):
    error = fault_of(api.post("item", {"Id": mug["Id"], "sparse": True, "Name": "Other"}))
    assert (error["code"], error["element"]) == ("2020", "SyncToken")


def test_minorversion_missing_or_low_is_accepted(api, mug):
    response = api.session.get(f"{api.base}/item/{mug['Id']}?minorversion=4", timeout=5)
    assert response.status_code == 200
    response = api.session.get(f"{api.base}/item/{mug['Id']}", timeout=5)
    assert response.status_code == 200


def test_reference_data_is_read_only_and_readable(api, qbo):
    assert api.get("account/79").json()["Account"]["AccountType"] == "Income"
    info = api.get(f"companyinfo/{qbo.realm_id}").json()["CompanyInfo"]
    assert info["Country"] == "FR"
    prefs = api.get("preferences").json()["Preferences"]
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "EUR"
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    codes = api.query("select * from TaxCode").json()["QueryResponse"]["TaxCode"]
    assert {c["Id"]: c["Name"] for c in codes} == {"3": "TVA 20%", "4": "TVA 10%",
                                                    "5": "TVA 5,5%", "6": "TVA 0%"}
    assert fault_of(api.post("account", {"Name": "New"}))["code"] == "500"
    assert fault_of(api.get("unknownthing/1"))["code"] == "500"


# -- Item rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "code", "element"),
    [
        ({"Name": None}, "2020", "Name"),
        ({"Name": "x" * 101}, "2050", "Name"),
        ({"Name": "Mugs:Blue"}, "2040", "Name"),
        ({"Name": "Tab\tName"}, "2040", "Name"),
        ({"Sku": "S" * 101}, "2050", "Sku"),
        ({"Type": "Gadget"}, "2010", "Type"),
        ({"Colour": "blue"}, "2010", "Colour"),
        ({"AssetAccountRef": None}, "2020", "AssetAccountRef"),
        ({"InvStartDate": None}, "2020", "InvStartDate"),
        ({"QtyOnHand": None}, "2020", "QtyOnHand"),
        ({"TrackQtyOnHand": False}, "6000", "TrackQtyOnHand"),
        ({"IncomeAccountRef": {"value": "4242"}}, "2500", "IncomeAccountRef"),
        ({"ExpenseAccountRef": {"value": "79"}}, "6000", "ExpenseAccountRef"),
        ({"AssetAccountRef": {"value": "35"}}, "6000", "AssetAccountRef"),
    ],
)
def test_item_rules(api, change, code, element):
    body = {k: v for k, v in {**INVENTORY, **change}.items() if v is not None}
    error = fault_of(api.post("item", body))
    assert (error["code"], error["element"]) == (code, element), error


def test_service_item_needs_income_account(api):
    error = fault_of(api.post("item", {"Name": "Gift wrap", "Type": "Service"}))
    assert (error["code"], error["element"]) == ("2020", "IncomeAccountRef")
    ok = api.post("item", {"Name": "Gift wrap", "Type": "Service",
                           "IncomeAccountRef": {"value": "1"}})
    assert ok.status_code == 200


def test_item_name_unique_including_inactive_with_id(api, mug):
    api.post("item", {"Id": mug["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    error = fault_of(api.post("item", dict(INVENTORY, Name="blue MUG ", Sku="OTHER")))
    assert error["code"] == "6240"
    assert error["Detail"].endswith(f"Id={mug['Id']}")


# -- Customer rules ------------------------------------------------------------------------
def test_customer_display_name_unique_across_vendors_and_employees(api, customer):
    vendor = fault_of(api.post("customer", {"DisplayName": "Transports Dupont"}))
    assert vendor["code"] == "6240"
    assert vendor["Detail"].endswith("Id=56")
    employee = fault_of(api.post("customer", {"DisplayName": "Camille Martin"}))
    assert employee["code"] == "6240"
    assert employee["Detail"].endswith("Id=55")
    api.post("customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                          "Active": False})
    inactive = fault_of(api.post("customer", {"DisplayName": "Jeanne Martin (#42)"}))
    assert inactive["code"] == "6240"
    assert inactive["Detail"].endswith(f"Id={customer['Id']}")


def test_customer_display_name_built_from_names(api):
    created = api.create("Customer", {"Title": "Mme", "GivenName": "Anne",
                                      "FamilyName": "O'Neil"})
    assert created["DisplayName"] == "Mme Anne O'Neil"
    assert fault_of(api.post("customer", {"Notes": "nobody"}))["code"] == "2020"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"PrimaryEmailAddr": {"Address": "not-an-email"}}, "6000"),
        ({"PrimaryEmailAddr": {"Address": "a@b.fr, c@d.fr"}}, "6000"),
        ({"BillAddr": {"PostalCode": "9" * 31}}, "2050"),
        ({"BillAddr": {"City": "c" * 256}}, "2050"),
        ({"BillAddr": {"Line1": "l" * 501}}, "2050"),
        ({"BillAddr": {"Street": "1 rue"}}, "2010"),
        ({"DisplayName": "d" * 501}, "2050"),
        ({"DisplayName": "A:B"}, "2040"),
        ({"CurrencyRef": {"value": "USD"}}, "6000"),
    ],
)
def test_customer_rules(api, change, code):
    body = {"DisplayName": "Valid Name", **change}
    assert fault_of(api.post("customer", body))["code"] == code


# -- Invoice / CreditMemo ------------------------------------------------------------------
def test_invoice_totals_with_discount_and_total_tax(api, customer, mug):
    shipping = sales_line("20", 1, "4.90", "4.90")
    body = {
        "CustomerRef": {"value": customer["Id"]}, "DocNumber": "100000042",
        "TxnDate": "2026-03-01",
        "Line": [
            sales_line(mug["Id"], 2, "12.50", "25.00"), shipping,
            {"Amount": "3.00", "DetailType": "DiscountLineDetail",
             "DiscountLineDetail": {"PercentBased": False,
                                    "DiscountAccountRef": {"value": "86"}}},
        ],
        # A French company books the VAT it is told only through TaxLine (TotalTax alone
        # is recomputed from the codes: test_quickbooks_emulator_tax.py).
        "TxnTaxDetail": {"TotalTax": "5.38", "TaxLine": [{
            "Amount": "5.38", "DetailType": "TaxLineDetail",
            "TaxLineDetail": {"TaxRateRef": {"value": "13"}, "PercentBased": True,
                              "TaxPercent": 20, "NetAmountTaxable": "26.90"}}]},
    }
    invoice = api.create("Invoice", body)
    assert invoice["TotalAmt"] == pytest.approx(25 + 4.90 - 3 + 5.38)
    assert invoice["Balance"] == invoice["TotalAmt"]
    assert invoice["TxnTaxDetail"]["TotalTax"] == pytest.approx(5.38)
    subtotal = [ln for ln in invoice["Line"] if ln["DetailType"] == "SubTotalLineDetail"]
    assert subtotal[0]["Amount"] == pytest.approx(29.90)
    assert invoice["CurrencyRef"]["value"] == "EUR"


def test_invoice_tax_computed_from_tax_codes_when_absent(api, customer, mug):
    body = {"CustomerRef": {"value": customer["Id"]},
            "Line": [sales_line(mug["Id"], 2, 10, 20, tax="3"),
                     sales_line("20", 1, 10, 10, tax="5")]}
    invoice = api.create("Invoice", body)
    assert invoice["TxnTaxDetail"]["TotalTax"] == pytest.approx(4.55)
    assert invoice["TotalAmt"] == pytest.approx(34.55)


def test_credit_memo_with_negative_adjustment_line(api, customer, mug):
    body = {"CustomerRef": {"value": customer["Id"]},
            "Line": [sales_line(mug["Id"], 1, 10, 10), sales_line("21", 1, -2, -2, tax="6")],
            "TxnTaxDetail": {"TotalTax": 2}}
    memo = api.create("CreditMemo", body)
    assert memo["TotalAmt"] == 10
    assert memo["RemainingCredit"] == 10


def invoice_body(customer_id: str, item_id: str, **extra: Any) -> dict[str, Any]:
    return {"CustomerRef": {"value": customer_id},
            "Line": [sales_line(item_id, 2, "12.50", "25.00")], **extra}


def test_invoice_reference_and_required_faults(api, customer, mug):
    no_customer = invoice_body(customer["Id"], mug["Id"])
    del no_customer["CustomerRef"]
    assert fault_of(api.post("invoice", no_customer))["code"] == "2020"
    assert fault_of(api.post("invoice", invoice_body("999999", mug["Id"])))["code"] == "2500"
    assert fault_of(api.post("invoice", invoice_body(customer["Id"], "999999")))["code"] == "2500"
    assert fault_of(api.post("invoice", invoice_body(customer["Id"], mug["Id"], Line=[])))[
        "code"] == "6000"
    no_amount = invoice_body(customer["Id"], mug["Id"])
    del no_amount["Line"][0]["Amount"]
    assert fault_of(api.post("invoice", no_amount))["code"] == "2020"
    assert fault_of(api.post("invoice", invoice_body(customer["Id"], mug["Id"], Memo="x")))[
        "code"] == "2010"


#: QuickBooks' words for an inactive reference (intuit/QuickBooks-V3-PHP-SDK #95, #110).
INACTIVE_DETAIL = ("Invalid Reference Id : Something you're trying to use has been made "
                   "inactive. Check the fields with accounts, customers, items, vendors or "
                   "employees.")


def test_invoice_inactive_item_is_refused(api, customer, mug):
    api.post("item", {"Id": mug["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    error = fault_of(api.post("invoice", invoice_body(customer["Id"], mug["Id"])))
    assert error["code"] == "2500"
    # A French company answers the Message in French (emulator README, "Language").
    assert error["Message"] == "ID de référence non valide"
    assert error["Detail"] == INACTIVE_DETAIL
    assert error.get("element", "") == ""


def test_invoice_and_credit_memo_of_inactive_customer_are_refused_until_reactivated(
        api, customer, mug):
    api.post("customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"],
                          "sparse": True, "Active": False})
    for entity in ("invoice", "creditmemo"):
        error = fault_of(api.post(entity, invoice_body(customer["Id"], mug["Id"])))
        assert (error["code"], error["Detail"]) == ("2500", INACTIVE_DETAIL)
    current = api.get(f"customer/{customer['Id']}").json()["Customer"]
    api.post("customer", {"Id": customer["Id"], "SyncToken": current["SyncToken"],
                          "sparse": True, "Active": True})
    assert api.post("invoice", invoice_body(customer["Id"], mug["Id"])).status_code == 200


def test_amount_inside_detail_is_2010(api, customer, mug):
    body = invoice_body(customer["Id"], mug["Id"])
    body["Line"][0]["SalesItemLineDetail"]["Amount"] = "25.00"
    error = fault_of(api.post("invoice", body))
    assert error["code"] == "2010"
    assert "Unrecognized field" in error["Detail"]


def test_inventory_line_without_qty_is_6520(api, customer, mug):
    body = invoice_body(customer["Id"], mug["Id"])
    del body["Line"][0]["SalesItemLineDetail"]["Qty"]
    assert fault_of(api.post("invoice", body))["code"] == "6520"


def test_amount_must_equal_qty_times_price(api, customer, mug):
    body = invoice_body(customer["Id"], mug["Id"])
    body["Line"][0]["Amount"] = "25.01"
    assert fault_of(api.post("invoice", body))["code"] == "6000"


def test_french_company_needs_existing_tax_code(api, customer, mug):
    body = invoice_body(customer["Id"], mug["Id"])
    del body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]
    assert fault_of(api.post("invoice", body))["code"] == "6000"
    body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] = {"value": "99"}
    assert fault_of(api.post("invoice", body))["code"] == "6000"


def test_us_company_does_not_need_tax_codes():
    with QuickBooksEmulator(country="US", per_second=None) as qbo:
        api = Api(qbo)
        cust = api.create("Customer", {"DisplayName": "Joe"})
        body = {"CustomerRef": {"value": cust["Id"]},
                "Line": [{"Amount": 5, "DetailType": "SalesItemLineDetail",
                          "SalesItemLineDetail": {"ItemRef": {"value": "20"}}}]}
        assert api.create("Invoice", body)["CurrencyRef"]["value"] == "USD"


def test_doc_number_rules(api, customer, mug):
    long_number = invoice_body(customer["Id"], mug["Id"], DocNumber="X" * 22)
    assert fault_of(api.post("invoice", long_number))["code"] == "2050"
    api.create("Invoice", invoice_body(customer["Id"], mug["Id"], DocNumber="INV-1"))
    duplicate = fault_of(api.post("invoice", invoice_body(customer["Id"], mug["Id"],
                                                          DocNumber="INV-1")))
    assert duplicate["code"] == "6140"
    allowed = api.post("invoice", invoice_body(customer["Id"], mug["Id"], DocNumber="INV-1"),
                       include="allowduplicatedocnum")
    assert allowed.status_code == 200
    # Credit memos have their own numbering.
    api.create("CreditMemo", invoice_body(customer["Id"], mug["Id"], DocNumber="INV-1"))


def test_foreign_currency_and_negative_total_are_6000(api, customer, mug):
    usd = invoice_body(customer["Id"], mug["Id"], CurrencyRef={"value": "USD"})
    assert fault_of(api.post("invoice", usd))["code"] == "6000"
    negative = invoice_body(customer["Id"], mug["Id"])
    negative["Line"].append({"Amount": 31, "DetailType": "DiscountLineDetail",
                             "DiscountLineDetail": {"PercentBased": False}})
    assert fault_of(api.post("invoice", negative))["code"] == "6000"


def test_delete_invoice_and_not_items(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    deleted = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert deleted.json()["Invoice"]["status"] == "Deleted"
    assert fault_of(api.get(f"invoice/{invoice['Id']}"))["code"] == "610"
    refused = api.post("item", {"Id": mug["Id"], "SyncToken": "0"}, operation="delete")
    assert fault_of(refused)["code"] == "500"


# -- query ---------------------------------------------------------------------------------
def test_query_escaped_quote_and_parse_errors(api):
    api.create("Customer", {"DisplayName": "Sean O'Brien"})
    found = api.query("select * from Customer where DisplayName = 'Sean O\\'Brien'").json()
    assert [c["DisplayName"] for c in found["QueryResponse"]["Customer"]] == ["Sean O'Brien"]
    for bad in ("select * from Customer where DisplayName = 'Sean O'Brien'",
                "select * from Customer where DisplayName = 'a' OR DisplayName = 'b'",
                "select * from Customer JOIN Item",
                "select * Customer",
                "select * from Customer where DisplayName = 'x"):
        error = fault_of(api.query(bad))
        assert (error["code"], error["Message"]) == ("4000", "Erreur d'analyse de la requête"), bad


def test_query_in_like_paging_orderby_and_count(api):
    for n in range(1, 8):
        api.create("Item", {"Name": f"Thing {n}", "Sku": f"SKU-{n}", "Type": "Service",
                            "IncomeAccountRef": {"value": "1"}})
    resp = api.query("SELECT * FROM Item WHERE Sku IN ('SKU-2', 'SKU-5', 'nope')").json()
    assert sorted(i["Sku"] for i in resp["QueryResponse"]["Item"]) == ["SKU-2", "SKU-5"]
    like = api.query("select * from Item where Name LIKE '%ing 3'").json()["QueryResponse"]
    assert [i["Name"] for i in like["Item"]] == ["Thing 3"]
    page = api.query("select * from Item where Name like 'Thing%' orderby Name desc"
                     " startposition 2 maxresults 3").json()["QueryResponse"]
    assert [i["Name"] for i in page["Item"]] == ["Thing 6", "Thing 5", "Thing 4"]
    assert (page["startPosition"], page["maxResults"]) == (2, 3)
    count = api.query("select count(*) from Item where Name like 'Thing%'").json()
    assert count["QueryResponse"] == {"totalCount": 7}
    empty = api.query("select * from Item where Sku = 'none'").json()
    assert empty["QueryResponse"] == {}
    default = api.query("select * from Item").json()["QueryResponse"]
    assert default["maxResults"] == 9  # 7 + seeded Shipping and Adjustment


def test_query_limits_and_unknown_properties(api):
    error = fault_of(api.query("select * from Item maxresults 1001"))
    assert error["code"] == "4001"
    assert "QueryValidationError" in error["Detail"]
    assert api.query("select * from Item maxresults 1000").status_code == 200
    assert fault_of(api.query("select * from Item where Colour = 'x'"))["code"] == "4001"
    assert fault_of(api.query("select * from Gadget"))["code"] == "4001"


def test_query_field_names_case_insensitive_and_selected_columns(api, mug):
    rows = api.query("select *, Sku from item where sku = 'mug-blue'").json()
    assert rows["QueryResponse"]["Item"][0]["Id"] == mug["Id"]
    rows = api.query("select Name, Sku from Item where NAME = 'Blue mug'").json()
    item = rows["QueryResponse"]["Item"][0]
    assert item["Sku"] == "MUG-BLUE"
    assert "UnitPrice" not in item


def test_query_hides_inactive_unless_asked(api, mug):
    api.post("item", {"Id": mug["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert api.query("select * from Item where Sku = 'MUG-BLUE'").json()["QueryResponse"] == {}
    both = api.query("select * from Item where Sku = 'MUG-BLUE' and Active IN (true, false)")
    assert len(both.json()["QueryResponse"]["Item"]) == 1
    only = api.query("select * from Item where Active = false").json()["QueryResponse"]
    assert [i["Id"] for i in only["Item"]] == [mug["Id"]]


def test_query_by_post_and_by_date_and_reference(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"], DocNumber="77"))
    response = api.session.post(f"{api.base}/query", data="select * from Invoice where "
                                f"CustomerRef = '{customer['Id']}'",
                                headers={"Content-Type": "application/text"}, timeout=5)
    assert response.json()["QueryResponse"]["Invoice"][0]["Id"] == invoice["Id"]
    since = api.query("select * from Invoice where MetaData.LastUpdatedTime >= "
                      "'2020-01-01T00:00:00Z'").json()["QueryResponse"]
    assert len(since["Invoice"]) == 1
    future = api.query("select * from Invoice where Metadata.LastUpdatedTime > "
                       "'2999-01-01T00:00:00+00:00'").json()
    assert future["QueryResponse"] == {}


# -- batch ---------------------------------------------------------------------------------
def test_batch_mixed_items_with_per_item_faults(api, customer, mug):
    body = {"BatchItemRequest": [
        {"bId": "1", "operation": "create",
         "Item": {"Name": "Batch thing", "Type": "Service", "IncomeAccountRef": {"value": "1"}}},
        {"bId": "2", "operation": "create", "Item": {"Name": "Blue mug", "Type": "Service",
                                                     "IncomeAccountRef": {"value": "1"}}},
        {"bId": "3", "Query": "select * from Item where Name = 'Blue mug'"},
        {"bId": "4", "operation": "update",
         "Item": {"Id": mug["Id"], "SyncToken": "0", "sparse": True, "UnitPrice": 15}},
        {"bId": "5", "operation": "create", "Invoice": invoice_body(customer["Id"], "424242")},
    ]}
    response = api.post("batch", body)
    assert response.status_code == 200
    items = {r["bId"]: r for r in response.json()["BatchItemResponse"]}
    assert items["1"]["Item"]["Name"] == "Batch thing"
    assert items["2"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["3"]["QueryResponse"]["Item"][0]["Id"] == mug["Id"]
    assert items["4"]["Item"]["SyncToken"] == "1"
    assert items["5"]["Fault"]["Error"][0]["code"] == "2500"
    assert items["5"]["Fault"]["type"] == "ValidationFault"


def test_batch_items_do_not_see_same_batch_creates(api, customer):
    body = {"BatchItemRequest": [
        {"bId": "a", "operation": "create",
         "Item": {"Name": "Fresh", "Type": "Service", "IncomeAccountRef": {"value": "1"}}},
        {"bId": "b", "Query": "select * from Item where Name = 'Fresh'"},
        {"bId": "c", "operation": "create",
         "Item": {"Name": "Fresh", "Type": "Service", "IncomeAccountRef": {"value": "1"}}},
    ]}
    items = {r["bId"]: r for r in api.post("batch", body).json()["BatchItemResponse"]}
    created_id = items["a"]["Item"]["Id"]
    assert items["b"]["QueryResponse"] == {}  # invisible inside the batch
    assert items["c"]["Fault"]["Error"][0]["code"] == "6240"  # but the name is taken
    update = {"BatchItemRequest": [
        {"bId": "1", "operation": "create",
         "Item": {"Name": "Fresh 2", "Type": "Service", "IncomeAccountRef": {"value": "1"}}},
    ]}
    new_id = api.post("batch", update).json()["BatchItemResponse"][0]["Item"]["Id"]
    assert api.query("select * from Item where Name = 'Fresh'").json()[
        "QueryResponse"]["Item"][0]["Id"] == created_id
    assert api.get(f"item/{new_id}").status_code == 200  # visible after the batch


def test_batch_over_30_items_refused(api, qbo):
    items = [{"bId": str(n), "Query": "select * from Item"} for n in range(31)]
    error = fault_of(api.post("batch", {"BatchItemRequest": items}))
    assert error["code"] == "6000"
    ok = api.post("batch", {"BatchItemRequest": items[:30]})
    assert len(ok.json()["BatchItemResponse"]) == 30
    stats = qbo.stats()["by_kind"]
    assert stats["batch"] == 2
    assert stats["batch_operations"] == 30


# -- Python controls -----------------------------------------------------------------------
def test_add_entity_and_entities(qbo):
    vendor = qbo.add_entity("Vendor", {"DisplayName": "Imprimerie Leroy"})
    assert vendor["SyncToken"] == "0"
    item = qbo.add_entity("Item", {"Id": "5000", "Name": "Old", "Type": "Service",
                                   "IncomeAccountRef": {"value": "1"}, "Active": False})
    assert item["Id"] == "5000"
    names = [i["Name"] for i in qbo.entities("Item")]
    assert names == ["Shipping", "Adjustment", "Old"]
    assert [i["Name"] for i in qbo.entities("item", include_inactive=False)] == [
        "Shipping", "Adjustment"]
    with pytest.raises(QboFault) as excinfo:
        qbo.add_entity("Customer", {"DisplayName": "Imprimerie Leroy"})
    assert excinfo.value.code == "6240"
    with pytest.raises(ValueError, match="already used"):
        qbo.add_entity("Item", {"Id": "5000", "Name": "Other", "Type": "Service",
                                "IncomeAccountRef": {"value": "1"}})
