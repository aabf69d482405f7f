"""Intuit's OAuth errors, translated into messages that say what a person must do.

Why a module of its own: a token endpoint error body may echo secrets, so only
its ``error`` and ``error_description`` fields are ever read, and every message
ends with the fix (authorize again, check the app keys); the code exchange
(authorize) and the refresh path share these.
"""

from __future__ import annotations

import json

from intuitlib.exceptions import AuthClientError  # type: ignore[import-untyped]

from target_quickbooks.qbo.errors import AuthError

__all__ = ["AUTHORIZE_HINT", "InvalidGrantError", "invalid_client_error", "oauth_error"]

AUTHORIZE_HINT = (
    "Run `meltano invoke target-quickbooks:authorize` (or `target-quickbooks-admin authorize`) "
    "to get a new refresh token."
)


class InvalidGrantError(Exception):
    """The refresh token was refused; the caller may try another one."""

    def __init__(self, description: str, intuit_tid: str | None) -> None:
        self.description = description
        self.intuit_tid = intuit_tid
        super().__init__(description)


def oauth_error(exc: AuthClientError) -> tuple[str, str]:
    """Extract ``error`` and ``error_description`` from an AuthClientError, never the raw body."""
    try:
        body = json.loads(exc.content or b"{}")
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "")


def invalid_client_error(exc: AuthClientError, environment: str) -> AuthError:
    """The error for wrong app keys (``invalid_client``), naming the environment to check."""
    return AuthError(
        "Intuit rejected the app credentials (invalid_client): check client_id and "
        f"client_secret (and that they belong to the {environment} environment). "
        f"(intuit_tid={exc.intuit_tid or '-'})"
    )
