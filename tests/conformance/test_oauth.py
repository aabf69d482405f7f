"""OAuth as intuit-oauth 1.2.7 drives it: refresh, rotation, invalid_grant, hard expiry, 401."""

from __future__ import annotations

import json

import pytest
from conftest import Emulator
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.item import Item

FIVE_YEARS = 5 * 365 * 86_400


def test_refresh_rotates_and_the_used_token_is_invalid_grant(us_company: Emulator) -> None:
    # Intuit's OAuth 2.0 guide: a refresh answers a new access token and a refresh token
    # (access tokens last 3600 s); the previous refresh token must no longer be used. A dead
    # refresh token answers 400 {"error": "invalid_grant", "error_description": "Incorrect or
    # invalid refresh token"} (python-quickbooks issue #397, routablehq fork: a real answer).
    old = us_company.refresh_token()
    client = us_company.auth_client()
    client.refresh(refresh_token=old)
    assert client.access_token and client.refresh_token
    assert client.refresh_token != old
    assert client.expires_in == 3600
    with pytest.raises(AuthClientError) as error:
        us_company.auth_client().refresh(refresh_token=old)
    assert error.value.status_code == 400
    assert json.loads(error.value.content) == {
        "error": "invalid_grant", "error_description": "Incorrect or invalid refresh token"}


def test_hard_expiry_is_answered_when_asked(us_company: Emulator) -> None:
    # intuit-oauth 1.2.7 sends x-include-refresh-token-hard-expires-in: true when
    # include_refresh_token_hard_expires_in is set, and reads x_refresh_token_hard_expires_in;
    # Intuit's SDK release notes (QuickBooks-V3-Java-SDK v6.5.4): refresh tokens now live at
    # most five years, and that field tells how long is left.
    client: AuthClient = us_company.auth_client()
    client.include_refresh_token_hard_expires_in = True
    client.refresh(refresh_token=us_company.refresh_token())
    left = client.x_refresh_token_hard_expires_in
    assert isinstance(left, int)
    assert 0 < left <= FIVE_YEARS
    plain = us_company.auth_client()  # not asked: not answered (the field stays None)
    plain.refresh(refresh_token=us_company.refresh_token())
    assert plain.x_refresh_token_hard_expires_in is None


def test_unknown_bearer_is_401_with_its_detail(us_company: Emulator) -> None:
    # Real 401 bodies are lower-case JSON whose error carries a detail, e.g.
    # {"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200;
    # statusCode=401","detail":"Malformed bearer token: ...","code":"3200","element":null}],
    # "type":"AUTHENTICATION"}, ...} (python-quickbooks issues #118 and #250, routablehq
    # fork; "Token expired: ..." in QuickBooks-V3-Java-SDK #159). python-quickbooks raises
    # AuthorizationException(401) with the body as detail.
    qb = us_company.qb()
    qb.session.access_token = "eyJ-not-a-token"  # type: ignore[union-attr]
    qb.session.token = {"access_token": "eyJ-not-a-token"}  # type: ignore[union-attr]
    with pytest.raises(AuthorizationException) as error:
        Item.all(max_results=1, qb=qb)
    assert error.value.error_code == 401
    body = json.loads(error.value.detail)
    (entry,) = body["fault"]["error"]
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert entry["code"] == "3200"
    assert entry["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert isinstance(entry["detail"], str) and entry["detail"]
    assert "element" in entry and entry["element"] is None
