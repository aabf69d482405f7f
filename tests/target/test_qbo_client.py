"""QuickBooksClient over requests-mock: headers, retries, 401 refresh, faults, queries, batches."""

from __future__ import annotations

import json
import logging
import random
import threading
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from target_quickbooks.qbo import (
    AuthError,
    BatchOperation,
    QuickBooksAuth,
    QuickBooksClient,
    QuickBooksError,
    QuickBooksFault,
    RateLimiter,
    RealmMismatchError,
    ThrottledError,
    TokenStore,
    TransientError,
)

REALM = "9130350000000001"
API = "https://qbo.test/v3"
BASE = f"{API}/company/{REALM}"
DISCOVERY = "https://oauth.test/.well-known/openid_configuration"
TOKEN_URL = "https://oauth.test/oauth2/v1/tokens/bearer"
SECRET = "client-secret-abcdef"

XML_429 = (
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE">'
    '<Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429'
    "</Message></Error></Fault></IntuitResponse>"
)


def fault_body(code: str, message: str, detail: str, fault_type: str = "ValidationFault"):
    return {
        "Fault": {
            "Error": [{"Message": message, "Detail": detail, "code": code}],
            "type": fault_type,
        }
    }


class Env:
    """A client wired to requests-mock, with a fake clock for the limiter and recorded sleeps."""

    def __init__(self, requests_mock, tmp_path, **client_kwargs) -> None:
        self.m = requests_mock
        self.token_calls = 0
        self.sleeps: list[float] = []
        self.now = 0.0
        self.store = TokenStore(tmp_path / "tokens.json")
        requests_mock.get(
            DISCOVERY,
            json={
                "issuer": "https://oauth.test",
                "authorization_endpoint": "https://oauth.test/connect",
                "token_endpoint": TOKEN_URL,
                "revocation_endpoint": "https://oauth.test/revoke",
                "userinfo_endpoint": "https://oauth.test/userinfo",
                "jwks_uri": "https://oauth.test/keys",
            },
        )
        requests_mock.post(TOKEN_URL, json=self._token)
        self.auth = QuickBooksAuth(
            client_id="cid",
            client_secret=SECRET,
            refresh_token="rt-config-token",
            realm_id=REALM,
            discovery_url=DISCOVERY,
            token_store=self.store,
        )
        self.limiter = RateLimiter(
            clock=lambda: self.now, sleep=self._limiter_sleep, default_penalty=60.0
        )
        self.client = QuickBooksClient(
            realm_id=REALM,
            api_url=API,
            auth=self.auth,
            limiter=self.limiter,
            sleep=self.sleeps.append,
            **client_kwargs,
        )

    def _token(self, request, context):
        self.token_calls += 1
        return {
            "access_token": f"at-token-{self.token_calls:04d}",
            "refresh_token": f"rt-rotated-{self.token_calls:04d}",
            "expires_in": 3600,
        }

    def _limiter_sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def api_requests(self):
        return [r for r in self.m.request_history if r.url.startswith(API)]


@pytest.fixture
def env(requests_mock, tmp_path):
    return Env(requests_mock, tmp_path)


ITEM = {"Item": {"Id": "7", "Name": "Mug", "SyncToken": "0"}}


def test_every_request_carries_minorversion_accept_bearer_and_requestid(env):
    seen = {}

    def create(request, context):
        seen["stored_refresh_token"] = env.store.read().refresh_token
        context.headers["intuit_tid"] = "tid-create"
        return ITEM

    env.m.post(f"{BASE}/item", json=create)
    created = env.client.create("Item", {"Name": "Mug"}, request_id="rid-1")
    assert created == ITEM["Item"]
    (request,) = env.api_requests()
    query = parse_qs(urlparse(request.url).query)
    assert query == {"minorversion": ["75"], "requestid": ["rid-1"]}
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == "Bearer at-token-0001"
    assert request.json() == {"Name": "Mug"}
    # The rotated refresh token was on disk before the new access token was used.
    assert seen["stored_refresh_token"] == "rt-rotated-0001"


def test_read_company_info_preferences(env):
    env.m.get(f"{BASE}/item/7", json=ITEM)
    env.m.get(f"{BASE}/companyinfo/{REALM}", json={"CompanyInfo": {"Country": "FR"}})
    env.m.get(f"{BASE}/preferences", json={"Preferences": {"SalesFormsPrefs": {}}})
    assert env.client.read("Item", "7")["Name"] == "Mug"
    assert env.client.company_info() == {"Country": "FR"}
    assert env.client.preferences() == {"SalesFormsPrefs": {}}
    assert all("minorversion=75" in r.url for r in env.api_requests())
    assert env.client.stats()["by_kind"] == {"read": 3}


@pytest.mark.parametrize(
    ("failure", "throttled"),
    [
        ({"status_code": 429, "text": XML_429}, True),
        (
            {
                "status_code": 429,
                "json": fault_body("3001", "ThrottleExceeded", "", "SERVICE"),
                "headers": {"Retry-After": "7"},
            },
            True,
        ),
        (
            {"status_code": 500, "json": fault_body("10000", "System failure", "", "SystemFault")},
            False,
        ),
        ({"status_code": 502, "text": "<html>Bad Gateway</html>"}, False),
        ({"status_code": 503, "text": ""}, False),
        ({"status_code": 504, "text": "Gateway Timeout"}, False),
        ({"exc": requests.ConnectionError}, False),
        ({"exc": requests.Timeout}, False),
        ({"exc": requests.exceptions.ChunkedEncodingError}, False),
        ({"status_code": 200, "text": '{"Item": {"Id": '}, False),
    ],
)
def test_retry_matrix_then_success_with_same_requestid(env, failure, throttled):
    env.m.post(f"{BASE}/item", [failure, {"json": ITEM}])
    assert env.client.create("Item", {"Name": "Mug"}, request_id="rid-retry")["Id"] == "7"
    requests_sent = env.api_requests()
    assert len(requests_sent) == 2
    assert {parse_qs(urlparse(r.url).query)["requestid"][0] for r in requests_sent} == {"rid-retry"}
    stats = env.client.stats()
    assert stats["retries"] == 1
    assert stats["throttled"] == (1 if throttled else 0)
    if throttled:
        expected = 7.0 if "headers" in failure else 60.0
        assert env.sleeps == [pytest.approx(expected)]  # the limiter paused, no extra backoff
    else:
        assert len(env.sleeps) == 1
        assert 0 <= env.sleeps[0] <= 1.0  # full jitter under backoff_base * 2**0


def test_backoff_grows_exponentially_and_is_capped(requests_mock, tmp_path):
    env = Env(requests_mock, tmp_path, max_retries=6, backoff_base=1.0, backoff_max=5.0)
    env.client._random = random.Random(1)
    env.m.get(f"{BASE}/item/1", status_code=503)
    with pytest.raises(TransientError) as info:
        env.client.read("Item", "1")
    assert len(env.sleeps) == 6
    ceilings = [1, 2, 4, 5, 5, 5]
    assert all(0 <= s <= c for s, c in zip(env.sleeps, ceilings, strict=True))
    assert info.value.attempts == 7
    assert info.value.history == ["HTTP 503"] * 7
    assert "GET /item/1 failed after 7 attempts (HTTP 503, HTTP 503" in str(info.value)


def test_exhausted_throttling_raises_throttled_error(requests_mock, tmp_path):
    env = Env(requests_mock, tmp_path, max_retries=2)
    env.m.post(f"{BASE}/batch", status_code=429, text=XML_429, headers={"intuit_tid": "tid-429"})
    with pytest.raises(ThrottledError) as info:
        env.client.batch([BatchOperation("Item", "create", payload={"Name": "a"}, request_key="a")])
    assert "throttled (429) after 3 attempts" in str(info.value)
    assert "tid-429" in str(info.value)
    assert info.value.last_fault.code == "3001"
    assert env.client.stats()["throttled"] == 3


def test_401_refreshes_once_and_retries(env):
    env.m.get(
        f"{BASE}/item/7",
        [
            {
                "status_code": 401,
                "json": {
                    "fault": {
                        "error": [{"message": "AuthenticationFailed", "code": "3200"}],
                        "type": "AUTHENTICATION",
                    }
                },
            },
            {"json": ITEM},
        ],
    )
    assert env.client.read("Item", "7")["Id"] == "7"
    first, second = env.api_requests()
    assert first.headers["Authorization"] == "Bearer at-token-0001"
    assert second.headers["Authorization"] == "Bearer at-token-0002"
    assert env.token_calls == 2
    assert env.store.read().refresh_token == "rt-rotated-0002"
    assert env.sleeps == []


def test_second_401_is_an_auth_error(env):
    env.m.get(
        f"{BASE}/item/7",
        status_code=401,
        json={
            "fault": {
                "error": [{"message": "AuthenticationFailed", "code": "3200"}],
                "type": "AUTHENTICATION",
            }
        },
    )
    with pytest.raises(AuthError, match=r"freshly refreshed.*authorize"):
        env.client.read("Item", "7")
    assert len(env.api_requests()) == 2
    assert env.token_calls == 2


def test_realm_environment_mismatch(env):
    env.m.get(
        f"{BASE}/companyinfo/{REALM}",
        status_code=403,
        json=fault_body(
            "3100", "ApplicationAuthorizationFailed", "realm mismatch", "AuthorizationFault"
        ),
    )
    with pytest.raises(RealmMismatchError, match="environment") as info:
        env.client.company_info()
    assert info.value.fault.code == "3100"
    assert len(env.api_requests()) == 1


def test_validation_fault_is_not_retried_and_is_logged(env, caplog):
    env.m.post(
        f"{BASE}/customer",
        status_code=400,
        json=fault_body(
            "6240", "Duplicate Name Exists Error", "The name supplied already exists. : Id=58"
        ),
        headers={"intuit_tid": "tid-dup"},
    )
    with caplog.at_level(logging.WARNING), pytest.raises(QuickBooksFault) as info:
        env.client.create("Customer", {"DisplayName": "Jo"}, request_id="rid-c")
    assert info.value.code == "6240"
    assert info.value.status == 400
    assert len(env.api_requests()) == 1
    assert env.sleeps == []
    assert "code 6240" in caplog.text
    assert "Id=58" in caplog.text
    assert "tid-dup" in caplog.text


def test_fault_inside_http_200_is_raised(env):
    env.m.get(f"{BASE}/item/9", json=fault_body("610", "Object Not Found", "Item 9"))
    with pytest.raises(QuickBooksFault, match="code 610"):
        env.client.read("Item", "9")


def test_update_requires_id_and_synctoken_and_requestid_length(env):
    with pytest.raises(ValueError, match="Id and SyncToken"):
        env.client.update("Item", {"Name": "x"}, request_id="r")
    with pytest.raises(ValueError, match="requestid"):
        env.client.create("Item", {"Name": "x"}, request_id="r" * 51)
    env.m.post(f"{BASE}/item", json=ITEM)
    env.client.update("Item", {"Id": "7", "SyncToken": "0", "sparse": True}, request_id="r")
    assert env.api_requests()[0].json()["sparse"] is True


def query_pages(total: int):
    rows = [{"Id": str(n)} for n in range(1, total + 1)]

    def respond(request, context):
        statement = parse_qs(urlparse(request.url).query)["query"][0]
        start = int(statement.split("STARTPOSITION ")[1].split()[0])
        size = int(statement.split("MAXRESULTS ")[1].split()[0])
        page = rows[start - 1 : start - 1 + size]
        body = {"startPosition": start, "maxResults": len(page)}
        if page:
            body["Item"] = page
        return {"QueryResponse": body}

    return respond


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (999, 1), (1000, 2), (2500, 3)])
def test_query_pages_until_short_page(env, total, pages):
    env.m.get(f"{BASE}/query", json=query_pages(total))
    rows = env.client.query("SELECT * FROM Item WHERE Active = true")
    assert [r["Id"] for r in rows] == [str(n) for n in range(1, total + 1)]
    statements = [parse_qs(urlparse(r.url).query)["query"][0] for r in env.api_requests()]
    assert len(statements) == pages
    assert statements[0] == "SELECT * FROM Item WHERE Active = true STARTPOSITION 1 MAXRESULTS 1000"
    if pages > 1:
        assert statements[1].endswith("STARTPOSITION 1001 MAXRESULTS 1000")


def test_query_pages_yields_each_page_as_it_arrives(env):
    env.m.get(f"{BASE}/query", json=query_pages(2500))
    pages = env.client.query_pages("SELECT * FROM Item")
    first = next(pages)
    assert [r["Id"] for r in first] == [str(n) for n in range(1, 1001)]
    assert len(env.api_requests()) == 1  # the next page is asked for only when needed
    assert [len(page) for page in pages] == [1000, 500]
    assert len(env.api_requests()) == 3
    with pytest.raises(ValueError, match="STARTPOSITION"):
        next(env.client.query_pages("SELECT * FROM Item STARTPOSITION 5"))


def test_query_refuses_its_own_paging_clauses(env):
    with pytest.raises(ValueError, match="STARTPOSITION"):
        env.client.query("SELECT * FROM Item MAXRESULTS 10")
    env.m.get(f"{BASE}/query", json={"QueryResponse": {}})
    env.client.query("SELECT * FROM Item WHERE Name = 'MAXRESULTS 5'")


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("O'Brien", "O\\'Brien"),
        ("back\\slash", "back\\\\slash"),
        ("end\\", "end\\\\"),
        ("\\'", "\\\\\\'"),
        ("plain", "plain"),
    ],
)
def test_escape(raw, escaped):
    assert QuickBooksClient.escape(raw) == escaped


def test_query_in_escapes_values_and_refuses_bad_names(env):
    env.m.get(f"{BASE}/query", json={"QueryResponse": {"Customer": [{"Id": "1"}]}})
    rows = env.client.query_in(
        "Customer",
        "DisplayName",
        ["O'Brien", "a\\' OR 1=1 --", "O'Brien"],
        extra_where="Active IN (true, false)",
    )
    assert rows == [{"Id": "1"}]
    statement = parse_qs(urlparse(env.api_requests()[0].url).query)["query"][0]
    assert statement == (
        "SELECT * FROM Customer WHERE DisplayName IN ('O\\'Brien', 'a\\\\\\' OR 1=1 --') "
        "AND Active IN (true, false) STARTPOSITION 1 MAXRESULTS 1000"
    )
    with pytest.raises(ValueError, match="field"):
        env.client.query_in("Customer", "Name) OR (1", ["x"])
    assert env.client.query_in("Item", "Sku", []) == []


def test_long_query_is_posted_as_application_text(env):
    env.m.post(f"{BASE}/query", json={"QueryResponse": {"Item": [{"Id": "1"}]}})
    skus = [f"SKU-{n:05d}-{'x' * 20}" for n in range(150)]
    assert env.client.query_in("Item", "Sku", skus) == [{"Id": "1"}]
    (request,) = env.api_requests()
    assert request.headers["Content-Type"] == "application/text"
    assert request.text.startswith("SELECT * FROM Item WHERE Sku IN ('SKU-00000-")
    assert "minorversion=75" in request.url


def batch_server(fault_names=(), shuffle=True):
    """A /batch handler: creates entities, queries echo, faults for chosen names."""
    lock = threading.Lock()
    state = {"next_id": 100, "requests": []}

    def respond(request, context):
        body = request.json()
        rid = parse_qs(urlparse(request.url).query).get("requestid", [None])[0]
        with lock:
            state["requests"].append((rid, body))
        out = []
        for item in body["BatchItemRequest"]:
            if "Query" in item:
                out.append(
                    {
                        "bId": item["bId"],
                        "QueryResponse": {"Item": [{"Id": "q", "q": item["Query"]}]},
                    }
                )
                continue
            entity = next(k for k in item if k not in ("bId", "operation"))
            payload = item[entity]
            if payload.get("Name") in fault_names:
                out.append(
                    {
                        "bId": item["bId"],
                        "Fault": fault_body(
                            "6240",
                            "Duplicate Name Exists Error",
                            f"{payload['Name']} exists : Id=5",
                        )["Fault"],
                    }
                )
                continue
            with lock:
                state["next_id"] += 1
                new_id = str(state["next_id"])
            out.append({"bId": item["bId"], entity: {**payload, "Id": new_id, "SyncToken": "0"}})
        if shuffle:
            random.Random(len(out)).shuffle(out)
        context.headers["intuit_tid"] = "tid-batch"
        return {"BatchItemResponse": out, "time": "now"}

    return respond, state


def item_ops(n: int) -> list[BatchOperation]:
    return [
        BatchOperation("Item", "create", payload={"Name": f"item-{i}"}, request_key=f"SKU-{i}")
        for i in range(n)
    ]


def test_batch_chunks_by_30_keeps_order_and_returns_item_faults(env, caplog):
    respond, state = batch_server(fault_names={"item-40"})
    env.m.post(f"{BASE}/batch", json=respond)
    ops = item_ops(75)
    with caplog.at_level(logging.WARNING):
        results = env.client.batch(ops)
    assert sorted(len(body["BatchItemRequest"]) for _, body in state["requests"]) == [15, 30, 30]
    assert [r.operation for r in results] == ops
    assert [r.entity["Name"] for r in results if r.ok] == [
        f"item-{i}" for i in range(75) if i != 40
    ]
    bad = results[40]
    assert not bad.ok
    assert bad.fault.code == "6240"
    assert bad.fault.intuit_tid == "tid-batch"
    assert "SKU-40" in caplog.text
    assert "code 6240" in caplog.text
    rids = [rid for rid, _ in state["requests"]]
    assert len(set(rids)) == 3
    assert all(len(rid) <= 36 for rid in rids)
    # Same operations, same chunks → same requestids (a re-run replays).
    env.client.batch(ops)
    assert sorted(rid for rid, _ in state["requests"][3:]) == sorted(rids)
    stats = env.client.stats()
    assert stats["by_kind"]["batch"] == 6
    assert stats["batch_items"] == 150
    assert stats["item_faults"] == 2


def test_batch_lost_response_is_retried_with_same_requestid(env):
    respond, _ = batch_server()
    env.m.post(f"{BASE}/batch", [{"exc": requests.ConnectionError}, {"json": respond}])
    results = env.client.batch(item_ops(3))
    assert all(r.ok for r in results)
    sent = [r for r in env.api_requests() if r.path.endswith("/batch")]
    assert len(sent) == 2
    assert len({parse_qs(urlparse(r.url).query)["requestid"][0] for r in sent}) == 1


def test_batch_missing_item_answer_is_a_fault(env):
    env.m.post(f"{BASE}/batch", json={"BatchItemResponse": [{"bId": "1", "Item": {"Id": "1"}}]})
    results = env.client.batch(item_ops(2))
    assert results[0].ok
    assert results[1].fault.fault_type == "MissingBatchItem"


def test_failed_chunk_raises_with_partial_results(requests_mock, tmp_path):
    env = Env(requests_mock, tmp_path, max_retries=0)
    respond, _ = batch_server(shuffle=False)

    def flaky(request, context):
        if request.json()["BatchItemRequest"][0]["Item"]["Name"] == "item-30":
            context.status_code = 503
            return {}
        return respond(request, context)

    env.m.post(f"{BASE}/batch", json=flaky)
    with pytest.raises(TransientError) as info:
        env.client.batch(item_ops(75))
    partial = info.value.partial_results
    assert [r is not None for r in partial] == [True] * 30 + [False] * 30 + [True] * 15


def in_query_server(full_page_value: str = ""):
    """Answers ``Sku IN (...)`` queries with one row per value (1001 for ``full_page_value``)."""
    seen: list[str] = []

    def respond(request, context):
        statement = parse_qs(urlparse(request.url).query)["query"][0]
        seen.append(statement)
        listed = statement.split("IN (")[1].split(")")[0]
        values = listed.replace("\\'", "\0").replace("'", "").replace("\0", "'").split(", ")
        start = int(statement.split("STARTPOSITION ")[1].split()[0])
        rows = [{"Sku": value} for value in values if value != "missing"]
        if full_page_value in values:  # a full first page, then one more row
            rows = ([*rows, *({"Sku": full_page_value, "extra": n} for n in range(len(rows), 1000))]
                    if start == 1 else [{"Sku": full_page_value, "extra": 1000}])
        return {"QueryResponse": {"Item": rows, "startPosition": start}}

    return respond, seen


def test_query_in_runs_each_statement_as_a_plain_query_concurrently_in_order(env, monkeypatch):
    respond, seen = in_query_server(full_page_value="v13")
    env.m.get(f"{BASE}/query", json=respond)
    # requests-mock serialises sends, so concurrency is proven one level up: the first
    # two statements must be running at the same time to pass the barrier.
    barrier = threading.Barrier(2, timeout=10)
    started: list[str] = []
    run_statement = env.client._query_from

    def gated(statement, start):
        started.append(statement)
        if len(started) <= 2:
            barrier.wait()
        return run_statement(statement, start)

    monkeypatch.setattr(env.client, "_query_from", gated)
    values = [f"v{n}" for n in range(35)] + ["missing", "O'Brien"]
    rows = env.client.query_in("Item", "Sku", values, chunk=10)
    skus = [row["Sku"] for row in rows]
    assert list(dict.fromkeys(skus)) == [f"v{n}" for n in range(35)] + ["O'Brien"]
    assert [row.get("extra") for row in rows if row["Sku"] == "v13"] == [None, *range(10, 1001)]
    assert len(seen) == 5  # 4 statements + the second page of the full one
    assert not any("/batch" in r.url for r in env.api_requests())
    assert env.client.stats()["by_kind"] == {"query": 5}
    assert any(r"'O\'Brien'" in statement for statement in seen)
    assert any(statement.startswith("SELECT * FROM Item WHERE Sku IN ('v10', 'v11'")
               and statement.endswith("STARTPOSITION 1001 MAXRESULTS 1000")
               for statement in seen)


def test_query_in_fault_of_one_statement_is_raised(env):
    def respond(request, context):
        statement = parse_qs(urlparse(request.url).query)["query"][0]
        if "'b'" in statement:
            context.status_code = 400
            return fault_body("4000", "Error parsing query", "bad")
        return {"QueryResponse": {}}

    env.m.get(f"{BASE}/query", json=respond)
    with pytest.raises(QuickBooksFault, match="code 4000"):
        env.client.query_in("Item", "Sku", ["a", "b", "c"], chunk=1)


def test_tokens_and_authorization_header_never_logged(env, caplog):
    env.m.get(
        f"{BASE}/item/7",
        [
            {"status_code": 401, "json": {"fault": {"error": [{"code": "3200", "message": "x"}]}}},
            {"status_code": 502, "text": "oops"},
            {"json": ITEM},
        ],
    )
    with caplog.at_level(logging.DEBUG):
        env.client.read("Item", "7")
    text = caplog.text
    for secret in ("at-token-0001", "at-token-0002", "rt-rotated-0001", "rt-config-token", SECRET):
        assert secret not in text
    assert "Bearer" not in text
    assert "Authorization" not in text


def test_base_url_for_environments():
    assert (
        QuickBooksClient.base_url_for("sandbox") == "https://sandbox-quickbooks.api.intuit.com/v3"
    )
    assert QuickBooksClient.base_url_for("production") == "https://quickbooks.api.intuit.com/v3"
    with pytest.raises(ValueError, match="sandbox"):
        QuickBooksClient.base_url_for("staging")


def test_unexpected_json_shape(env):
    env.m.post(f"{BASE}/item", json={"Customer": {}})
    with pytest.raises(QuickBooksError, match="without an Item"):
        env.client.create("Item", {}, request_id="r")
    env.m.get(f"{BASE}/item/1", text=json.dumps([1, 2]))
    with pytest.raises(QuickBooksError, match="unexpected response"):
        env.client.read("Item", "1")
