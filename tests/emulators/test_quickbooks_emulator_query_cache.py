"""QuickBooks emulator: the pages of one statement share one evaluation until the company changes.

Reading 100,000 documents is 100 pages of the same statement; each page used to
filter the whole entity again (the reconcile benchmark spent most of its time there).
"""

from __future__ import annotations

from typing import Any

import pytest
from quickbooks_emulator import query
from quickbooks_emulator.api import CompanyApi
from quickbooks_emulator.entities import SPECS
from quickbooks_emulator.store import Company, View
from quickbooks_emulator.validation import WriteOptions

ITEMS = 2500
STATEMENT = "SELECT * FROM Item WHERE Type = 'Service' ORDERBY Name DESC"


def service(number: int) -> dict[str, Any]:
    return {"Name": f"S{number:05d}", "Type": "Service", "IncomeAccountRef": {"value": "1"}}


@pytest.fixture
def api() -> CompanyApi:
    api = CompanyApi(Company("1"))
    for number in range(ITEMS):
        api.write(SPECS["Item"], service(number), WriteOptions())
    return api


def page(api: CompanyApi, start: int, view: View | None = None) -> list[str]:
    answer = api.query(f"{STATEMENT} STARTPOSITION {start} MAXRESULTS 1000", view)
    return [row["Name"] for row in answer.get("Item", [])]


def counting_matches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = query.matches

    def counted(record: dict[str, Any], cond: query.Condition) -> bool:
        calls[0] += 1
        return original(record, cond)

    monkeypatch.setattr(query, "matches", counted)
    return calls


def test_paging_a_statement_evaluates_it_once(api: CompanyApi,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_matches(monkeypatch)
    names = [name for start in (1, 1001, 2001) for name in page(api, start)]
    every = ITEMS + 2  # the seeded Shipping and Adjustment are services too
    assert names == sorted(names, reverse=True) and len(names) == every
    assert calls[0] <= every  # one pass over the items, not one per page


def test_a_change_between_pages_is_seen_by_the_next_page(api: CompanyApi) -> None:
    first = page(api, 1)
    api.write(SPECS["Item"], {**service(0), "Name": "Zz new"}, WriteOptions())  # first (DESC)
    assert page(api, 1)[0] == "Zz new"
    assert page(api, 1)[1:] == first[:-1]
    stored = next(r for r in api.company.all("Item") if r["Name"] == "Zz new")
    api.company.delete("Item", stored["Id"])  # (items are not deletable by the API)
    assert page(api, 1) == first


def test_a_batch_view_is_not_served_from_the_cache(api: CompanyApi) -> None:
    page(api, 1)
    newest = max(api.company.all("Item"), key=lambda r: int(r["Id"]))
    hidden = View(api.company, {newest["Id"]})
    assert newest["Name"] not in page(api, 1, hidden) + page(api, 1001, hidden) + page(
        api, 2001, hidden)
    assert newest["Name"] in page(api, 1) + page(api, 1001) + page(api, 2001)
