"""The transport core of the QuickBooks client: one request, sent well.

Every call of :class:`~target_quickbooks.qbo.client.QuickBooksClient` ends in
:meth:`QuickBooksTransport._request`, which owns what each call needs and none
should repeat: ``minorversion``, the bearer token (refreshed once on a 401),
client-side throttling, retries with exponential backoff and full jitter for
429/5xx/lost connections (resending the same ``requestid`` so QuickBooks replays
rather than duplicates), translation of Faults into exceptions, and the counters
of the run summary. It is kept apart from the query, write and batch helpers so
that the retry rules can be read (and changed) in one place.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

import requests
from requests.adapters import HTTPAdapter

from target_quickbooks.qbo.auth import AUTHORIZE_HINT, QuickBooksAuth
from target_quickbooks.qbo.errors import (
    AuthError,
    QuickBooksError,
    QuickBooksFault,
    RealmMismatchError,
    ThrottledError,
    TransientError,
    fault_from_dict,
    header,
    parse_fault,
)
from target_quickbooks.qbo.ratelimit import RateLimiter
from target_quickbooks.qbo.redact import install_redaction

__all__ = ["QuickBooksTransport"]

_BASE_URLS = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com/v3",
    "production": "https://quickbooks.api.intuit.com/v3",
}
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass
class _Response:
    data: dict[str, Any]
    intuit_tid: str | None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class QuickBooksTransport:
    """Sends requests to one QuickBooks company (realm); safe to share between threads.

    The base of :class:`~target_quickbooks.qbo.client.QuickBooksClient`: the
    helpers that build queries, writes and batches all inherit it and call
    :meth:`_request`, so none of them handles auth, throttling or retries.
    """

    def __init__(
        self,
        *,
        realm_id: str,
        api_url: str,
        auth: QuickBooksAuth,
        minor_version: int = 75,
        limiter: RateLimiter | None = None,
        max_workers: int = 4,
        max_retries: int = 6,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        timeout: float = 120.0,
        logger: logging.Logger | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "target-quickbooks",
    ) -> None:
        """Configure the client; nothing is sent until a method is called.

        Args:
            realm_id: QuickBooks company id.
            api_url: v3 base URL (see :meth:`base_url_for`, or the emulator's ``api_url``).
            auth: source of access tokens.
            minor_version: ``minorversion`` sent with every request (75 minimum).
            limiter: client-side rate limiter; a default one (QuickBooks' limits) if omitted.
            max_workers: batch chunks sent concurrently.
            max_retries: retries after the first attempt for 429/5xx/transport errors.
            backoff_base: first backoff ceiling in seconds (doubles per retry).
            backoff_max: largest backoff ceiling in seconds.
            timeout: seconds to wait for QuickBooks (it gives up at 120 s itself).
            logger: where errors are logged (tokens masked).
            session: requests session to use (tests, connection reuse).
            sleep: sleep used for backoff (tests pass a fake).
            user_agent: ``User-Agent`` header.
        """
        if max_workers < 1 or max_retries < 0:
            raise ValueError("max_workers must be >= 1 and max_retries >= 0")
        self.realm_id = str(realm_id)
        self.api_url = api_url.rstrip("/")
        self.base = f"{self.api_url}/company/{self.realm_id}"
        self.auth = auth
        self.minor_version = max(75, int(minor_version))
        self.limiter = limiter or RateLimiter()
        self.max_workers = max_workers
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.timeout = timeout
        self.logger = logger or logging.getLogger("target_quickbooks.qbo.client")
        self._sleep = sleep
        self._random = random.Random()
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(max_workers, 2) + 2)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._user_agent = user_agent
        self._stats_lock = threading.Lock()
        self._by_kind: Counter[str] = Counter()
        self._counters: Counter[str] = Counter()
        install_redaction([self.logger, logging.getLogger("urllib3")])

    # ------------------------------------------------------------------ basics

    @classmethod
    def base_url_for(cls, environment: str) -> str:
        """The v3 API base URL of ``sandbox`` or ``production``."""
        try:
            return _BASE_URLS[environment]
        except KeyError:
            raise ValueError(
                f"environment must be 'sandbox' or 'production', got {environment!r}"
            ) from None

    def stats(self) -> dict[str, Any]:
        """Counters for the run summary and the benchmark.

        Returns:
            ``requests`` (HTTP attempts), ``by_kind`` (attempts per call kind),
            ``retries``, ``throttled`` (429s), ``refreshes`` (401-triggered),
            ``errors`` (error responses and transport failures), ``batch_items``,
            ``item_faults`` and ``limiter_wait_seconds``.
        """
        with self._stats_lock:
            counters = dict(self._counters)
            by_kind = dict(self._by_kind)
        return {
            "requests": sum(by_kind.values()),
            "by_kind": by_kind,
            "retries": counters.get("retries", 0),
            "throttled": counters.get("throttled", 0),
            "refreshes": counters.get("refreshes", 0),
            "errors": counters.get("errors", 0),
            "batch_items": counters.get("batch_items", 0),
            "item_faults": counters.get("item_faults", 0),
            "limiter_wait_seconds": round(self.limiter.waited_seconds, 3),
        }

    def close(self) -> None:
        """Close the HTTP session's pooled connections."""
        self.session.close()

    def _count(self, name: str, amount: int = 1) -> None:
        with self._stats_lock:
            self._counters[name] += amount

    # --------------------------------------------------------------- transport

    def _backoff(self, retry: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (retry - 1))
        return self._random.uniform(0, ceiling)

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        kind: str,
        params: str,
        json_body: Any,
        text_body: str | None,
        limiter_kind: str,
    ) -> tuple[str, requests.Response]:
        # Get the token before taking a slot: a refresh inside the slot would delay the request
        # past the start time the limiter recorded, and QuickBooks counts arrivals.
        self.auth.access_token()
        with self.limiter.slot("batch" if limiter_kind == "batch" else "request"):
            token = self.auth.access_token()  # cached; refreshes only if it expired meanwhile
            headers = {
                "Accept": "application/json",
                "Authorization": f"Bearer {token}",
                "User-Agent": self._user_agent,
            }
            data: bytes | None = None
            if text_body is not None:
                headers["Content-Type"] = "application/text"
                data = text_body.encode("utf-8")
            with self._stats_lock:
                self._by_kind[kind] += 1
            response = self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                data=data,
                headers=headers,
                timeout=self.timeout,
            )
            return token, response

    def _request(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        text_body: str | None = None,
        request_id: str | None = None,
        limiter_kind: str = "request",
    ) -> _Response:
        """Send one logical request with auth, throttling, retries and Fault translation."""
        url = f"{self.base}{path}"
        all_params = {"minorversion": str(self.minor_version), **(params or {})}
        if request_id is not None:
            all_params["requestid"] = request_id
        # Spaces as %20 (not '+'), as Intuit's own SDKs encode query statements.
        encoded_params = urlencode(all_params, quote_via=quote)
        what = f"{method} {path}" + (f" (requestid={request_id})" if request_id else "")
        attempts = self.max_retries + 1
        history: list[str] = []
        last_fault: QuickBooksFault | None = None
        last_throttled = False
        refreshed = False
        attempt = 0
        while attempt < attempts:
            attempt += 1
            try:
                token, response = self._send_once(
                    method,
                    url,
                    kind=kind,
                    params=encoded_params,
                    json_body=json_body,
                    text_body=text_body,
                    limiter_kind=limiter_kind,
                )
            except _TRANSPORT_ERRORS as exc:
                self._count("errors")
                history.append(type(exc).__name__)
                last_throttled = False
                self._pause_before_retry(what, type(exc).__name__, attempt, attempts)
                continue
            status = response.status_code
            if 200 <= status < 300:
                try:
                    data = response.json()
                except ValueError:
                    self._count("errors")
                    history.append(f"HTTP {status} with an unreadable body")
                    last_throttled = False
                    self._pause_before_retry(
                        what, f"HTTP {status} body is not JSON", attempt, attempts
                    )
                    continue
                tid = header(response.headers, "intuit_tid")
                fault = data.get("Fault") if isinstance(data, dict) else None
                if isinstance(fault, dict):
                    raise self._logged(fault_from_dict(fault, status=status, intuit_tid=tid), what)
                if not isinstance(data, dict):
                    raise QuickBooksError(f"QuickBooks {what}: unexpected response {data!r:.200}")
                return _Response(data=data, intuit_tid=tid)

            self._count("errors")
            fault = parse_fault(status, response.content, response.headers)
            last_fault = fault
            if status == 401:
                if refreshed:
                    self._logged(fault, what)
                    raise AuthError(
                        f"QuickBooks rejected a freshly refreshed access token for company "
                        f"{self.realm_id}: {fault.describe()}. The app may have been "
                        f"disconnected from the company. {AUTHORIZE_HINT}"
                    )
                self.logger.warning(
                    "QuickBooks %s: access token rejected (%s); refreshing it and retrying once",
                    what,
                    fault.describe(),
                )
                refreshed = True
                self._count("refreshes")
                self.auth.refresh(failed_token=token)
                attempt -= 1  # a refresh is not a retry: the request is sent again as is
                continue
            if status == 403 and fault.has_code("3100"):
                self._logged(fault, what)
                raise RealmMismatchError(
                    f"Company (realm_id) {self.realm_id} is not reachable at {self.api_url}: "
                    f"QuickBooks says {fault.describe()}. The realm belongs to the other "
                    "environment: set `environment` to 'sandbox' for a sandbox company or "
                    "'production' for a real one (and use that environment's app keys).",
                    fault,
                )
            if status == 429:
                self._count("throttled")
                last_throttled = True
                retry_after = _retry_after(header(response.headers, "Retry-After"))
                history.append(f"HTTP 429 code {fault.code}")
                if attempt < attempts:
                    pause = self.limiter.penalize(retry_after)
                    self.logger.warning(
                        "QuickBooks %s throttled: %s (attempt %d/%d); pausing all requests %.1fs",
                        what,
                        fault.describe(),
                        attempt,
                        attempts,
                        pause,
                    )
                    self._count("retries")
                continue
            if status in _RETRY_STATUSES:
                last_throttled = False
                history.append(f"HTTP {status}")
                self._pause_before_retry(what, fault.describe(), attempt, attempts)
                continue
            raise self._logged(fault, what)

        summary = ", ".join(history)
        tid = (
            f"; last intuit_tid={last_fault.intuit_tid}"
            if last_fault and last_fault.intuit_tid
            else ""
        )
        error_class = ThrottledError if last_throttled else TransientError
        reason = "throttled (429)" if last_throttled else "failed"
        error = error_class(
            f"QuickBooks {what} {reason} after {attempts} attempts ({summary}){tid}",
            attempts=attempts,
            history=history,
            last_fault=last_fault,
        )
        self.logger.warning("%s", error)
        raise error

    def _pause_before_retry(self, what: str, reason: str, attempt: int, attempts: int) -> None:
        """Log a failed attempt and sleep a jittered backoff, unless it was the last one."""
        if attempt >= attempts:
            return
        delay = self._backoff(attempt)
        self.logger.warning(
            "QuickBooks %s: %s (attempt %d/%d); retrying in %.1fs",
            what,
            reason,
            attempt,
            attempts,
            delay,
        )
        self._count("retries")
        self._sleep(delay)

    def _logged(self, fault: QuickBooksFault, what: str) -> QuickBooksFault:
        self.logger.warning("QuickBooks %s failed: %s", what, fault.describe())
        return fault
