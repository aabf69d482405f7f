"""QuickBooks emulator: ``POST /invoice?operation=void`` and unknown operations (real sockets)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks_emulator import QuickBooksEmulator
from test_quickbooks_emulator_company import INVENTORY, Api, fault_of, invoice_body


@pytest.fixture
def api():
    with QuickBooksEmulator(per_minute=None, per_second=None, batch_per_minute=None,
                            max_concurrent=None) as emulator:
        yield Api(emulator)


@pytest.fixture
def customer(api):
    return api.create("Customer", {"DisplayName": "Jeanne Martin (#42)"})


@pytest.fixture
def mug(api):
    return api.create("Item", INVENTORY)


def test_void_invoice_zeroes_amounts_notes_voided_and_bumps_synctoken(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"], DocNumber="V-1",
                                                 PrivateNote="order 7"))
    assert Decimal(str(invoice["TotalAmt"])) > 0
    stale = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "9"}, operation="void")
    assert fault_of(stale)["code"] == "5010"
    response = api.post("invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
                        operation="void")
    assert response.status_code == 200, response.text
    voided = response.json()["Invoice"]
    assert voided["SyncToken"] == str(int(invoice["SyncToken"]) + 1)
    assert Decimal(str(voided["TotalAmt"])) == 0
    assert Decimal(str(voided["Balance"])) == 0
    assert all(Decimal(str(line["Amount"])) == 0 for line in voided["Line"])
    assert voided["PrivateNote"] == "Voided - order 7"
    read = api.get(f"invoice/{invoice['Id']}").json()["Invoice"]
    assert read["PrivateNote"].startswith("Voided")
    assert read["DocNumber"] == "V-1"
    assert read["CustomerRef"]["value"] == customer["Id"]


def test_void_is_strict(api, customer, mug):
    invoice = api.create("Invoice", invoice_body(customer["Id"], mug["Id"]))
    unknown = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="cancel")
    assert fault_of(unknown)["code"] == "2010"
    assert api.get(f"invoice/{invoice['Id']}").json()["Invoice"]["SyncToken"] == "0"
    memo = api.post("creditmemo", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
    assert fault_of(memo)["code"] == "500"
    missing = api.post("invoice", {"Id": "999999", "SyncToken": "0"}, operation="void")
    assert fault_of(missing)["code"] == "610"
    no_token = api.post("invoice", {"Id": invoice["Id"]}, operation="void")
    assert fault_of(no_token)["code"] == "2020"
