"""QuickBooksClient.cdc over requests-mock: one metered GET, parsed into changed and deleted."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from target_quickbooks.qbo.cdc import MAX_OBJECTS, parse_cdc
from test_qbo_client import BASE, XML_429, env  # noqa: F401 (fixture)

SINCE = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
ANSWER = {
    "CDCResponse": [{"QueryResponse": [
        {"Invoice": [
            {"Id": "34", "SyncToken": "2", "TotalAmt": 30},
            {"status": "Deleted", "domain": "QBO", "Id": "979",
             "MetaData": {"LastUpdatedTime": "2026-12-01T12:55:50-08:00"}},
        ], "startPosition": 1, "maxResults": 2},
        {},
    ]}],
    "time": "2026-12-01T12:56:06.196-08:00",
}


def test_cdc_is_one_get_with_every_entity_and_an_aware_time(env):  # noqa: F811
    env.m.get(f"{BASE}/cdc", json=ANSWER)
    answer = env.client.cdc(["Invoice", "CreditMemo"], SINCE)
    (request,) = env.api_requests()
    assert request.method == "GET"
    query = parse_qs(urlparse(request.url).query)
    assert query == {"minorversion": ["75"], "entities": ["Invoice,CreditMemo"],
                     "changedSince": ["2026-12-01T09:00:00-08:00"]}
    assert answer.changed == {"Invoice": [{"Id": "34", "SyncToken": "2", "TotalAmt": 30}]}
    assert answer.deleted == {"Invoice": ["979"]}
    assert answer.time == "2026-12-01T12:56:06.196-08:00"
    assert not answer.capped
    assert env.client.stats()["by_kind"] == {"cdc": 1}


def test_cdc_goes_through_the_retry_path(env):  # noqa: F811
    env.m.get(f"{BASE}/cdc", [{"status_code": 429, "text": XML_429},
                              {"json": ANSWER}])
    assert env.client.cdc(["Invoice"], SINCE).deleted == {"Invoice": ["979"]}
    assert env.client.stats()["throttled"] == 1
    assert env.client.stats()["by_kind"] == {"cdc": 2}


def test_cdc_refuses_a_naive_time_and_bad_names(env):  # noqa: F811
    with pytest.raises(ValueError, match="time zone"):
        env.client.cdc(["Invoice"], dt.datetime(2026, 12, 1))
    with pytest.raises(ValueError, match="entity"):
        env.client.cdc(["Invoice&x=1"], SINCE)
    with pytest.raises(ValueError, match="at least one"):
        env.client.cdc([], SINCE)
    assert env.api_requests() == []


def test_an_answer_of_1000_objects_is_capped():
    objects = [{"Id": str(n)} for n in range(MAX_OBJECTS)]
    full = parse_cdc({"CDCResponse": [{"QueryResponse": [{"Invoice": objects}]}]})
    assert full.capped
    short = parse_cdc({"CDCResponse": [{"QueryResponse": [{"Invoice": objects[1:]}]}]})
    assert not short.capped
    assert parse_cdc({"CDCResponse": [{"QueryResponse": [{}]}], "time": "t"}).changed == {}
