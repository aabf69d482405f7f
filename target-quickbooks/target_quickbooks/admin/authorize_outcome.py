"""The outcome of Intuit's redirect, told the same way in the browser and the terminal.

The browser page is answered only once Intuit has accepted (or refused) the
code, so it never says "received" for a connection that then fails. Each
failure names its cause and the fix; nothing secret (code, tokens, client
secret) is ever put in either message.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

#: The fix of each OAuth error Intuit answers, by error code.
_FIXES = {
    "invalid_client": (
        "the app's client_id or client_secret is not the one of the Intuit app, or belongs "
        "to the other environment (Development keys go with sandbox, Production keys with "
        "production). Copy both from the Intuit developer portal (your app, Keys & "
        "credentials), set them with `meltano config set target-quickbooks client_id ...` "
        "and `meltano config set target-quickbooks client_secret '...'`, check "
        "`environment`, then run authorize again"),
    "invalid_grant": (
        "the code expired, was already used, or the redirect URI differs from the one "
        "registered on the Intuit app. Run authorize again (codes last minutes and are "
        "single-use); pass the registered URI exactly with --redirect-uri"),
    "access_denied": (
        "access was declined on Intuit's page. Run authorize again and choose Connect "
        "(you need to be an admin of the QuickBooks company)"),
    "state": (
        "the redirect does not belong to this authorize command (its state differs: an "
        "older consent page, or a forged link). Run authorize again and use the new URL"),
}
_DEFAULT_FIX = "run authorize again; if it keeps failing, see docs/go-live.md"


@dataclass(frozen=True)
class Outcome:
    """What Intuit's redirect led to: the connected realm, or why it failed."""

    realm_id: str | None = None
    #: The cause, as Intuit or the client library said it (no secret in it).
    cause: str | None = None
    #: Which entry of the fixes applies: an OAuth error code, or ``state``.
    kind: str | None = None

    @property
    def ok(self) -> bool:
        """True when Intuit accepted the code and the tokens are stored."""
        return self.cause is None and self.realm_id is not None

    @property
    def fix(self) -> str:
        """What to do about the failure."""
        return _FIXES.get(self.kind or "", _DEFAULT_FIX)

    def terminal(self) -> str:
        """One message for the terminal: the cause, then the fix."""
        if self.ok:
            return f"QuickBooks company {self.realm_id} connected."
        return f"authorization failed: {self.cause}. Fix: {self.fix}."

    def page(self) -> str:
        """The HTML page the browser shows once the exchange is done."""
        if self.ok:
            title = "QuickBooks connected"
            body = (f"<p>QuickBooks company {html.escape(str(self.realm_id))} is connected; "
                    "the refresh token is stored. You can close this window.</p>")
        else:
            title = "QuickBooks authorization failed"
            body = (f"<p><strong>Cause:</strong> {html.escape(str(self.cause))}</p>"
                    f"<p><strong>Fix:</strong> {html.escape(self.fix)}.</p>"
                    "<p>The terminal says the same.</p>")
        return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>"
                f"</head><body><h1>{title}</h1>{body}</body></html>")


def failure_kind(message: str) -> str | None:
    """The OAuth error code a client error's message names, if it is one we have a fix for."""
    return next((code for code in ("invalid_client", "invalid_grant", "access_denied")
                 if code in message), None)
