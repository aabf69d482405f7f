"""QuickBooks emulator: Payment and PaymentMethod, and the balances they move (real sockets)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from test_quickbooks_emulator_company import INVENTORY, Api, fault_of, invoice_body, sales_line


@pytest.fixture
def customer(api: Api) -> dict[str, Any]:
    return api.create("Customer", {"DisplayName": "Jeanne Martin (#42)"})


@pytest.fixture
def mug(api: Api) -> dict[str, Any]:
    return api.create("Item", INVENTORY)


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _read(api: Api, entity: str, object_id: str) -> dict[str, Any]:
    return api.get(f"{entity.lower()}/{object_id}").json()[entity]


def _pay(invoice_id: str, amount: Any, **extra: Any) -> dict[str, Any]:
    return {"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}],
            **extra}


def _memo(customer_id: str, item_id: str) -> dict[str, Any]:
    return {"CustomerRef": {"value": customer_id}, "Line": [sales_line(item_id, 1, "12.50",
                                                                       "12.50")]}


def test_payment_settles_invoice_balance_linked_txn_and_customer_balance(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    total = _d(invoice["TotalAmt"])
    assert _d(invoice["Balance"]) == total
    assert _d(_read(api, "Customer", customer["Id"])["Balance"]) == total
    payment = api.create("Payment", {"CustomerRef": {"value": customer["Id"]},
                                     "TotalAmt": str(total - 10), "TxnDate": "2026-02-03",
                                     "Line": [_pay(invoice["Id"], str(total - 10))]})
    assert _d(payment["UnappliedAmt"]) == 0
    assert payment["DepositToAccountRef"] == {"value": "90", "name": "Undeposited Funds"}
    assert payment["TxnDate"] == "2026-02-03"
    read = _read(api, "Invoice", invoice["Id"])
    assert _d(read["Balance"]) == 10
    assert read["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert read["SyncToken"] == str(int(invoice["SyncToken"]) + 1)
    assert _d(_read(api, "Customer", customer["Id"])["Balance"]) == 10
    found = api.query(f"select * from Payment where Id = '{payment['Id']}'").json()
    assert found["QueryResponse"]["Payment"][0]["Id"] == payment["Id"]


def test_payment_cannot_apply_more_than_the_open_balance(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    total = _d(invoice["TotalAmt"])
    too_much = api.post("payment", {"CustomerRef": {"value": customer["Id"]},
                                    "TotalAmt": str(total + 1),
                                    "Line": [_pay(invoice["Id"], str(total + 1))]})
    fault = fault_of(too_much)
    assert fault["code"] == "6000"
    assert "open balance" in fault["Detail"]
    api.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": "5",
                           "Line": [_pay(invoice["Id"], "5")]})
    again = api.post("payment", {"CustomerRef": {"value": customer["Id"]},
                                 "TotalAmt": str(total), "Line": [_pay(invoice["Id"], str(total))]})
    assert fault_of(again)["code"] == "6000"
    assert _d(_read(api, "Invoice", invoice["Id"])["Balance"]) == total - 5


def test_payment_amounts_must_add_up(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    short = api.post("payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": "1",
                                 "Line": [_pay(invoice["Id"], "5")]})
    assert fault_of(short)["code"] == "6000"
    negative = api.post("payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": "-1"})
    assert fault_of(negative)["code"] == "6000"
    no_total = api.post("payment", {"CustomerRef": {"value": customer["Id"]}})
    assert fault_of(no_total)["code"] == "2020"
    over = api.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": "8",
                                  "Line": [_pay(invoice["Id"], "5")]})
    assert _d(over["UnappliedAmt"]) == 3  # kept as the customer's credit
    owed = _d(invoice["TotalAmt"]) - 5 - 3
    assert _d(_read(api, "Customer", customer["Id"])["Balance"]) == owed


def test_linked_transactions_must_exist_and_be_the_customers(api, customer, mug):
    other = api.create("Customer", {"DisplayName": "Paul Durand (#7)"})
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    missing = api.post("payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": "1",
                                   "Line": [_pay("999999", "1")]})
    assert fault_of(missing)["code"] == "2500"
    foreign = api.post("payment", {"CustomerRef": {"value": other["Id"]}, "TotalAmt": "1",
                                   "Line": [_pay(invoice["Id"], "1")]})
    fault = fault_of(foreign)
    assert fault["code"] == "6000"
    assert "belongs to customer" in fault["Detail"]


def test_deposit_account_must_be_undeposited_funds_or_bank(api, customer, mug):
    income = api.post("payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": "1",
                                  "DepositToAccountRef": {"value": "79"}})
    assert fault_of(income)["code"] == "6000"
    bank = api.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": "1",
                                  "DepositToAccountRef": {"value": "35"}})
    assert bank["DepositToAccountRef"]["name"] == "Checking"


def test_credit_memo_applied_by_a_zero_payment(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    memo = api.create("CreditMemo", _memo(customer["Id"], mug["Id"]))
    credit = _d(memo["TotalAmt"])
    assert _d(memo["RemainingCredit"]) == credit
    total = _d(invoice["TotalAmt"])
    assert _d(_read(api, "Customer", customer["Id"])["Balance"]) == total - credit
    too_much = api.post("payment", {
        "CustomerRef": {"value": customer["Id"]}, "TotalAmt": "0",
        "Line": [_pay(invoice["Id"], str(credit + 1)),
                 {"Amount": str(credit + 1),
                  "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}]})
    assert "remaining credit" in fault_of(too_much)["Detail"]
    payment = api.create("Payment", {
        "CustomerRef": {"value": customer["Id"]}, "TotalAmt": "0",
        "Line": [_pay(invoice["Id"], str(credit)),
                 {"Amount": str(credit),
                  "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}]})
    assert _d(payment["TotalAmt"]) == 0
    assert _d(_read(api, "Invoice", invoice["Id"])["Balance"]) == total - credit
    read_memo = _read(api, "CreditMemo", memo["Id"])
    assert _d(read_memo["Balance"]) == 0
    assert _d(read_memo["RemainingCredit"]) == 0
    assert _d(_read(api, "Customer", customer["Id"])["Balance"]) == total - credit


def test_deleting_a_payment_restores_the_balances(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    total = _d(invoice["TotalAmt"])
    payment = api.create("Payment", {"CustomerRef": {"value": customer["Id"]},
                                     "TotalAmt": str(total),
                                     "Line": [_pay(invoice["Id"], str(total))]})
    assert _d(_read(api, "Invoice", invoice["Id"])["Balance"]) == 0
    response = api.post("payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]},
                        operation="delete")
    assert response.status_code == 200, response.text
    read = _read(api, "Invoice", invoice["Id"])
    assert _d(read["Balance"]) == total
    assert read["LinkedTxn"] == []
    assert _d(_read(api, "Customer", customer["Id"])["Balance"]) == total


def test_sparse_update_of_a_payment_and_of_its_invoice(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    total = _d(invoice["TotalAmt"])
    payment = api.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": "5",
                                     "Line": [_pay(invoice["Id"], "5")]})
    updated = api.post("payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"],
                                   "sparse": True, "TotalAmt": "7",
                                   "Line": [_pay(invoice["Id"], "7")]})
    assert updated.status_code == 200, updated.text
    assert _d(_read(api, "Invoice", invoice["Id"])["Balance"]) == total - 7
    current = _read(api, "Invoice", invoice["Id"])
    edited = api.post("invoice", {"Id": invoice["Id"], "SyncToken": current["SyncToken"],
                                  "sparse": True, "PrivateNote": "edited"})
    assert edited.status_code == 200, edited.text
    assert _d(edited.json()["Invoice"]["Balance"]) == total - 7  # not reset to TotalAmt


def test_payments_in_a_batch_and_payment_methods(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    methods = api.query("select * from PaymentMethod").json()["QueryResponse"]["PaymentMethod"]
    assert {"Cash", "Check", "Credit Card"} <= {method["Name"] for method in methods}
    duplicate = api.post("paymentmethod", {"Name": "cash"})
    assert fault_of(duplicate)["code"] == "6240"
    method = api.create("PaymentMethod", {"Name": "Virement"})
    response = api.post("batch", {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Payment": {
            "CustomerRef": {"value": customer["Id"]}, "TotalAmt": "4",
            "PaymentMethodRef": {"value": method["Id"]}, "Line": [_pay(invoice["Id"], "4")]}},
        {"bId": "2", "operation": "create", "Payment": {
            "CustomerRef": {"value": customer["Id"]}, "TotalAmt": "9999",
            "Line": [_pay(invoice["Id"], "9999")]}},
    ]})
    items = response.json()["BatchItemResponse"]
    assert items[0]["Payment"]["PaymentMethodRef"]["name"] == "Virement"
    assert items[1]["Fault"]["Error"][0]["code"] == "6000"
    payment = items[0]["Payment"]
    deleted = api.post("batch", {"BatchItemRequest": [{"bId": "1", "operation": "delete",
        "Payment": {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}}]})
    assert deleted.json()["BatchItemResponse"][0]["Payment"]["status"] == "Deleted"
    assert _d(_read(api, "Invoice", invoice["Id"])["Balance"]) == _d(invoice["TotalAmt"])
