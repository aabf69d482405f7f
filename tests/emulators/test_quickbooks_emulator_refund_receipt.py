"""The emulator's RefundReceipt (README: "RefundReceipt").

A RefundReceipt is judged like the other sales documents (lines, VAT per rate from
the tax codes unless TaxLine overrides it, DocNumber unique per entity) and needs
the account the money is paid from: DepositToAccountRef, of type Bank or Other
Current Asset (Intuit's RefundReceipt reference). It is paid when saved: no balance.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.emulators.test_quickbooks_emulator_company import Api, fault_of, sales_line
from tests.emulators.test_quickbooks_emulator_tax import cheap_lines, tax_line

CHECKING = "35"  # seeded Bank account
INVENTORY_ASSET = "81"  # seeded Other Current Asset account
INCOME = "79"  # seeded Income account


@pytest.fixture
def customer(api):
    return api.create("Customer", {"DisplayName": "Jeanne Martin (#42)"})


def refund(customer: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"CustomerRef": {"value": customer["Id"]}, "DocNumber": "CM-1",
            "DepositToAccountRef": {"value": CHECKING}, "Line": cheap_lines(), **extra}


def test_create_read_query_and_delete(api, customer):
    created = api.create("RefundReceipt", refund(customer))
    assert created["SyncToken"] == "0"
    assert created["DepositToAccountRef"] == {"value": CHECKING, "name": "Checking"}
    assert created["CustomerRef"]["name"] == "Jeanne Martin (#42)"
    assert created["TotalAmt"] == pytest.approx(2.97 + 0.59)
    assert created["Balance"] == 0
    assert "RemainingCredit" not in created
    read = api.get(f"refundreceipt/{created['Id']}").json()["RefundReceipt"]
    assert read["DocNumber"] == "CM-1"
    rows = api.query("SELECT * FROM RefundReceipt WHERE DocNumber IN ('CM-1', 'CM-2')")
    assert [row["Id"] for row in rows.json()["QueryResponse"]["RefundReceipt"]] == [
        created["Id"]]
    gone = api.post("refundreceipt", {"Id": created["Id"], "SyncToken": "0"},
                    operation="delete")
    assert gone.json()["RefundReceipt"]["status"] == "Deleted"
    assert fault_of(api.get(f"refundreceipt/{created['Id']}"))["code"] == "610"


def test_vat_is_recomputed_per_rate_unless_tax_line_overrides_it(api, customer):
    plain = api.create("RefundReceipt", refund(customer, TxnTaxDetail={"TotalTax": "0.60"}))
    assert plain["TxnTaxDetail"]["TotalTax"] == pytest.approx(0.59)
    body = refund(customer, DocNumber="CM-2",
                  Line=[*cheap_lines(), sales_line("20", 1, "9.99", "9.99", tax="5")],
                  TxnTaxDetail={"TotalTax": "1.15", "TaxLine": [tax_line("13", "0.60")]})
    stated = api.create("RefundReceipt", body)
    by_rate = {line["TaxLineDetail"]["TaxRateRef"]["value"]: line["Amount"]
               for line in stated["TxnTaxDetail"]["TaxLine"]}
    assert by_rate == {"13": pytest.approx(0.60), "15": pytest.approx(0.55)}
    assert stated["TotalAmt"] == pytest.approx(2.97 + 9.99 + 1.15)


def test_lines_need_a_tax_code_outside_the_us(api, customer):
    line = sales_line("20", 1, "9.99", "9.99")
    del line["SalesItemLineDetail"]["TaxCodeRef"]
    fault = fault_of(api.post("refundreceipt", refund(customer, Line=[line])))
    assert fault["code"] == "6000"
    assert fault["element"] == "Line.SalesItemLineDetail.TaxCodeRef"


def test_deposit_account_is_required(api, customer):
    body = refund(customer)
    del body["DepositToAccountRef"]
    fault = fault_of(api.post("refundreceipt", body))
    assert fault["code"] == "2020"
    assert "DepositToAccountRef" in fault["Detail"]


def test_deposit_account_must_be_bank_or_other_current_asset(api, customer):
    fault = fault_of(api.post("refundreceipt",
                              refund(customer, DepositToAccountRef={"value": INCOME})))
    assert fault["code"] == "6000"
    assert fault["element"] == "DepositToAccountRef"
    assert "Bank or Other Current Asset" in fault["Detail"]
    assert "'Income'" in fault["Detail"]
    other_asset = api.create("RefundReceipt", refund(
        customer, DepositToAccountRef={"value": INVENTORY_ASSET}))
    assert other_asset["DepositToAccountRef"]["value"] == INVENTORY_ASSET
    unknown = fault_of(api.post("refundreceipt",
                                refund(customer, DocNumber="CM-9",
                                       DepositToAccountRef={"value": "999"})))
    assert unknown["code"] == "2500"


def test_customer_is_optional_but_checked_when_sent(api, customer):
    body = refund(customer)
    del body["CustomerRef"]
    anonymous = api.create("RefundReceipt", body)
    assert "CustomerRef" not in anonymous
    fault = fault_of(api.post("refundreceipt", refund({"Id": "999"}, DocNumber="CM-2")))
    assert fault["code"] == "2500"


def test_doc_number_is_unique_among_refund_receipts_only(api, customer):
    api.create("RefundReceipt", refund(customer))
    fault = fault_of(api.post("refundreceipt", refund(customer)))
    assert fault["code"] == "6140"
    assert "TxnType=RefundReceipt" in fault["Detail"]
    allowed = api.post("refundreceipt", refund(customer), include="allowduplicatedocnum")
    assert allowed.status_code == 200, allowed.text
    memo = {"CustomerRef": {"value": customer["Id"]}, "DocNumber": "CM-1",
            "Line": cheap_lines()}
    assert api.create("CreditMemo", memo)["DocNumber"] == "CM-1"


def test_batch_creates_refund_receipts_and_cdc_lists_them(api: Api, customer):
    since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)).isoformat()
    response = api.post("batch", {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "RefundReceipt": refund(customer)},
        {"bId": "2", "operation": "create",
         "RefundReceipt": refund(customer, DocNumber="CM-2",
                                 DepositToAccountRef={"value": INCOME})},
    ]})
    first, second = response.json()["BatchItemResponse"]
    assert first["RefundReceipt"]["DocNumber"] == "CM-1"
    assert second["Fault"]["Error"][0]["code"] == "6000"
    api.post("refundreceipt", {"Id": first["RefundReceipt"]["Id"], "SyncToken": "0"},
             operation="delete")
    answer = api.get("cdc", entities="RefundReceipt", changedSince=since).json()
    (block,) = answer["CDCResponse"][0]["QueryResponse"]
    assert [row.get("status") for row in block["RefundReceipt"]] == ["Deleted"]
