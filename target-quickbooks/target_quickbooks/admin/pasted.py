"""The redirect of Intuit's consent page, pasted back by hand (``authorize --no-browser``).

On a headless server nothing listens where the browser lands: the browser runs
on the operator's laptop and Intuit redirects it to the registered redirect
URI, which may not load at all. The address bar still holds the one-time code,
the realm id and the state, so the operator copies that URL into the terminal
and this module reads them from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit


def parse_redirect(url: str) -> dict[str, str]:
    """``code``, ``realmId``, ``state`` and ``error`` from a redirected URL's query."""
    query = urlsplit(url.strip()).query
    return {key: values[0] for key, values in parse_qs(query).items()}


def read_pasted(
    readline: Callable[[], str], on_url: Callable[[dict[str, str]], object]
) -> threading.Thread:
    """Read lines in the background until one holds a code or an error; hand it over.

    Blank lines and lines without a query are ignored (a stray Enter), end of
    input stops the reader: the loopback redirect, when there is one, may
    still arrive.
    """

    def run() -> None:
        while True:
            line = readline()
            if not line:
                return
            query = parse_redirect(line)
            if "code" in query or "error" in query:
                on_url(query)
                return

    thread = threading.Thread(target=run, daemon=True, name="authorize-paste")
    thread.start()
    return thread
