"""QuickBooks emulator: OAuth with intuit-oauth, auth faults, throttling, requestid,
injected faults, admin endpoints, CLI and state file (real sockets)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks_emulator import QuickBooksEmulator

REDIRECT = "http://localhost:9999/callback"
NO_LIMITS = {"per_minute": None, "per_second": None, "batch_per_minute": None,
             "max_concurrent": None}
SERVICE = {"Name": "Gift wrap", "Type": "Service", "IncomeAccountRef": {"value": "1"}}
THROTTLE_XML = ('<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="')
THROTTLE_FAULT = ('<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded;'
                  " errorCode=003001; statusCode=429</Message><Detail>The request limit was"
                  " reached.  Try again later</Detail></Error></Fault>")
EXPIRED = "Token expired"


def lower_401(detail: str) -> dict[str, object]:
    """The ``fault`` member of a real 401 body (lower-case keys, with its detail)."""
    return {"error": [{
        "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        "detail": detail, "code": "3200", "element": None}], "type": "AUTHENTICATION"}


def auth_client(qbo: QuickBooksEmulator, secret: str = "demo-client-secret") -> AuthClient:
    return AuthClient("demo-client-id", secret, REDIRECT, qbo.discovery_url)


def access_token(qbo: QuickBooksEmulator) -> str:
    client = auth_client(qbo)
    client.refresh(refresh_token=qbo.current_refresh_token())
    return client.access_token


def api_call(qbo: QuickBooksEmulator, token: str, method: str, path: str,
             body: Any = None, realm: str | None = None, **params: str) -> requests.Response:
    url = f"{qbo.api_url}/company/{realm or qbo.realm_id}/{path}"
    return requests.request(method, url, json=body, params={"minorversion": "75", **params},
                            headers={"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"}, timeout=10)


@pytest.fixture
def qbo():
    with QuickBooksEmulator(**NO_LIMITS) as emulator:
        yield emulator


# -- OAuth ---------------------------------------------------------------------------------
def test_discovery_authorize_and_code_exchange_with_intuit_oauth(qbo):
    client = auth_client(qbo)
    assert client.token_endpoint == qbo.url + "/oauth2/v1/tokens/bearer"
    assert client.issuer_uri == qbo.url
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="xyz")
    redirect = requests.get(url, allow_redirects=False, timeout=5)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    params = parse_qs(location.query)
    assert params["state"] == ["xyz"]
    assert params["realmId"] == [qbo.realm_id]
    client.get_bearer_token(params["code"][0], realm_id=params["realmId"][0])
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 8640000
    assert api_call(qbo, client.access_token, "GET", "item/20").status_code == 200
    assert qbo.current_refresh_token() == client.refresh_token
    with pytest.raises(AuthClientError) as excinfo:  # codes are one-time
        client.get_bearer_token(params["code"][0])
    assert excinfo.value.status_code == 400
    assert json.loads(excinfo.value.content) == {"error": "invalid_grant"}


def test_authorize_with_wrong_client_id_is_400(qbo):
    response = requests.get(qbo.url + "/oauth2/v1/authorize", allow_redirects=False, params={
        "client_id": "someone-else", "redirect_uri": REDIRECT, "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting", "state": "s"}, timeout=5)
    assert response.status_code == 400


def test_refresh_rotates_and_old_token_is_invalid_grant(qbo):
    client = auth_client(qbo)
    client.refresh(refresh_token="demo-refresh-token")
    first = client.refresh_token
    assert first != "demo-refresh-token"
    assert qbo.current_refresh_token() == first
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh(refresh_token="demo-refresh-token")
    assert excinfo.value.status_code == 400
    assert json.loads(excinfo.value.content)["error"] == "invalid_grant"
    assert excinfo.value.intuit_tid
    client.refresh()
    assert client.refresh_token not in (first, "demo-refresh-token")


def test_no_rotation_keeps_refresh_token():
    with QuickBooksEmulator(rotate_refresh_tokens=False, **NO_LIMITS) as qbo:
        client = auth_client(qbo)
        client.refresh(refresh_token="demo-refresh-token")
        assert client.refresh_token == "demo-refresh-token"
        client.refresh()
        assert client.refresh_token == "demo-refresh-token"


def test_bad_client_secret_is_invalid_client(qbo):
    with pytest.raises(AuthClientError) as excinfo:
        auth_client(qbo, secret="wrong").refresh(refresh_token="demo-refresh-token")
    assert excinfo.value.status_code == 401
    assert json.loads(excinfo.value.content) == {"error": "invalid_client"}


def test_revoke_refresh_tokens_and_revoke_endpoint(qbo):
    qbo.revoke_refresh_tokens()
    with pytest.raises(AuthClientError) as excinfo:
        auth_client(qbo).refresh(refresh_token="demo-refresh-token")
    assert json.loads(excinfo.value.content)["error"] == "invalid_grant"
    with pytest.raises(LookupError):
        qbo.current_refresh_token()

    with QuickBooksEmulator(**NO_LIMITS) as other:
        client = auth_client(other)
        client.refresh(refresh_token="demo-refresh-token")
        token = client.access_token
        assert client.revoke(token=client.refresh_token) is True
        assert api_call(other, token, "GET", "item/20").status_code == 401
        with pytest.raises(AuthClientError):
            client.refresh()


def test_expired_or_missing_access_token_is_lowercase_401():
    with QuickBooksEmulator(access_token_ttl=3600, time_scale=36000, **NO_LIMITS) as qbo:
        token = access_token(qbo)  # lives 0.1 s
        time.sleep(0.15)
        response = api_call(qbo, token, "GET", "item/20")
        assert response.status_code == 401
        assert response.json()["fault"] == lower_401(EXPIRED)
        assert response.headers["intuit_tid"]
    with QuickBooksEmulator(**NO_LIMITS) as qbo:
        response = requests.get(f"{qbo.api_url}/company/{qbo.realm_id}/item/20", timeout=5)
        assert response.status_code == 401
        assert response.json()["fault"] == lower_401(
            "Authorization header missing or not a Bearer token")


def test_foreign_realm_is_403_3100(qbo):
    response = api_call(qbo, access_token(qbo), "GET", "item/20", realm="123145000000")
    assert response.status_code == 403
    error = response.json()["Fault"]
    assert error["type"] == "AuthorizationFault"
    assert error["Error"][0]["code"] == "3100"


def test_every_response_has_a_unique_intuit_tid(qbo):
    token = access_token(qbo)
    responses = [api_call(qbo, token, "GET", "item/20") for _ in range(3)]
    responses.append(api_call(qbo, "bad", "GET", "item/20"))
    responses.append(requests.get(qbo.discovery_url, timeout=5))
    tids = [r.headers["intuit_tid"] for r in responses]
    assert len(set(tids)) == len(tids)


# -- throttling ----------------------------------------------------------------------------
def assert_throttled(response: requests.Response) -> None:
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    assert THROTTLE_XML in response.text
    assert THROTTLE_FAULT in response.text


def test_per_second_limit_returns_xml_429_and_counts():
    # time_scale 0.01 stretches a "second" to 100 s, so the test cannot race the clock.
    with QuickBooksEmulator(per_second=3, per_minute=None, batch_per_minute=None,
                            max_concurrent=None, time_scale=0.01,
                            access_token_ttl=10) as qbo:
        token = access_token(qbo)
        codes = [api_call(qbo, token, "GET", "item/20").status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        assert_throttled(api_call(qbo, token, "GET", "item/20"))
        assert qbo.stats()["throttled"] == 1


def test_batch_per_minute_limit():
    with QuickBooksEmulator(batch_per_minute=1, per_minute=None, per_second=None,
                            max_concurrent=None, time_scale=0.01,
                            access_token_ttl=10) as qbo:
        token = access_token(qbo)
        body = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Item"}]}
        assert api_call(qbo, token, "POST", "batch", body).status_code == 200
        assert_throttled(api_call(qbo, token, "POST", "batch", body))
        assert api_call(qbo, token, "GET", "item/20").status_code == 200  # not a batch


def test_max_concurrent_limit():
    with QuickBooksEmulator(max_concurrent=2, per_minute=None, per_second=None,
                            batch_per_minute=None, latency_ms=800) as qbo:
        token = access_token(qbo)
        barrier = threading.Barrier(5)
        codes: list[int] = []

        def call() -> None:
            barrier.wait()
            codes.append(api_call(qbo, token, "GET", "item/20").status_code)

        threads = [threading.Thread(target=call) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(codes) == [200, 200, 429, 429, 429]
        assert qbo.stats()["throttled"] == 3


def test_limits_can_be_disabled(qbo):
    token = access_token(qbo)
    assert all(api_call(qbo, token, "GET", "item/20").status_code == 200 for _ in range(30))


# -- requestid -----------------------------------------------------------------------------
def test_requestid_replay_returns_same_body_and_creates_nothing(qbo):
    token = access_token(qbo)
    first = api_call(qbo, token, "POST", "item", SERVICE, requestid="req-1")
    again = api_call(qbo, token, "POST", "item", dict(SERVICE, Name="Changed"),
                     requestid="req-1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert [i["Name"] for i in qbo.entities("Item")].count("Gift wrap") == 1
    assert "Changed" not in [i["Name"] for i in qbo.entities("Item")]
    assert qbo.stats()["replayed"] == 1
    assert qbo.stats()["by_kind"]["create"] == 1
    # A stored fault is replayed too.
    bad = api_call(qbo, token, "POST", "item", {"Name": "x"}, requestid="req-2")
    assert bad.status_code == 400
    assert api_call(qbo, token, "POST", "item", SERVICE, requestid="req-2").content == bad.content


def test_requestid_length_limits(qbo):
    token = access_token(qbo)
    too_long = api_call(qbo, token, "POST", "item", SERVICE, requestid="r" * 51)
    assert too_long.status_code == 400
    assert too_long.json()["Fault"]["type"] == "ValidationFault"
    assert api_call(qbo, token, "POST", "item", SERVICE, requestid="r" * 50).status_code == 200
    batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Item"}]}
    assert api_call(qbo, token, "POST", "batch", batch, requestid="b" * 37).status_code == 400
    assert api_call(qbo, token, "POST", "batch", batch, requestid="b" * 36).status_code == 200


# -- injected faults -----------------------------------------------------------------------
def test_error_before_performs_nothing(qbo):
    token = access_token(qbo)
    qbo.inject_fault("error_before", status=503)
    response = api_call(qbo, token, "POST", "item", SERVICE)
    assert response.status_code == 503
    assert response.headers["intuit_tid"]
    assert "Gift wrap" not in [i["Name"] for i in qbo.entities("Item")]
    qbo.inject_fault("error_before", status=500)
    response = api_call(qbo, token, "POST", "item", SERVICE)
    assert response.status_code == 500
    assert response.json()["Fault"]["type"] == "SystemFault"
    assert api_call(qbo, token, "POST", "item", SERVICE).status_code == 200
    assert qbo.stats()["faults_injected"] == 2


def test_lost_response_performs_and_replay_recovers_it(qbo):
    token = access_token(qbo)
    qbo.inject_fault("lost_response", path_contains="/item")
    lost = api_call(qbo, token, "POST", "item", SERVICE, requestid="lost-1")
    assert lost.status_code == 502
    assert [i["Name"] for i in qbo.entities("Item")].count("Gift wrap") == 1
    replay = api_call(qbo, token, "POST", "item", SERVICE, requestid="lost-1")
    assert replay.status_code == 200
    assert replay.json()["Item"]["Name"] == "Gift wrap"
    assert [i["Name"] for i in qbo.entities("Item")].count("Gift wrap") == 1


def test_injected_throttle_and_count(qbo):
    token = access_token(qbo)
    qbo.inject_fault("throttle", count=2)
    assert_throttled(api_call(qbo, token, "GET", "item/20"))
    assert_throttled(api_call(qbo, token, "GET", "item/20"))
    assert api_call(qbo, token, "GET", "item/20").status_code == 200
    stats = qbo.stats()
    assert stats["throttled"] == 2
    assert stats["faults_injected"] == 2


def test_injected_access_token_expiry_then_refresh(qbo):
    client = auth_client(qbo)
    client.refresh(refresh_token=qbo.current_refresh_token())
    qbo.inject_fault("expire_access_token")
    response = api_call(qbo, client.access_token, "GET", "item/20")
    assert response.status_code == 401
    assert response.json()["fault"] == lower_401(EXPIRED)
    assert api_call(qbo, client.access_token, "GET", "item/20").status_code == 401
    client.refresh()
    assert api_call(qbo, client.access_token, "GET", "item/20").status_code == 200


def test_faults_skip_token_endpoint_unless_targeted(qbo):
    qbo.inject_fault("error_before")
    client = auth_client(qbo)
    client.refresh(refresh_token="demo-refresh-token")  # not hit: fault waits for /v3
    qbo.inject_fault("error_before", path_contains="/oauth2/v1/tokens")
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh()
    assert excinfo.value.status_code == 502
    assert api_call(qbo, client.access_token, "GET", "item/20").status_code == 502
    with pytest.raises(ValueError, match="Unknown fault kind"):
        qbo.inject_fault("explode")


# -- admin endpoints, CLI and state file ---------------------------------------------------
def test_admin_endpoints(qbo):
    admin = qbo.url + "/_emulator"
    seeded = requests.post(admin + "/entities/Customer", json={"DisplayName": "Seeded"},
                           timeout=5)
    assert seeded.status_code == 200
    assert seeded.json()["Id"]
    customers = requests.get(admin + "/entities/Customer", timeout=5).json()
    assert [c["DisplayName"] for c in customers] == ["Seeded"]
    qbo.add_entity("Customer", {"DisplayName": "Gone", "Active": False})
    active = requests.get(admin + "/entities/customer?include_inactive=false", timeout=5).json()
    assert [c["DisplayName"] for c in active] == ["Seeded"]
    dup = requests.post(admin + "/entities/Customer", json={"DisplayName": "Seeded"}, timeout=5)
    assert dup.status_code == 400
    assert dup.json()["Fault"]["Error"][0]["code"] == "6240"
    assert requests.post(admin + "/faults", json={"kind": "throttle"}, timeout=5).ok
    assert api_call(qbo, access_token(qbo), "GET", "item/20").status_code == 429
    stats = requests.get(admin + "/stats", timeout=5).json()
    assert stats["throttled"] == 1
    assert stats["by_kind"]["token"] == 1
    assert requests.post(admin + "/reset-stats", timeout=5).ok
    assert requests.get(admin + "/stats", timeout=5).json()["requests"] == 0
    assert requests.post(admin + "/revoke-refresh-tokens", timeout=5).ok
    assert requests.get(admin + "/refresh-token", timeout=5).status_code == 400
    assert requests.post(admin + "/faults", json={"kind": "nope"}, timeout=5).status_code == 400


def test_cli_prints_url_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "quickbooks_emulator", "--port", "0", "--time-scale", "10",
         "--per-minute", "none"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("QuickBooks emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        discovery = requests.get(url + "/.well-known/openid_configuration", timeout=5).json()
        assert discovery["token_endpoint"] == url + "/oauth2/v1/tokens/bearer"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()


def test_state_file_keeps_entities_and_tokens(tmp_path):
    state = tmp_path / "qbo.json"
    with QuickBooksEmulator(state_file=state, **NO_LIMITS) as qbo:
        client = auth_client(qbo)
        client.refresh(refresh_token="demo-refresh-token")
        assert api_call(qbo, client.access_token, "POST", "item", SERVICE).status_code == 200
        latest = client.refresh_token
    with QuickBooksEmulator(state_file=state, **NO_LIMITS) as qbo:
        assert "Gift wrap" in [i["Name"] for i in qbo.entities("Item")]
        assert qbo.current_refresh_token() == latest
        token = access_token(qbo)
        dup = api_call(qbo, token, "POST", "item", SERVICE)
        assert dup.json()["Fault"]["Error"][0]["code"] == "6240"
