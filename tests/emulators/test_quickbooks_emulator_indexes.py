"""QuickBooks emulator lookup indexes: same answers as a full scan, and they scale.

The company keeps name / DocNumber / query-field indexes; these tests prove lookups,
uniqueness faults and batch snapshots stay exactly as strict after creates, renames,
deactivations and deletes, comparing every query with the original full-scan evaluation.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from quickbooks_emulator import QboFault, query
from quickbooks_emulator.api import CompanyApi
from quickbooks_emulator.entities import SPECS
from quickbooks_emulator.store import Company, View
from quickbooks_emulator.validation import WriteOptions

OPTIONS = WriteOptions()


def service(name: str, sku: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": name, "Type": "Service",
                            "IncomeAccountRef": {"value": "1"}, **extra}
    if sku is not None:
        body["Sku"] = sku
    return body


def create(api: CompanyApi, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    record, created = api.write(SPECS[entity], body, OPTIONS)
    assert created
    return record


def update(api: CompanyApi, entity: str, record: dict[str, Any], **changes: Any
           ) -> dict[str, Any]:
    body = {"Id": record["Id"], "SyncToken": record["SyncToken"], "sparse": True, **changes}
    updated, created = api.write(SPECS[entity], body, OPTIONS)
    assert not created
    return updated


def ids(api: CompanyApi, text: str) -> list[str]:
    return [r["Id"] for r in api.query(text).get(query.parse(text).entity.name, [])]


def scan(api: CompanyApi, text: str, view: View | None = None) -> dict[str, Any]:
    """The query answered the original way: full scan, generic comparison only."""
    parsed = query.parse(text)
    for cond in parsed.conditions:
        cond.__dict__["_string_keys"] = None  # disables the set fast path
    view = view or View(api.company)
    records = view.all(parsed.entity.name)
    original = query._candidates
    query._candidates = lambda _q, _v: records  # type: ignore[assignment]
    try:
        return query.execute(parsed, view)
    finally:
        query._candidates = original  # type: ignore[assignment]


def fault_code(call: Any) -> tuple[str, str]:
    with pytest.raises(QboFault) as caught:
        call()
    return caught.value.code, caught.value.detail


@pytest.fixture
def api() -> CompanyApi:
    return CompanyApi(Company("9130000000000001"))


def test_item_lookups_follow_renames_and_inactive_items(api):
    mug = create(api, "Item", service("Blue mug", "MUG-1"))
    cup = create(api, "Item", service("Cup", "007"))
    assert ids(api, "select * from Item where Name = 'blue MUG'") == [mug["Id"]]
    assert ids(api, "select * from Item where Sku IN ('mug-1', 'nope', '7')") == [
        mug["Id"], cup["Id"]]  # case-insensitive, and all-digit values compare as numbers

    renamed = update(api, "Item", mug, Name="Red mug", Sku="MUG-2")
    assert ids(api, "select * from Item where Name = 'Blue mug'") == []
    assert ids(api, "select * from Item where Sku = 'MUG-1'") == []
    assert ids(api, "select * from Item where Name = 'red mug' and Sku = 'MUG-2'") == [
        mug["Id"]]
    # The old name is free again; the new one is taken (whitespace and case ignored).
    blue = create(api, "Item", service("Blue mug"))
    code, detail = fault_code(lambda: create(api, "Item", service("  RED MUG ")))
    assert code == "6240" and detail.endswith(f"Id={mug['Id']}")

    update(api, "Item", renamed, Active=False)
    assert ids(api, "select * from Item where Name = 'Red mug'") == []
    assert ids(api, "select * from Item where Name = 'Red mug' and Active = false") == [
        mug["Id"]]
    both = f"select * from Item where Id IN ('{mug['Id']}', '{blue['Id']}')"
    assert ids(api, both) == [blue["Id"]]
    code, detail = fault_code(lambda: create(api, "Item", service("red mug")))
    assert code == "6240" and detail.endswith(f"Id={mug['Id']}")  # inactive still counts
    # Renaming onto a taken name is refused; renaming to itself is not a duplicate.
    assert fault_code(lambda: update(api, "Item", blue, Name="Cup"))[0] == "6240"
    assert update(api, "Item", blue, Name="BLUE MUG")["Name"] == "BLUE MUG"


def test_display_names_unique_across_name_lists_through_renames(api):
    jeanne = create(api, "Customer", {"DisplayName": "Jeanne Martin"})
    # Seeded Vendor "Transports Dupont" (56) and Employee "Camille Martin" (55).
    code, detail = fault_code(lambda: create(api, "Customer",
                                             {"DisplayName": "transports dupont"}))
    assert code == "6240" and detail.endswith("Id=56")
    full = {**{k: v for k, v in jeanne.items() if k != "sparse"},
            "DisplayName": "Jeanne Dupont"}
    renamed, _ = api.write(SPECS["Customer"], full, OPTIONS)  # full update
    assert ids(api, "select * from Customer where DisplayName = 'Jeanne Martin'") == []
    assert ids(api, "select * from Customer where DisplayName IN ('jeanne dupont')") == [
        jeanne["Id"]]
    again = create(api, "Customer", {"DisplayName": "Jeanne Martin"})
    update(api, "Customer", renamed, Active=False)
    code, detail = fault_code(lambda: update(api, "Customer", again,
                                             DisplayName="JEANNE DUPONT"))
    assert code == "6240" and detail.endswith(f"Id={jeanne['Id']}")
    assert ids(api, "select * from Customer where DisplayName = 'Jeanne Dupont'") == []
    assert ids(api, "select count(*) from Customer") == []
    assert api.query("select count(*) from Customer where Active IN (true, false)") == {
        "totalCount": 2}


def test_doc_numbers_follow_updates_and_deletes(api):
    customer = create(api, "Customer", {"DisplayName": "Joe"})

    def invoice(doc: str) -> dict[str, Any]:
        return {"CustomerRef": {"value": customer["Id"]}, "DocNumber": doc,
                "Line": [{"Amount": 5, "DetailType": "SalesItemLineDetail",
                          "SalesItemLineDetail": {"ItemRef": {"value": "20"},
                                                  "TaxCodeRef": {"value": "3"}}}]}

    first = create(api, "Invoice", invoice("1001"))
    code, detail = fault_code(lambda: create(api, "Invoice", invoice("1001")))
    assert code == "6140" and detail.endswith(f"TxnId={first['Id']}")
    create(api, "Invoice", invoice("A-1"))
    create(api, "Invoice", invoice("a-1"))  # DocNumber uniqueness is exact
    create(api, "CreditMemo", invoice("1001"))  # per entity type
    moved = update(api, "Invoice", first, DocNumber="1002")
    second = create(api, "Invoice", invoice("1001"))
    assert ids(api, "select * from Invoice where DocNumber = '1001'") == [second["Id"]]
    assert ids(api, "select * from Invoice where DocNumber IN ('01002')") == [first["Id"]]
    api.delete(SPECS["Invoice"], {"Id": moved["Id"], "SyncToken": moved["SyncToken"]})
    assert ids(api, "select * from Invoice where DocNumber = '1002'") == []
    create(api, "Invoice", invoice("1002"))


def test_batch_queries_do_not_see_earlier_creates_but_uniqueness_does(api):
    create(api, "Item", service("Old", "OLD-1"))
    body, _ = api.batch({"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Item": service("New", "NEW-1")},
        {"bId": "2", "Query": "select * from Item where Sku IN ('NEW-1', 'OLD-1')"},
        {"bId": "3", "Query": "select * from Item where Name = 'new'"},
        {"bId": "4", "operation": "create", "Item": service("NEW")},
    ]}, OPTIONS)
    answers = body["BatchItemResponse"]
    assert [i["Sku"] for i in answers[1]["QueryResponse"]["Item"]] == ["OLD-1"]
    assert answers[2]["QueryResponse"] == {}
    assert answers[3]["Fault"]["Error"][0]["code"] == "6240"
    assert ids(api, "select * from Item where Name = 'new'") == [answers[0]["Item"]["Id"]]


def test_indexed_queries_answer_like_a_full_scan(api):
    names = ["Alpha", "alpha two", "Beta", "Café", "Ünïcode", "O'Brien", "2024-01-01",
             "007", "7", "٣", "Gamma"]
    for n, name in enumerate(names):
        item = create(api, "Item", service(name, sku=f"S-{n % 4}" if n % 3 else str(n)))
        if n % 5 == 0:
            update(api, "Item", item, Active=False)
    hidden = create(api, "Item", service("Hidden", "S-1"))
    texts = [
        "select * from Item where Name = 'alpha'",
        "select * from Item where Name IN ('BETA', 'café', 'ünïcode', 'O\\'Brien')",
        "select * from Item where Name IN ('7', '3') orderby Name desc",
        "select * from Item where Name = '2024-01-01T00:00:00-08:00'",
        "select * from Item where Sku IN ('s-1', 's-2') startposition 2 maxresults 2",
        "select * from Item where Sku = 's-1' and Name like '%a%'",
        "select * from Item where Sku IN ('s-1') and Active = false",
        "select * from Item where Sku IN ('0', '3', '6') and Name IN ('alpha', '007')",
        "select * from Item where Id IN ('101', '0102', '20', 'x')",
        "select * from Item where Id = 101",
        "select count(*) from Item where Sku IN ('S-1', 'S-3')",
        "select Name, Sku from Item where name = 'Beta' and Active IN (true, false)",
        "select * from Customer where DisplayName IN ('nobody')",
        "select * from Account where Name IN ('checking', 'Services') orderby Id desc",
    ]
    for view in (View(api.company), View(api.company, {hidden["Id"]})):
        for text in texts:
            got = query.execute(query.parse(text), view)
            assert got == scan(api, text, view), text
    assert ids(api, "select * from Item where Name = '٣'") == ids(
        api, "select * from Item where Name = '3'") != []


def test_exported_state_is_reindexed_on_import(api):
    item = create(api, "Item", service("Kept", "KEEP"))
    other = CompanyApi(Company("9130000000000002"))
    assert ids(other, "select * from Item where Sku = 'KEEP'") == []  # builds the index
    other.company.import_records(api.company.export_records())
    assert ids(other, "select * from Item where Sku = 'KEEP'") == [item["Id"]]
    assert fault_code(lambda: create(other, "Item", service("kept")))[0] == "6240"


def test_twenty_thousand_items_create_and_sku_lookup(api):
    count = 20_000
    started = time.perf_counter()
    for n in range(count):
        create(api, "Item", service(f"Item {n}", f"SKU-{n:05d}"))
    created = time.perf_counter()
    found = 0
    for start in range(0, count, 1000):
        skus = ", ".join(f"'sku-{n:05d}'" for n in range(start, start + 1000))
        page = api.query(f"select * from Item where Sku IN ({skus}) maxresults 1000")
        found += len(page["Item"])
    looked_up = time.perf_counter()
    assert found == count
    code, _ = fault_code(lambda: create(api, "Item", service(f"item {count - 1}")))
    assert code == "6240"
    print(f"\n{count} items: create {created - started:.2f}s,"
          f" Sku IN lookups (20 x 1000) {looked_up - created:.2f}s")
