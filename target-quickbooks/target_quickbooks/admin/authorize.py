"""``authorize``: Intuit's consent step, done from a terminal.

The hosted integration "redirects you to the QuickBooks authentication page".
Here the command prints (and opens when it can) Intuit's consent URL, receives
the redirect on a loopback port, trades the one-time code for tokens with
intuit-oauth before it answers the browser (the page tells the outcome),
stores the refresh token in the token store (the target reads the
store before its config, so rotation survives Meltano's regenerated config) and
prints the ``realm_id`` to configure.
"""

from __future__ import annotations

import secrets
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from target_quickbooks.admin.authorize_outcome import Outcome, failure_kind
from target_quickbooks.admin.pasted import parse_redirect, read_pasted
from target_quickbooks.qbo import QuickBooksAuth, QuickBooksError, TokenStore
from target_quickbooks.settings import DEFAULT_TOKEN_STORE

DEFAULT_REDIRECT_URI = "http://localhost:8123/callback"


class AuthorizeError(Exception):
    """The consent flow did not complete."""


class _Flow:
    """One consent: the first redirect that arrives (loopback or pasted) is exchanged.

    The exchange happens before the browser gets its answer, so the page tells the
    outcome (connected, or the cause and the fix), never a premature "received".
    """

    def __init__(self, auth: QuickBooksAuth, state: str) -> None:
        self.auth, self.state = auth, state
        self.done = threading.Event()
        self.outcome: Outcome | None = None
        self._lock = threading.Lock()

    def finish(self, query: Mapping[str, str]) -> Outcome:
        """Check the redirect, trade its code for tokens; the first redirect's outcome wins."""
        with self._lock:
            if self.outcome is None:
                self.outcome = self._exchange(query)
                self.done.set()
            return self.outcome

    def _exchange(self, query: Mapping[str, str]) -> Outcome:
        if query.get("state") != self.state:
            return Outcome(cause="the redirect's state does not match this request "
                                 "(possible CSRF)", kind="state")
        error, code, realm_id = query.get("error"), query.get("code"), query.get("realmId")
        if error or not code or not realm_id:
            cause = f"Intuit did not grant access ({error or 'no code in the redirect'})"
            return Outcome(cause=cause, kind=error or None)
        try:
            self.auth.exchange_code(code, realm_id)
        except QuickBooksError as exc:
            return Outcome(cause=str(exc).rstrip("."), kind=failure_kind(str(exc)))
        return Outcome(realm_id=realm_id)


def _is_loopback(redirect_uri: str) -> bool:
    return urlsplit(redirect_uri).hostname in {"localhost", "127.0.0.1"}


def _callback_server(redirect_uri: str, flow: _Flow) -> HTTPServer:
    """A one-shot HTTP server on the redirect URI's loopback port."""
    parts = urlsplit(redirect_uri)
    if not _is_loopback(redirect_uri):
        msg = (f"redirect URI {redirect_uri} is not on this machine; use a "
               "http://localhost:<port>/<path> URI registered on the Intuit app, "
               "or --no-browser to paste the redirected URL back")
        raise AuthorizeError(msg)
    path = parts.path or "/"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != path:
                self.send_error(404)
                return
            outcome = flow.finish(parse_redirect(self.path))
            body = outcome.page().encode()
            self.send_response(200 if outcome.ok else 400)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            """Keep the code and state out of the terminal."""

    return HTTPServer(("127.0.0.1", parts.port or 80), Handler)


def authorize(
    config: Mapping[str, Any],
    *,
    redirect_uri: str = DEFAULT_REDIRECT_URI,
    open_browser: bool = True,
    timeout: float = 300.0,
    echo: Callable[[str], None] = print,
    readline: Callable[[], str] | None = None,
) -> str:
    """Run the consent flow; return the authorized realm id.

    Without a browser (``open_browser=False``) the redirected URL can also be
    pasted back (read with ``readline``, standard input by default): the way
    to authorize on a headless server, or with a redirect URI that is not a
    loopback one. Whichever arrives first, the loopback redirect or the
    pasted URL, is used.

    Raises:
        AuthorizeError: no redirect came, or Intuit refused: the cause and the fix.
    """
    store = TokenStore(Path(config.get("token_store_path") or DEFAULT_TOKEN_STORE))
    auth = QuickBooksAuth(
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        refresh_token=None,
        realm_id=str(config.get("realm_id") or ""),
        environment=str(config.get("environment") or "sandbox"),
        discovery_url=config.get("oauth_discovery_url"),
        token_store=store,
        redirect_uri=redirect_uri,
    )
    flow = _Flow(auth, secrets.token_urlsafe(24))
    paste = not open_browser
    server = (_callback_server(redirect_uri, flow)
              if _is_loopback(redirect_uri) or not paste else None)
    if server is not None:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = auth.authorization_url(flow.state)
        echo("Open this URL, sign in to QuickBooks and pick the company to connect:")
        echo(url)
        if server is not None:
            echo(f"Waiting for Intuit's redirect on {redirect_uri} ...")
        if paste:
            echo("Or paste here the URL the browser was redirected to (it starts with "
                 f"{redirect_uri}?code=), then press Enter:")
            read_pasted(readline or sys.stdin.readline, flow.finish)
        else:
            webbrowser.open(url)
        if not flow.done.wait(timeout):
            msg = f"no redirect reached {redirect_uri} within {timeout:.0f} s; run authorize again"
            raise AuthorizeError(msg)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    outcome = flow.outcome
    if outcome is None or not outcome.ok:
        raise AuthorizeError(outcome.terminal() if outcome else "authorization failed")
    realm_id = str(outcome.realm_id)
    echo(outcome.terminal())
    echo(f"Authorized. The refresh token is stored in {store.path} (mode 0600).")
    echo(f"realm_id: {realm_id}")
    if str(config.get("realm_id") or "") != realm_id:
        echo(f"Set it with: meltano config set target-quickbooks realm_id {realm_id}")
    return realm_id
