"""Login, re-login on 401, and clear credential errors that never show the password."""

from __future__ import annotations

import pytest
from tap_fakes import BASE_URL, CONFIG, PATHS, product, run_sync
from tap_myfulfillment.errors import MyFulfillmentAuthError
from tap_myfulfillment.tap import TapMyFulfillment

PRODUCTS = PATHS["products"]


def test_logs_in_once_per_run_and_sends_bearer(api, requests_mock):
    api.data[PRODUCTS] = [product(1, "2026-03-01 10:00:00")]

    run_sync()

    assert api.logins == 1
    login = next(r for r in requests_mock.request_history if r.path.endswith("/auth/token"))
    assert login.method == "POST"
    assert login.json() == {"username": "demo", "password": "demo-password"}
    gets = [r for r in requests_mock.request_history if r.method == "GET"]
    assert gets
    assert all(r.headers["Authorization"] == "Bearer tok-1" for r in gets)


def test_expired_token_is_renewed_once_and_the_call_retried(api, requests_mock):
    api.data[PRODUCTS] = [product(i, f"2026-03-01 10:00:{i:02d}") for i in range(5)]
    original = api._list
    second_page_tokens: list[str] = []

    def expire_before_second_page(request, context):
        if "offset=2" in request.url:
            if api.logins == 1:
                api.expire_tokens()
            second_page_tokens.append(request.headers["Authorization"])
        return original(request, context)

    requests_mock.get(f"{BASE_URL}{PRODUCTS}", json=expire_before_second_page)

    result = run_sync(page_size=2)

    assert len(result.records("products")) == 5
    assert api.logins == 2
    assert second_page_tokens == ["Bearer tok-1", "Bearer tok-2"]


def test_second_401_is_a_configuration_error_naming_the_settings(api, requests_mock):
    requests_mock.get(
        f"{BASE_URL}{PRODUCTS}", status_code=401, json={"message": "Unauthenticated."}
    )

    with pytest.raises(MyFulfillmentAuthError) as info:
        run_sync()

    message = str(info.value)
    assert "`username`" in message
    assert "`password`" in message
    assert "demo-password" not in message
    assert api.logins == 2
    assert sum(1 for r in requests_mock.request_history if r.path.endswith("products")) == 2


def test_wrong_password_at_login_is_a_clear_error(api):
    with pytest.raises(MyFulfillmentAuthError) as info:
        run_sync(password="wrong-secret")

    message = str(info.value)
    assert "refused the login of user 'demo'" in message
    assert "`username`" in message
    assert "`password`" in message
    assert "wrong-secret" not in message


def test_login_answer_without_token_fails_clearly(api, requests_mock):
    requests_mock.post(f"{BASE_URL}/auth/token", json={"nope": True})

    with pytest.raises(Exception, match="has no `token`"):
        run_sync()


def test_login_is_retried_when_rate_limited(api, requests_mock):
    api.data[PRODUCTS] = [product(1, "2026-03-01 10:00:00")]
    requests_mock.post(
        f"{BASE_URL}/auth/token",
        [{"status_code": 400, "text": "Too Many Attempts."}, {"json": {"token": "tok-x"}}],
    )
    api.valid_tokens.add("tok-x")

    result = run_sync()

    assert len(result.records("products")) == 1


def test_password_is_declared_secret():
    props = TapMyFulfillment.config_jsonschema["properties"]
    assert props["password"].get("secret") is True
    assert "demo-password" not in repr(TapMyFulfillment(config=CONFIG).authenticator)
