"""The intuit-oauth client and the access token held in memory.

Why a module of its own: intuit-oauth's ``AuthClient`` downloads the discovery
document when it is built and keeps the last response's fields, so it is built
lazily and its fields are cleared before each call; the rest of the auth
(:mod:`.token_rotation`, :mod:`.refresh_sources`, :mod:`.auth`) builds on this.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from intuitlib.client import AuthClient  # type: ignore[import-untyped]
from intuitlib.exceptions import AuthClientError  # type: ignore[import-untyped]

from target_quickbooks.qbo.errors import AuthError, QuickBooksError
from target_quickbooks.qbo.oauth_errors import invalid_client_error
from target_quickbooks.qbo.redact import register_secret
from target_quickbooks.qbo.token_store import TokenStore

__all__ = ["REFRESH_MARGIN_SECONDS", "AuthSession"]

#: Refresh this many seconds before the access token expires.
REFRESH_MARGIN_SECONDS = 60.0


class AuthSession:
    """The base of :class:`~target_quickbooks.qbo.auth.QuickBooksAuth`.

    The attributes are set by its ``__init__``.
    """

    client_id: str
    environment: str
    discovery_url: str | None
    realm_id: str
    token_store: TokenStore
    redirect_uri: str
    logger: logging.Logger
    max_attempts: int
    backoff_base: float
    refresh_count: int
    _client_secret: str
    _config_refresh_token: str | None
    _clock: Callable[[], float]
    _sleep: Callable[[float], None]
    _auth_client: AuthClient | None
    _access_token: str | None
    _access_expires_at: float

    def _auth_client_instance(self) -> AuthClient:
        """Create intuit-oauth's client lazily: its constructor downloads the discovery document."""
        if self._auth_client is None:
            source = self.discovery_url or self.environment
            try:
                self._auth_client = AuthClient(
                    self.client_id, self._client_secret, self.redirect_uri, source
                )
                # Ask Intuit for x_refresh_token_hard_expires_in: when the authorization
                # itself ends, which `check` counts down (re-authorizing needs a person).
                self._auth_client.include_refresh_token_hard_expires_in = True
            except AuthClientError as exc:
                raise QuickBooksError(
                    f"Could not load Intuit's OAuth discovery document for {source!r}: "
                    f"HTTP {exc.status_code} (intuit_tid={exc.intuit_tid or '-'})"
                ) from None
        return self._auth_client

    def _valid(self, token: str | None, expires_at: float | None) -> bool:
        return (
            bool(token)
            and expires_at is not None
            and (self._clock() < expires_at - REFRESH_MARGIN_SECONDS)
        )

    def _adopt(self, access_token: str, expires_at: float) -> str:
        register_secret(access_token)
        self._access_token = access_token
        self._access_expires_at = expires_at
        return access_token

    @staticmethod
    def _reset_client(client: AuthClient, refresh_token: str | None) -> None:
        """Clear response fields so a response lacking one cannot leave a stale value behind."""
        client.refresh_token = refresh_token
        client.access_token = None
        client.expires_in = None
        client.x_refresh_token_expires_in = None
        client.x_refresh_token_hard_expires_in = None

    def _invalid_client(self, exc: AuthClientError) -> AuthError:
        return invalid_client_error(exc, self.environment)
