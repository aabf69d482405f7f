"""QuickBooks emulator: ``GET /cdc`` (change data capture) over real sockets.

Shape (``CDCResponse[].QueryResponse[]`` per entity), deleted objects as
``status: "Deleted"`` after the active ones, the 30-day look-back and the
1,000-object cap.
"""

from __future__ import annotations

import datetime as dt
import time

from test_quickbooks_emulator_company import INVENTORY, Api, fault_of, invoice_body


def since(delta: dt.timedelta = dt.timedelta(minutes=5)) -> str:
    return (dt.datetime.now(dt.timezone.utc) - delta).isoformat(timespec="seconds")


def cdc(api: Api, entities: str, changed_since: str):
    return api.get("cdc", entities=entities, changedSince=changed_since)


def answers(response) -> list[dict]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"CDCResponse", "time"}
    return body["CDCResponse"][0]["QueryResponse"]


def test_cdc_lists_changed_and_deleted_objects_per_entity(api, qbo):
    customer = api.create("Customer", {"DisplayName": "Jeanne Martin (#42)"})
    mug = api.create("Item", INVENTORY)
    kept = api.create("Invoice", invoice_body(customer["Id"], mug["Id"], DocNumber="C-1"))
    gone = api.create("Invoice", invoice_body(customer["Id"], mug["Id"], DocNumber="C-2"))
    deleted = api.post("invoice", {"Id": gone["Id"], "SyncToken": gone["SyncToken"]},
                       operation="delete")
    assert deleted.status_code == 200, deleted.text
    edited = api.post("invoice", {"Id": kept["Id"], "SyncToken": kept["SyncToken"],
                                  "sparse": True, "PrivateNote": "edited by a person"})
    assert edited.status_code == 200, edited.text

    invoices, memos = answers(cdc(api, "Invoice,CreditMemo", since()))
    assert memos == {}
    assert invoices["startPosition"] == 1
    assert invoices["maxResults"] == 2
    active, tomb = invoices["Invoice"]
    assert active["Id"] == kept["Id"]
    assert active["SyncToken"] == "1"
    assert active["PrivateNote"] == "edited by a person"
    assert active["Line"]  # the full payload
    assert tomb["Id"] == gone["Id"]
    assert tomb["status"] == "Deleted"
    assert set(tomb) == {"Id", "status", "domain", "MetaData"}
    assert set(tomb["MetaData"]) == {"LastUpdatedTime"}
    assert qbo.stats()["by_kind"]["cdc"] == 1


def test_cdc_answers_only_changes_after_changed_since(api):
    api.create("Customer", {"DisplayName": "Before"})
    time.sleep(1.1)  # LastUpdatedTime has one-second precision
    later = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    after = api.create("Customer", {"DisplayName": "After"})
    (customers,) = answers(cdc(api, "Customer", later))
    assert [c["Id"] for c in customers["Customer"]] == [after["Id"]]
    (nothing,) = answers(cdc(api, "Customer", since(dt.timedelta(seconds=-60))))
    assert nothing == {}


def test_cdc_refuses_a_changed_since_older_than_30_days(api):
    error = fault_of(cdc(api, "Invoice", since(dt.timedelta(days=31))))
    assert error["code"] == "6000"
    assert "older than fixed days is not supported" in error["Detail"]
    assert answers(cdc(api, "Invoice", since(dt.timedelta(days=29))))


def test_cdc_parameters_are_checked(api):
    assert fault_of(api.get("cdc", entities="Invoice"))["code"] == "2020"
    assert fault_of(api.get("cdc", changedSince=since()))["code"] == "2020"
    assert fault_of(cdc(api, "TaxCode", since()))["code"] == "4001"
    assert fault_of(cdc(api, "Nonsense", since()))["code"] == "4001"
    assert fault_of(cdc(api, "Invoice", "last tuesday"))["code"] == "2010"
    day = dt.date.today().isoformat()  # a plain date is accepted
    assert answers(cdc(api, "Invoice", day))


def test_cdc_stops_at_1000_objects(api, qbo):
    for number in range(1001):
        qbo.add_entity("Customer", {"DisplayName": f"Customer {number}"})
    (customers, invoices) = answers(cdc(api, "Customer,Invoice", since()))
    assert len(customers["Customer"]) == 1000
    assert customers["maxResults"] == 1000
    assert invoices == {}
