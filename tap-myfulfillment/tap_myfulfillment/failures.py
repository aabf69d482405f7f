"""Why a run stopped, as one last line: the cause and the fix.

A person reading a failed run looks at its last line. Without this module that
line was the end of a Python traceback (``requests.exceptions.ConnectionError:
HTTPConnectionPool(host=..., port=...): Max retries exceeded ...``), which names
neither the setting to change nor what to do. ``explain`` turns the failures an
operator can fix (credentials, ``base_url``, a server that cannot be reached,
a server that keeps failing) into one sentence; anything else (a bug) is left
alone and keeps its traceback.
"""

from __future__ import annotations

import errno
import ssl
from urllib.parse import urlsplit, urlunsplit

import requests
from singer_sdk.exceptions import ConfigurationError, FatalAPIError, RetriableAPIError
from urllib3.exceptions import NameResolutionError, NewConnectionError

from tap_myfulfillment.normalize import RecordFormatError

#: How to change a setting, for the fix part of the messages.
SET_BASE_URL = "meltano config set tap-myfulfillment base_url <url>"


def shown_url(url: str) -> str:
    """``url`` without any user or password in it (they never reach the logs)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def base_url_fix(base_url: str) -> str:
    """The fix for a ``base_url`` that is not the API root, with the likely right value."""
    current = shown_url(base_url).rstrip("/")
    if not current.endswith("/api"):
        guess = f"{current}/api"
        return (f"set `base_url` to the API root, ending in /api: probably {guess} "
                f"(`{SET_BASE_URL.replace('<url>', guess)}`)")
    return ("set `base_url` to your server's API root, ending in /api, e.g. "
            "https://fr3.myfulfillment.boostmyshop.com/api (ask Boostmyshop for your server)")


def _chain(error: BaseException) -> list[BaseException]:
    """``error``, its causes and the errors wrapped in its arguments (requests nests them)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if any(current is known for known in seen):
            continue
        seen.append(current)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
    return seen


def _target(chain: list[BaseException]) -> str | None:
    """The URL the failed request went to (requests keeps it on its exceptions)."""
    for error in chain:
        request = getattr(error, "request", None)
        url = getattr(request, "url", None)
        if isinstance(url, str) and url:
            return url
    return None


def _unreachable(error: BaseException, tries: int) -> str | None:
    """Cause and fix of a request that never got an answer, or None."""
    chain = _chain(error)
    url = _target(chain)
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    where = f"myFulfillment at {parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    after = f", after {tries} tries" if tries > 1 else ""
    if any(isinstance(e, NameResolutionError) for e in chain):
        return (f"cannot reach {where}: the host name {host!r} cannot be resolved (DNS){after}. "
                "Fix: check the host in `base_url` for a typo, and that this machine can "
                "resolve names (network, DNS, proxy)")
    if any(isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED
           for e in chain):
        return (f"cannot reach {where}: connection refused, nothing listens on {host} port "
                f"{port}{after}. Fix: check the host and port in `base_url`, and that the "
                "server is up")
    if any(isinstance(e, ssl.SSLError | requests.exceptions.SSLError) for e in chain):
        return (f"cannot reach {where}: the secure connection (TLS) failed{after}. Fix: check "
                "that `base_url` uses https:// for a TLS server and http:// otherwise, and "
                "that this machine trusts the server's certificate")
    if any(isinstance(e, requests.exceptions.Timeout) for e in chain):
        return (f"no answer from {where} in time{after}. Fix: check the host and port in "
                "`base_url` and that no firewall or proxy blocks the way; if the server is "
                "only slow, run again later")
    if any(isinstance(e, requests.exceptions.ConnectionError | NewConnectionError)
           for e in chain):
        return (f"cannot reach {where}: the connection failed ({type(error).__name__})"
                f"{after}. Fix: check the host and port in `base_url` and the network, then "
                "run again")
    return None


def explain(error: BaseException, *, tries: int) -> str | None:
    """One line saying why the run stopped and what to do, or None for a bug.

    Args:
        error: What stopped the run.
        tries: Attempts each request gets (the retries already made).

    Returns:
        ``"tap-myfulfillment stopped: <cause>. Fix: <fix>"``-like text, or None
        when the error is not one an operator can fix (the traceback then stays).
    """
    if isinstance(error, ConfigurationError):  # credentials, base_url: phrased at the source
        return f"tap-myfulfillment stopped: {error}"
    unreachable = _unreachable(error, tries)
    if unreachable is not None:
        return f"tap-myfulfillment stopped: {unreachable}"
    if isinstance(error, RetriableAPIError):
        return (f"tap-myfulfillment stopped: {error}, {tries} times. Fix: nothing to change "
                "here; run the sync again later (it resumes from the saved bookmarks), and "
                "if this persists, send this message to Boostmyshop")
    if isinstance(error, FatalAPIError | RecordFormatError):
        return f"tap-myfulfillment stopped: {error}"
    return None
