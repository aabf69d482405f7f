"""OAuth refresh with rotation, token store first, races, and the errors people must act on."""

from __future__ import annotations

import base64
import logging
import threading
from urllib.parse import parse_qs

import pytest
from target_quickbooks.qbo import AuthError, QuickBooksAuth, TokenStore, TransientError
from target_quickbooks.qbo.token_store import StoredTokens

REALM = "9130350000000001"
DISCOVERY = "https://oauth.test/.well-known/openid_configuration"
TOKEN_URL = "https://oauth.test/oauth2/v1/tokens/bearer"
CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret-xyz"


class FakeIntuit:
    """Token endpoint that rotates refresh tokens like Intuit: the old one dies."""

    def __init__(self, initial: str = "rt-initial-000") -> None:
        self.current = initial
        self.n = 0
        self.calls = 0
        self.lock = threading.Lock()
        self.fail_next: list[int] = []

    def token(self, request, context):
        with self.lock:
            self.calls += 1
            context.headers["intuit_tid"] = f"tid-token-{self.calls}"
            if self.fail_next:
                context.status_code = self.fail_next.pop(0)
                return {"error": "server_error"}
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                context.status_code = 401
                return {"error": "invalid_client"}
            body = parse_qs(request.text)
            if body.get("grant_type") == ["authorization_code"]:
                if body.get("code") != ["good-code"]:
                    context.status_code = 400
                    return {"error": "invalid_grant"}
            elif body.get("refresh_token") != [self.current]:
                context.status_code = 400
                return {"error": "invalid_grant"}
            self.n += 1
            self.current = f"rt-rotated-{self.n:03d}"
            return {
                "access_token": f"at-access-{self.n:03d}",
                "refresh_token": self.current,
                "expires_in": 3600,
                "x_refresh_token_expires_in": 8726400,
                "token_type": "bearer",
            }


@pytest.fixture
def intuit(requests_mock):
    fake = FakeIntuit()
    requests_mock.get(
        DISCOVERY,
        json={
            "issuer": "https://oauth.test",
            "authorization_endpoint": "https://oauth.test/connect/oauth2",
            "token_endpoint": TOKEN_URL,
            "revocation_endpoint": "https://oauth.test/oauth2/v1/tokens/revoke",
            "userinfo_endpoint": "https://oauth.test/v1/openid_connect/userinfo",
            "jwks_uri": "https://oauth.test/oauth2/v1/keys",
        },
    )
    requests_mock.post(TOKEN_URL, json=fake.token)
    return fake


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def make_auth(store: TokenStore, *, refresh_token="rt-initial-000", clock=None, **kw):
    return QuickBooksAuth(
        client_id=CLIENT_ID,
        client_secret=kw.pop("client_secret", CLIENT_SECRET),
        refresh_token=refresh_token,
        realm_id=kw.pop("realm_id", REALM),
        discovery_url=DISCOVERY,
        token_store=store,
        clock=clock or Clock(),
        sleep=lambda _s: None,
        **kw,
    )


def test_first_refresh_uses_config_and_persists_rotation(tmp_path, intuit):
    store = TokenStore(tmp_path / "tokens.json")
    auth = make_auth(store)
    assert auth.access_token() == "at-access-001"
    saved = store.read()
    assert saved.refresh_token == "rt-rotated-001" == intuit.current
    assert saved.access_token == "at-access-001"
    assert saved.realm_id == REALM


def test_cached_until_sixty_seconds_before_expiry(tmp_path, intuit):
    clock = Clock()
    auth = make_auth(TokenStore(tmp_path / "t.json"), clock=clock)
    assert auth.access_token() == "at-access-001"
    clock.now += 3600 - 61
    assert auth.access_token() == "at-access-001"
    clock.now += 2
    assert auth.access_token() == "at-access-002"
    assert intuit.calls == 2


def test_next_run_reads_store_not_stale_config(tmp_path, intuit):
    store = TokenStore(tmp_path / "t.json")
    clock = Clock()
    make_auth(store, clock=clock).access_token()
    clock.now += 7200  # the stored access token has expired
    # Meltano regenerated config: it still holds the original (now dead) token.
    second_run = make_auth(store, clock=clock)
    assert second_run.access_token() == "at-access-002"
    assert store.read().refresh_token == intuit.current == "rt-rotated-002"


def test_reuses_access_token_refreshed_by_another_process(tmp_path, intuit):
    store = TokenStore(tmp_path / "t.json")
    a = make_auth(store)
    b = make_auth(store)
    token_a = a.access_token()
    assert b.access_token() == token_a  # adopted from the store, no second refresh
    assert intuit.calls == 1
    # b gets a 401 with that token: it must really refresh, and a must then adopt b's token.
    token_b = b.refresh(failed_token=token_a)
    assert token_b != token_a
    assert a.refresh(failed_token=token_a) == token_b
    assert intuit.calls == 2


def test_force_refresh_always_rotates(tmp_path, intuit):
    auth = make_auth(TokenStore(tmp_path / "t.json"))
    first = auth.access_token()
    assert auth.refresh(force=True) != first
    assert intuit.calls == 2


def test_invalid_grant_tells_how_to_reauthorize(tmp_path, intuit, caplog):
    intuit.current = "rt-someone-else"
    auth = make_auth(TokenStore(tmp_path / "t.json"))
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError) as info:
        auth.access_token()
    message = str(info.value)
    assert "invalid_grant" in message
    assert "meltano invoke target-quickbooks:authorize" in message
    assert "target-quickbooks-admin authorize" in message
    assert "rt-initial-000" not in message
    assert "rt-initial-000" not in caplog.text
    assert info.value.__cause__ is None


def test_dead_stored_token_falls_back_to_new_config_token(tmp_path, intuit):
    store = TokenStore(tmp_path / "t.json")
    store.write(StoredTokens(refresh_token="rt-dead-999", realm_id=REALM, updated_at="x"))
    auth = make_auth(store, refresh_token="rt-initial-000")
    assert auth.access_token() == "at-access-001"
    assert store.read().refresh_token == "rt-rotated-001"


def test_store_of_another_realm_is_ignored(tmp_path, intuit):
    store = TokenStore(tmp_path / "t.json")
    store.write(
        StoredTokens(
            refresh_token="rt-other-company",
            realm_id="123",
            updated_at="x",
            access_token="at-other-company",
            access_expires_at=2_000_000_000.0,
        )
    )
    auth = make_auth(store)
    assert auth.access_token() == "at-access-001"
    assert store.read().realm_id == REALM


def test_no_refresh_token_anywhere(tmp_path, intuit):
    auth = make_auth(TokenStore(tmp_path / "t.json"), refresh_token=None)
    with pytest.raises(AuthError, match=r"No QuickBooks refresh token.*authorize"):
        auth.access_token()
    assert intuit.calls == 0


def test_invalid_client_points_at_app_keys(tmp_path, intuit):
    auth = make_auth(TokenStore(tmp_path / "t.json"), client_secret="wrong-secret-000")
    with pytest.raises(AuthError, match="client_id and client_secret") as info:
        auth.access_token()
    assert "wrong-secret-000" not in str(info.value)


def test_transient_token_endpoint_errors_are_retried(tmp_path, intuit):
    intuit.fail_next = [503, 502]
    auth = make_auth(TokenStore(tmp_path / "t.json"))
    assert auth.access_token() == "at-access-001"
    intuit.fail_next = [503] * 10
    with pytest.raises(TransientError, match="4 times: HTTP 503"):
        auth.refresh(force=True)


def test_store_write_failure_is_an_auth_error(tmp_path, intuit, monkeypatch):
    store = TokenStore(tmp_path / "t.json")

    def fail(_tokens, **_kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store, "write", fail)
    with pytest.raises(AuthError, match=r"could not be saved.*Permission denied"):
        make_auth(store).access_token()


def test_concurrent_refreshes_across_instances_never_lose_a_rotation(tmp_path, intuit):
    store = TokenStore(tmp_path / "t.json")
    auths = [make_auth(store) for _ in range(4)]
    errors: list[BaseException] = []

    def worker(auth: QuickBooksAuth) -> None:
        try:
            for _ in range(5):
                auth.refresh(force=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(a,)) for a in auths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert intuit.n == 20
    assert store.read().refresh_token == intuit.current


def test_exchange_code_and_authorization_url(tmp_path, intuit):
    store = TokenStore(tmp_path / "t.json")
    auth = make_auth(store, refresh_token=None)
    url = auth.authorization_url("state-123")
    assert url.startswith("https://oauth.test/connect/oauth2?")
    assert "scope=com.intuit.quickbooks.accounting" in url
    assert "state=state-123" in url
    saved = auth.exchange_code("good-code", REALM)
    assert saved.refresh_token == store.read().refresh_token == intuit.current
    assert auth.access_token() == saved.access_token
    with pytest.raises(AuthError, match="authorize command again"):
        auth.exchange_code("used-code", REALM)


def test_refresh_logs_never_contain_tokens_or_secret(tmp_path, intuit, caplog):
    auth = make_auth(TokenStore(tmp_path / "t.json"))
    with caplog.at_level(logging.DEBUG):
        auth.access_token()
        auth.refresh(force=True)
    assert "Refreshed the QuickBooks access token" in caplog.text
    for secret in ("rt-initial-000", "rt-rotated-001", "at-access-001", CLIENT_SECRET):
        assert secret not in caplog.text


class TwoRealmIntuit:
    """Token endpoint for two companies, each with its own rotating refresh token."""

    def __init__(self) -> None:
        self.current = {"A": "rt-A-000000", "B": "rt-B-000000"}
        self.n = 0

    def token(self, request, context):
        presented = parse_qs(request.text)["refresh_token"][0]
        realm = next((r for r, token in self.current.items() if token == presented), None)
        if realm is None:
            context.status_code = 400
            return {"error": "invalid_grant"}
        self.n += 1
        self.current[realm] = f"rt-{realm}-rot{self.n:03d}"
        return {"access_token": f"at-{realm}-{self.n:03d}", "refresh_token": self.current[realm],
                "expires_in": 3600, "token_type": "bearer"}


def test_two_realms_sharing_a_store_keep_their_own_rotated_tokens(tmp_path, intuit,
                                                                   requests_mock):
    fake = TwoRealmIntuit()
    requests_mock.post(TOKEN_URL, json=fake.token)
    store = TokenStore(tmp_path / "quickbooks-tokens.json")
    clock = Clock()
    for _hour in range(3):
        for realm in ("A", "B"):  # Meltano's config always holds the initial tokens
            auth = make_auth(store, refresh_token=f"rt-{realm}-000000", realm_id=realm,
                             clock=clock)
            assert auth.access_token().startswith(f"at-{realm}-")
        clock.now += 7200
    assert fake.n == 6
    assert store.realms() == ["A", "B"]
    assert store.read("A").refresh_token == fake.current["A"]
    assert store.read("B").refresh_token == fake.current["B"]


def test_a_token_spent_for_another_company_is_replaced_in_both_entries(tmp_path, intuit,
                                                                       requests_mock):
    # Company C has no entry and a dead config token: the last resort tries the token
    # saved for A. Spending it must not leave A holding the dead copy.
    fake = TwoRealmIntuit()
    requests_mock.post(TOKEN_URL, json=fake.token)
    store = TokenStore(tmp_path / "t.json")
    make_auth(store, refresh_token="rt-A-000000", realm_id="A").access_token()
    make_auth(store, refresh_token="rt-C-dead00", realm_id="C").access_token()
    assert store.read("A").refresh_token == store.read("C").refresh_token == fake.current["A"]
    clock = Clock()
    clock.now += 7200
    assert make_auth(store, refresh_token="rt-A-000000", realm_id="A",
                     clock=clock).access_token().startswith("at-A-")
    assert store.read("A").refresh_token == fake.current["A"]
