"""Spending one refresh token: retry what is transient, save the rotated token first.

Why a module of its own: Intuit may rotate the refresh token on every refresh
and the old one dies; a rotated token used before it is saved is lost with the
process. So the new tokens are written to the store inside the same critical
section as the call (a termination signal waits for it), and only then used.
"""

from __future__ import annotations

import random
from typing import Any

import requests
from intuitlib.client import AuthClient  # type: ignore[import-untyped]
from intuitlib.exceptions import AuthClientError  # type: ignore[import-untyped]

from target_quickbooks.qbo import critical
from target_quickbooks.qbo.auth_session import AuthSession
from target_quickbooks.qbo.errors import AuthError, TransientError
from target_quickbooks.qbo.oauth_errors import AUTHORIZE_HINT, InvalidGrantError, oauth_error
from target_quickbooks.qbo.redact import register_secret
from target_quickbooks.qbo.token_store import StoredTokens, utc_now_iso

__all__ = ["TokenRotation"]


class TokenRotation(AuthSession):
    """Refreshes with one given refresh token and persists what Intuit returns."""

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
                error, description = oauth_error(exc)
                if error == "invalid_grant":
                    raise InvalidGrantError(description, exc.intuit_tid) from None
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
