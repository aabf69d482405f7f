"""OAuth 2.0 for QuickBooks Online: access tokens on demand, refresh tokens that rotate safely.

intuit-oauth's ``AuthClient`` does the HTTP; this module adds what connectors
usually get wrong: the newest refresh token is read from the
:class:`~target_quickbooks.qbo.token_store.TokenStore` (never only from config,
which Meltano regenerates every run), the rotated token is persisted *before*
the new access token is used, and refreshes are serialised across threads and
processes so a rotation is never lost to a race.

The parts: :mod:`.oauth_errors` (Intuit's errors, translated),
:mod:`.auth_session` (intuit-oauth's client, built from the discovery document;
the access token in memory), :mod:`.token_rotation` (spending one refresh token,
saving the rotated one first), :mod:`.refresh_sources` (which refresh tokens to
try). This module keeps the public API and every public name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from intuitlib.client import AuthClient  # type: ignore[import-untyped]
from intuitlib.enums import Scopes  # type: ignore[import-untyped]
from intuitlib.exceptions import AuthClientError  # type: ignore[import-untyped]

from target_quickbooks.qbo import critical
from target_quickbooks.qbo.auth_session import REFRESH_MARGIN_SECONDS
from target_quickbooks.qbo.errors import AuthError
from target_quickbooks.qbo.oauth_errors import AUTHORIZE_HINT, oauth_error
from target_quickbooks.qbo.redact import install_redaction, register_secret
from target_quickbooks.qbo.refresh_sources import RefreshSources
from target_quickbooks.qbo.token_store import StoredTokens, TokenStore

__all__ = ["AUTHORIZE_HINT", "REFRESH_MARGIN_SECONDS", "QuickBooksAuth"]

_ENVIRONMENTS = ("sandbox", "production")


class QuickBooksAuth(RefreshSources):
    """Hands out valid access tokens for one QuickBooks company (realm)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str | None,
        realm_id: str,
        environment: str = "sandbox",
        discovery_url: str | None = None,
        token_store: TokenStore,
        redirect_uri: str = "http://localhost:8123/callback",
        logger: logging.Logger | None = None,
        max_attempts: int = 4,
        backoff_base: float = 1.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Configure the auth; no network call happens until a token is needed.

        Args:
            client_id: Intuit app client id.
            client_secret: Intuit app client secret.
            refresh_token: refresh token from config; used only when the token
                store holds nothing for ``realm_id`` (then, as a last resort, the
                tokens saved for other companies are tried), or when the stored
                token is refused.
            realm_id: QuickBooks company id.
            environment: ``sandbox`` or ``production``.
            discovery_url: OpenID discovery document URL overriding
                ``environment`` (the emulator serves one).
            token_store: where the newest refresh token lives.
            redirect_uri: OAuth redirect URI registered on the Intuit app.
            logger: logger for auth events (tokens are masked).
            max_attempts: tries for a refresh that fails transiently (5xx,
                connection errors).
            backoff_base: base of the exponential backoff between those tries.
            clock: wall clock (epoch seconds); the store is shared across
                processes, so expiry times are wall-clock.
            sleep: sleep function (tests pass a fake).
        """
        if not discovery_url and environment not in _ENVIRONMENTS:
            raise ValueError(
                f"environment must be 'sandbox' or 'production', got {environment!r}; "
                "or give discovery_url"
            )
        self.client_id = client_id
        self.environment = environment
        self.discovery_url = discovery_url
        self.realm_id = str(realm_id)
        self.token_store = token_store
        self.redirect_uri = redirect_uri
        self.logger = logger or logging.getLogger("target_quickbooks.qbo.auth")
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self._client_secret = client_secret
        self._config_refresh_token = refresh_token or None
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._auth_client: AuthClient | None = None
        self._access_token: str | None = None
        self._access_expires_at = 0.0
        self.refresh_count = 0
        register_secret(client_secret, refresh_token)
        install_redaction([self.logger, logging.getLogger("target_quickbooks")])

    def access_token(self) -> str:
        """Return a valid access token, refreshing when missing or within 60 s of expiry."""
        with self._lock:
            if self._access_token and self._valid(self._access_token, self._access_expires_at):
                return self._access_token
            return self._refresh_locked(failed_token=self._access_token, force=False)

    def refresh(self, *, failed_token: str | None = None, force: bool = False) -> str:
        """Get a new access token, rotating the refresh token safely.

        Args:
            failed_token: the access token QuickBooks just rejected (401). When
                another thread or process has already replaced it with a valid
                one, that one is reused instead of refreshing again.
            force: refresh even if a newer valid access token is available.

        Returns:
            A valid access token.

        Raises:
            AuthError: the refresh token is dead (``invalid_grant``: run
                authorize) or the app keys are wrong (``invalid_client``).
            TransientError: Intuit's token endpoint kept failing.
        """
        with self._lock:
            if (
                not force
                and failed_token is not None
                and self._access_token != failed_token
                and self._valid(self._access_token, self._access_expires_at)
            ):
                return self._access_token  # type: ignore[return-value]
            return self._refresh_locked(failed_token=failed_token, force=force)

    def exchange_code(self, code: str, realm_id: str) -> StoredTokens:
        """Trade an authorization code (from the OAuth redirect) for tokens and store them.

        Args:
            code: the ``code`` query parameter of the redirect.
            realm_id: the ``realmId`` query parameter of the redirect.

        Returns:
            The stored tokens.

        Raises:
            AuthError: the code is invalid, expired or already used, or the app
                keys are wrong.
        """
        with self._lock, self.token_store.locked(), critical.section():
            client = self._auth_client_instance()
            self._reset_client(client, None)
            try:
                client.get_bearer_token(code, realm_id=realm_id)
            except AuthClientError as exc:
                error, description = oauth_error(exc)
                if error == "invalid_client" or exc.status_code == 401:
                    raise self._invalid_client(exc) from None
                raise AuthError(
                    f"Intuit refused the authorization code ({error or exc.status_code}"
                    f"{': ' + description if description else ''}); codes are single-use and "
                    "expire after minutes. Run the authorize command again. "
                    f"(intuit_tid={exc.intuit_tid or '-'})"
                ) from None
            tokens = self._persist(client, str(realm_id))
            if str(realm_id) != self.realm_id:
                self.logger.warning(
                    "Authorized company %s but realm_id is configured as %s; set realm_id to %s.",
                    realm_id,
                    self.realm_id,
                    realm_id,
                )
            else:
                self._adopt(tokens.access_token or "", tokens.access_expires_at or 0.0)
            return tokens

    def authorization_url(self, state: str) -> str:
        """URL where a person grants this app access to a QuickBooks company.

        Args:
            state: CSRF token echoed back on the redirect.

        Returns:
            The Intuit authorization URL (scope ``com.intuit.quickbooks.accounting``).
        """
        return self._auth_client_instance().get_authorization_url(
            [Scopes.ACCOUNTING], state_token=state
        )
