"""``authorize``: Intuit's consent step, done from a terminal.

The hosted integration "redirects you to the QuickBooks authentication page".
Here the command prints (and opens when it can) Intuit's consent URL, receives
the redirect on a loopback port, trades the one-time code for tokens with
intuit-oauth, stores the refresh token in the token store (the target reads the
store before its config, so rotation survives Meltano's regenerated config) and
prints the ``realm_id`` to configure.
"""

from __future__ import annotations

import secrets
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from target_quickbooks.admin.pasted import read_pasted
from target_quickbooks.qbo import QuickBooksAuth, TokenStore
from target_quickbooks.settings import DEFAULT_TOKEN_STORE

DEFAULT_REDIRECT_URI = "http://localhost:8123/callback"


class AuthorizeError(Exception):
    """The consent flow did not complete."""


@dataclass
class Redirect:
    """What Intuit sent back to the redirect URI."""

    code: str | None = None
    realm_id: str | None = None
    state: str | None = None
    error: str | None = None


def _is_loopback(redirect_uri: str) -> bool:
    return urlsplit(redirect_uri).hostname in {"localhost", "127.0.0.1"}


def _callback_server(redirect_uri: str, received: Redirect, done: threading.Event) -> HTTPServer:
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
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            received.code = query.get("code")
            received.realm_id = query.get("realmId")
            received.state = query.get("state")
            received.error = query.get("error")
            body = ("QuickBooks authorization received; you can close this window."
                    if received.code else "QuickBooks authorization failed; see the terminal.")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())
            done.set()

        def log_message(self, *args: Any) -> None:
            """Keep the code and state out of the terminal."""

    return HTTPServer(("127.0.0.1", parts.port or 80), Handler)


_take_lock = threading.Lock()


def _take_pasted(query: dict[str, str], received: Redirect, done: threading.Event) -> None:
    """Fill ``received`` from a pasted URL unless the loopback redirect came first."""
    with _take_lock:
        if done.is_set():
            return
        received.code = query.get("code")
        received.realm_id = query.get("realmId")
        received.state = query.get("state")
        received.error = query.get("error")
        done.set()


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
    state = secrets.token_urlsafe(24)
    received, done = Redirect(), threading.Event()
    paste = not open_browser
    server = (_callback_server(redirect_uri, received, done)
              if _is_loopback(redirect_uri) or not paste else None)
    if server is not None:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = auth.authorization_url(state)
        echo("Open this URL, sign in to QuickBooks and pick the company to connect:")
        echo(url)
        if server is not None:
            echo(f"Waiting for Intuit's redirect on {redirect_uri} ...")
        if paste:
            echo("Or paste here the URL the browser was redirected to (it starts with "
                 f"{redirect_uri}?code=), then press Enter:")
            read_pasted(readline or sys.stdin.readline,
                        lambda query: _take_pasted(query, received, done))
        else:
            webbrowser.open(url)
        if not done.wait(timeout):
            msg = f"no redirect reached {redirect_uri} within {timeout:.0f} s; run authorize again"
            raise AuthorizeError(msg)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    if received.state != state:
        msg = ("the redirect's state does not match this request (possible CSRF); "
               "run authorize again")
        raise AuthorizeError(msg)
    if received.error or not received.code or not received.realm_id:
        msg = f"Intuit did not grant access ({received.error or 'no code in the redirect'})"
        raise AuthorizeError(msg)
    auth.exchange_code(received.code, received.realm_id)
    echo(f"Authorized. The refresh token is stored in {store.path} (mode 0600).")
    echo(f"realm_id: {received.realm_id}")
    if str(config.get("realm_id") or "") != received.realm_id:
        echo(f"Set it with: meltano config set target-quickbooks realm_id {received.realm_id}")
    return received.realm_id
