"""Intuit's OAuth 2.0 server, as far as intuit-oauth (``intuitlib``) exercises it.

Why: the connector's hardest production failure is refresh-token rotation (the used
refresh token stops working). This module reproduces discovery, auto-approved
authorisation, code exchange, rotation, revocation and access-token expiry so the
connector's token handling is tested end to end with the real ``AuthClient``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
REFRESH_TOKEN_LIFETIME = 8_640_000  # about 100 days, as Intuit answers
# Every refresh token now dies five years after the user authorised the app, however often
# it is used (Intuit's SDK release notes, e.g. QuickBooks-V3-Java-SDK v6.5.4).
REFRESH_TOKEN_HARD_LIFETIME = 5 * 365 * 86_400
# The header intuit-oauth 1.2.7 sends when ``include_refresh_token_hard_expires_in`` is on.
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"
# invalid_grant as Intuit words it (python-quickbooks issue #397, routablehq fork).
INVALID_REFRESH = {"error": "invalid_grant",
                   "error_description": "Incorrect or invalid refresh token"}
CODE_LIFETIME = 600.0  # authorisation codes are short-lived (scaled by time_scale)

DISCOVERY_PATH = "/.well-known/openid_configuration"
AUTHORIZE_PATH = "/oauth2/v1/authorize"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"  # noqa: S105 - a URL path
REVOKE_PATH = "/oauth2/v1/tokens/revoke"
USERINFO_PATH = "/v1/openid_connect/userinfo"
JWKS_PATH = "/oauth2/v1/keys"


@dataclass
class OAuthResult:
    """What the HTTP layer must answer: status, JSON body (or None) and extra headers."""

    status: int
    body: dict[str, Any] | None = None
    location: str | None = None


@dataclass
class _AccessToken:
    expires_at: float
    grant: str


@dataclass
class _Code:
    redirect_uri: str
    expires_at: float
    grant: str


def discovery_document(base_url: str) -> dict[str, Any]:
    """Return the OpenID discovery document with absolute URLs of this server."""
    return {
        "issuer": base_url,
        "authorization_endpoint": base_url + AUTHORIZE_PATH,
        "token_endpoint": base_url + TOKEN_PATH,
        "userinfo_endpoint": base_url + USERINFO_PATH,
        "revocation_endpoint": base_url + REVOKE_PATH,
        "jwks_uri": base_url + JWKS_PATH,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone", ACCOUNTING_SCOPE],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


class OAuthServer:
    """Token state of one company (in memory); thread-safe.

    Args:
        client_id: The only accepted client id.
        client_secret: Its secret.
        realm_id: Company the tokens give access to (added to the authorize redirect).
        initial_refresh_token: Refresh token valid at start (as if already connected).
        access_token_ttl: Lifetime of access tokens in "QBO seconds" (reported as
            ``expires_in``; really lasts ``access_token_ttl / time_scale`` seconds).
        rotate_refresh_tokens: Whether each refresh returns a new refresh token and
            invalidates the used one (Intuit's behaviour).
        time_scale: Speed-up factor for every lifetime.
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        realm_id: str,
        initial_refresh_token: str,
        access_token_ttl: float = 3600.0,
        rotate_refresh_tokens: bool = True,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.realm_id = realm_id
        self.access_token_ttl = access_token_ttl
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self._scale = time_scale
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, str] = {}  # valid refresh token -> grant id
        self._latest_refresh: str | None = None
        self._access: dict[str, _AccessToken] = {}
        self._grant_started: dict[str, float] = {}  # grant -> when the user authorised
        self._issued: list[str] = []  # every token handed out, for leak tests
        if initial_refresh_token:
            self._refresh[initial_refresh_token] = "initial"
            self._latest_refresh = initial_refresh_token

    # -- authorisation -------------------------------------------------------------
    def authorize(self, query: str) -> OAuthResult:
        """Auto-approve ``GET /oauth2/v1/authorize`` and redirect with a one-time code."""
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id:
            return OAuthResult(400, {"error": "invalid_client",
                                     "error_description": "Unknown client_id"})
        if not redirect_uri:
            return OAuthResult(400, {"error": "invalid_request",
                                     "error_description": "redirect_uri is required"})
        if params.get("response_type") != "code":
            return OAuthResult(400, {"error": "unsupported_response_type",
                                     "error_description": "response_type must be 'code'"})
        scopes = params.get("scope", "").split()
        if not scopes:
            return OAuthResult(400, {"error": "invalid_scope",
                                     "error_description": "scope is required"})
        code = "AB11" + secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(redirect_uri, self._clock() + CODE_LIFETIME / self._scale,
                                      secrets.token_hex(8))
        redirect = {"code": code, "state": params.get("state", ""), "realmId": self.realm_id}
        sep = "&" if "?" in redirect_uri else "?"
        return OAuthResult(302, None, location=f"{redirect_uri}{sep}{urlencode(redirect)}")

    # -- token endpoint ------------------------------------------------------------
    def _client_ok(self, authorization: str, form: dict[str, str]) -> bool:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization.lower().startswith("basic "):
            try:
                raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            client_id, _, secret = raw.partition(":")
        return secrets.compare_digest(client_id or "", self.client_id) and secrets.compare_digest(
            secret or "", self._client_secret
        )

    def _hard_expires_in(self, grant: str) -> int:
        """QBO seconds left before the grant's refresh tokens die for good."""
        started = self._grant_started.setdefault(grant, self._clock())
        return int(REFRESH_TOKEN_HARD_LIFETIME - (self._clock() - started) * self._scale)

    def _issue(self, grant: str, old_refresh: str | None, include_hard_expiry: bool = False
               ) -> dict[str, Any]:
        access = "eyJ" + secrets.token_urlsafe(32)
        self._access[access] = _AccessToken(self._clock() + self.access_token_ttl / self._scale,
                                            grant)
        if old_refresh is not None and not self.rotate_refresh_tokens:
            refresh = old_refresh
        else:
            refresh = "RT1-" + secrets.token_urlsafe(24)
            if old_refresh is not None:
                self._refresh.pop(old_refresh, None)
            self._refresh[refresh] = grant
        self._latest_refresh = refresh
        self._issued += [access, refresh]
        answer: dict[str, Any] = {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(self.access_token_ttl),
            "x_refresh_token_expires_in": REFRESH_TOKEN_LIFETIME,
            "token_type": "bearer",
        }
        if include_hard_expiry:
            answer["x_refresh_token_hard_expires_in"] = self._hard_expires_in(grant)
        return answer

    def token(self, authorization: str, body: str, *, include_hard_expiry: bool = False
              ) -> OAuthResult:
        """Answer ``POST /oauth2/v1/tokens/bearer`` (form body, Basic client auth).

        ``include_hard_expiry``: the request carried :data:`HARD_EXPIRY_HEADER` ``true``;
        the answer then adds ``x_refresh_token_hard_expires_in`` (seconds left before the
        refresh token dies however often it is used). Past it, refresh is invalid_grant.
        """
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        if not self._client_ok(authorization, form):
            return OAuthResult(401, {"error": "invalid_client"})
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                code = self._codes.pop(form.get("code", ""), None)
                if code is None or code.expires_at < self._clock():
                    return OAuthResult(400, {"error": "invalid_grant"})
                if form.get("redirect_uri", "") != code.redirect_uri:
                    return OAuthResult(400, {"error": "invalid_grant",
                                             "error_description": "redirect_uri mismatch"})
                self._grant_started[code.grant] = self._clock()
                return OAuthResult(200, self._issue(code.grant, None, include_hard_expiry))
            if grant_type == "refresh_token":
                old = form.get("refresh_token", "")
                if not old:
                    return OAuthResult(400, {"error": "invalid_request"})
                grant = self._refresh.get(old)
                if grant is None or self._hard_expires_in(grant) <= 0:
                    return OAuthResult(400, dict(INVALID_REFRESH))
                return OAuthResult(200, self._issue(grant, old, include_hard_expiry))
        return OAuthResult(400, {"error": "unsupported_grant_type"})

    def revoke(self, authorization: str, token: str) -> OAuthResult:
        """Answer ``POST /oauth2/v1/tokens/revoke``: the token and its grant stop working."""
        if not self._client_ok(authorization, {}):
            return OAuthResult(401, {"error": "invalid_client"})
        with self._lock:
            grant = self._refresh.pop(token, None)
            access = self._access.pop(token, None)
            grant = grant or (access.grant if access else None)
            if grant is not None:  # disconnecting the app kills the whole grant
                self._refresh = {t: g for t, g in self._refresh.items() if g != grant}
                self._access = {t: a for t, a in self._access.items() if a.grant != grant}
        return OAuthResult(200, None)

    # -- resource checks and controls ---------------------------------------------------
    def access_token_valid(self, authorization: str) -> bool:
        """Whether ``Authorization: Bearer <token>`` carries a live access token."""
        return self.access_token_problem(authorization) is None

    def access_token_problem(self, authorization: str) -> str | None:
        """Why the bearer token is refused (the 401's ``detail``), None when it is live.

        Wording of real 401 details: "Token expired: ..." (QuickBooks-V3-Java-SDK #159),
        "Malformed bearer token: ..." (python-quickbooks #250, routablehq fork). The token
        itself is never echoed (it would reach clients' logs).
        """
        if not authorization.lower().startswith("bearer "):
            return "Authorization header missing or not a Bearer token"
        token = authorization[7:].strip()
        with self._lock:
            entry = self._access.get(token)
            if entry is None:
                return "Token invalid: unknown or revoked bearer token"
            if entry.expires_at <= self._clock():
                return "Token expired"
            return None

    def expire_access_token(self, authorization: str) -> None:
        """Make the bearer token of this request expired (fault injection)."""
        token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
        with self._lock:
            if token in self._access:
                self._access[token].expires_at = float("-inf")

    def revoke_refresh_tokens(self) -> None:
        """Invalidate every refresh token (the user disconnected the app)."""
        with self._lock:
            self._refresh.clear()

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token issued so far (tests search logs for them)."""
        with self._lock:
            return list(self._issued)

    def current_refresh_token(self) -> str:
        """Return the newest refresh token that still works.

        Raises:
            LookupError: when every refresh token was revoked.
        """
        with self._lock:
            if self._latest_refresh is None or self._latest_refresh not in self._refresh:
                raise LookupError("No valid refresh token: they were revoked; authorize again")
            return self._latest_refresh

    def export_state(self) -> dict[str, Any]:
        """Return the refresh tokens for ``--state-file`` (access tokens are not kept)."""
        with self._lock:
            return {"refresh": dict(self._refresh), "latest": self._latest_refresh}

    def import_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`export_state` returned."""
        with self._lock:
            self._refresh = {str(k): str(v) for k, v in state.get("refresh", {}).items()}
            latest = state.get("latest")
            self._latest_refresh = str(latest) if latest else None
