"""OAuth 2.0 for QuickBooks Online: access tokens on demand, refresh tokens that rotate safely.

intuit-oauth's ``AuthClient`` does the HTTP; this module adds what connectors
usually get wrong: the newest refresh token is read from the
:class:`~target_quickbooks.qbo.token_store.TokenStore` (never only from config,
which Meltano regenerates every run), the rotated token is persisted *before*
the new access token is used, and refreshes are serialised across threads and
processes so a rotation is never lost to a race.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from intuitlib.client import AuthClient  # type: ignore[import-untyped]
from intuitlib.enums import Scopes  # type: ignore[import-untyped]
from intuitlib.exceptions import AuthClientError  # type: ignore[import-untyped]

from target_quickbooks.qbo import critical
from target_quickbooks.qbo.errors import AuthError, QuickBooksError, TransientError
from target_quickbooks.qbo.redact import install_redaction, register_secret
from target_quickbooks.qbo.token_store import StoredTokens, TokenStore, utc_now_iso

#: Refresh this many seconds before the access token expires.
REFRESH_MARGIN_SECONDS = 60.0

AUTHORIZE_HINT = (
    "Run `meltano invoke target-quickbooks:authorize` (or `target-quickbooks-admin authorize`) "
    "to get a new refresh token."
)

_ENVIRONMENTS = ("sandbox", "production")


class _InvalidGrantError(Exception):
    """Internal: the refresh token was refused; the caller may try another one."""

    def __init__(self, description: str, intuit_tid: str | None) -> None:
        self.description = description
        self.intuit_tid = intuit_tid
        super().__init__(description)


def _oauth_error(exc: AuthClientError) -> tuple[str, str]:
    """Extract ``error`` and ``error_description`` from an AuthClientError, never the raw body."""
    try:
        body = json.loads(exc.content or b"{}")
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "")


class QuickBooksAuth:
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

    # ------------------------------------------------------------------ helpers

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

    # --------------------------------------------------------------- public API

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
                error, description = _oauth_error(exc)
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

    # ---------------------------------------------------------------- internals

    def _refresh_locked(self, *, failed_token: str | None, force: bool) -> str:
        with self.token_store.locked():
            stored = self.token_store.read(self.realm_id)
            if stored is not None:
                register_secret(stored.refresh_token, stored.access_token)
                if (
                    not force
                    and stored.access_token
                    and stored.access_token != failed_token
                    and self._valid(stored.access_token, stored.access_expires_at)
                ):
                    self.logger.debug("Reusing the access token another run stored.")
                    return self._adopt(stored.access_token, float(stored.access_expires_at or 0))
            candidates: list[tuple[str, str]] = []
            if stored is not None:
                candidates.append((f"token store {self.token_store.path}", stored.refresh_token))
            if self._config_refresh_token and (
                stored is None or stored.refresh_token != self._config_refresh_token
            ):
                candidates.append(("config refresh_token", self._config_refresh_token))
            if stored is None:
                # Last resort, newest first: after a run with a mistyped realm_id the rotated
                # token sits under that id and the config's is dead. A token spent this way
                # is replaced in every entry that held it (TokenStore.write), so the other
                # company's entry keeps working even when the token really was its own.
                tried = {token for _, token in candidates}
                for realm in reversed(self.token_store.realms()):
                    other = self.token_store.read(realm)
                    if other is None or other.refresh_token in tried:
                        continue
                    register_secret(other.refresh_token, other.access_token)
                    tried.add(other.refresh_token)
                    candidates.append((f"token store {self.token_store.path} (saved for "
                                       f"company {realm})", other.refresh_token))
            if not candidates:
                raise AuthError(
                    f"No QuickBooks refresh token: the token store {self.token_store.path} holds "
                    f"none for company {self.realm_id} and config has no refresh_token. "
                    f"{AUTHORIZE_HINT}"
                )
            refused: list[str] = []
            for source, refresh_token in candidates:
                try:
                    return self._refresh_with(refresh_token)
                except _InvalidGrantError as exc:
                    refused.append(f"{source} (intuit_tid={exc.intuit_tid or '-'})")
                    self.logger.warning(
                        "Intuit refused the refresh token from %s: invalid_grant %s",
                        source,
                        exc.description,
                    )
            raise AuthError(
                "QuickBooks refused the refresh token (invalid_grant): it was revoked, expired "
                "or already rotated by another run. Tried: "
                f"{', '.join(refused)}. {AUTHORIZE_HINT} It is saved to {self.token_store.path}."
            )

    @staticmethod
    def _reset_client(client: AuthClient, refresh_token: str | None) -> None:
        """Clear response fields so a response lacking one cannot leave a stale value behind."""
        client.refresh_token = refresh_token
        client.access_token = None
        client.expires_in = None
        client.x_refresh_token_expires_in = None
        client.x_refresh_token_hard_expires_in = None

    def _invalid_client(self, exc: AuthClientError) -> AuthError:
        return AuthError(
            "Intuit rejected the app credentials (invalid_client): check client_id and "
            f"client_secret (and that they belong to the {self.environment} environment). "
            f"(intuit_tid={exc.intuit_tid or '-'})"
        )

    def _refresh_with(self, refresh_token: str) -> str:
        history: list[str] = []
        for attempt in range(1, self.max_attempts + 1):
            try:
                # A termination signal waits until the rotated token is saved (or refused).
                with critical.section():
                    client = self._auth_client_instance()
                    self._reset_client(client, refresh_token)
                    client.refresh(refresh_token=refresh_token)
                    tokens = self._persist(client, self.realm_id, replaces=refresh_token)
            except AuthClientError as exc:
                error, description = _oauth_error(exc)
                if error == "invalid_grant":
                    raise _InvalidGrantError(description, exc.intuit_tid) from None
                if error == "invalid_client" or exc.status_code == 401:
                    raise self._invalid_client(exc) from None
                if exc.status_code != 429 and exc.status_code < 500:
                    raise AuthError(
                        f"Intuit refused the token refresh: HTTP {exc.status_code} "
                        f"{error}{': ' + description if description else ''} "
                        f"(intuit_tid={exc.intuit_tid or '-'}). {AUTHORIZE_HINT}"
                    ) from None
                history.append(f"HTTP {exc.status_code} (intuit_tid={exc.intuit_tid or '-'})")
            except requests.RequestException as exc:
                history.append(type(exc).__name__)
            else:
                self.refresh_count += 1
                self.logger.info(
                    "Refreshed the QuickBooks access token for company %s; refresh token %s "
                    "and saved to %s.",
                    self.realm_id,
                    "rotated" if tokens.refresh_token != refresh_token else "unchanged",
                    self.token_store.path,
                )
                return self._adopt(tokens.access_token or "", tokens.access_expires_at or 0.0)
            self.logger.warning(
                "Token refresh attempt %d/%d failed: %s", attempt, self.max_attempts, history[-1]
            )
            if attempt < self.max_attempts:
                self._sleep(random.uniform(0, self.backoff_base * 2 ** (attempt - 1)))
        raise TransientError(
            f"Intuit's token endpoint failed {self.max_attempts} times: {', '.join(history)}",
            attempts=self.max_attempts,
            history=history,
        )

    def _persist(
        self, client: AuthClient, realm_id: str, *, replaces: str | None = None
    ) -> StoredTokens:
        """Store the new tokens before anyone uses them (the old refresh token may be dead).

        ``replaces`` is the refresh token just spent: every store entry holding it
        gets the new tokens, so no company is left with a dead copy.
        """
        access_token: Any = client.access_token
        new_refresh: Any = client.refresh_token
        if not access_token or not new_refresh:
            raise AuthError(
                "Intuit's token response lacked access_token or refresh_token; "
                f"nothing was stored. {AUTHORIZE_HINT}"
            )
        register_secret(str(access_token), str(new_refresh))
        now = self._clock()
        expires_in = float(client.expires_in or 3600)
        refresh_expires_in = client.x_refresh_token_expires_in
        hard_expires_in = client.x_refresh_token_hard_expires_in
        tokens = StoredTokens(
            refresh_token=str(new_refresh),
            realm_id=realm_id,
            updated_at=utc_now_iso(),
            access_token=str(access_token),
            access_expires_at=now + expires_in,
            refresh_expires_at=now + float(refresh_expires_in) if refresh_expires_in else None,
            refresh_hard_expires_at=now + float(hard_expires_in) if hard_expires_in else None,
        )
        try:
            self.token_store.write(tokens, replaces=replaces)
        except OSError as exc:
            raise AuthError(
                f"QuickBooks issued a new refresh token but it could not be saved to "
                f"{self.token_store.path} ({exc.strerror or type(exc).__name__}); the previous "
                f"refresh token may no longer work. Fix the path's permissions. {AUTHORIZE_HINT}"
            ) from None
        return tokens
