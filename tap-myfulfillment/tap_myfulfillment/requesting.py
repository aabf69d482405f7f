"""The HTTP side of a myFulfillment stream: auth per request, retries, answers.

The SDK's request machinery (``request_decorator``, ``_request``) sends every
call; this base class plugs in myFulfillment's specifics through the SDK hooks:

* ``authenticator`` / ``_request``: bearer token from ``/auth/token``, one fresh
  login and one retry on a 401;
* ``validate_response`` / ``backoff_*``: retry rate limiting (HTTP 400
  ``Too Many Attempts.``, 429) and 500/502/503/504 with exponential backoff and
  jitter; other 4xx fail with the server's message.

Paging lives in ``listing``, the incremental read in ``client``.
"""

from __future__ import annotations

import random
import typing as t
from decimal import Decimal

import backoff
import requests
from singer_sdk.streams import RESTStream
from typing_extensions import override

from tap_myfulfillment.errors import (
    CREDENTIALS_HINT,
    MyFulfillmentAuthError,
    UnauthorizedError,
    raise_for_response,
)
from tap_myfulfillment.normalize import RecordFormatError

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_myfulfillment.auth import MyFulfillmentAuthenticator

DEFAULT_PAGE_SIZE = 100


class MyFulfillmentRequests(RESTStream[int]):
    """Sends myFulfillment requests: login, retries, error classification."""

    #: Retry tuning. Defaults wait about 1+2+4+8+16+30+30 s (with jitter) before
    #: giving up, long enough for myFulfillment's one-minute rate-limit window.
    #: Tests lower ``retry_base_seconds`` to 0.
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 30.0
    retry_max_tries: int = 8
    #: Per-request timeout in seconds.
    request_timeout: int = 120

    @property
    @override
    def url_base(self) -> str:
        """The ``base_url`` setting, e.g. ``https://fr3.myfulfillment.boostmyshop.com/api``."""
        return str(self.config["base_url"]).rstrip("/")

    @property
    @override
    def timeout(self) -> int:
        """Request timeout in seconds."""
        return self.request_timeout

    @property
    def page_size(self) -> int:
        """The ``page_size`` setting (records per request)."""
        return int(self.config.get("page_size") or DEFAULT_PAGE_SIZE)

    @property
    @override
    def authenticator(self) -> MyFulfillmentAuthenticator:
        """The tap-wide authenticator, so one login serves every stream."""
        return self._tap.authenticator  # type: ignore[attr-defined, no-any-return]

    @property
    @override
    def http_headers(self) -> dict:
        """Ask for JSON answers."""
        return {**super().http_headers, "Accept": "application/json"}

    @override
    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        """Prepare the request without authenticating it yet.

        The SDK authenticates again in ``_request``, inside the backoff decorator;
        doing it only there means the login itself is retried on rate limiting.

        Returns:
            The prepared, not yet authenticated request.
        """
        kwargs["headers"] = {"User-Agent": self.user_agent, **(kwargs.get("headers") or {})}
        request = requests.Request(*args, **kwargs)
        return self.requests_session.prepare_request(request)

    @override
    def _request(
        self,
        prepared_request: requests.PreparedRequest,
        context: Context | None,
    ) -> requests.Response:
        """Send a request; on a 401, log in again once and resend.

        Args:
            prepared_request: The request.
            context: Stream context.

        Returns:
            The successful response.

        Raises:
            MyFulfillmentAuthError: a freshly issued token was refused too.
        """
        try:
            return super()._request(prepared_request, context)
        except UnauthorizedError:
            self.logger.info("Token refused on %s; logging in again", self.path)
            self.authenticator.invalidate()
        try:
            return super()._request(prepared_request, context)
        except UnauthorizedError as exc:
            msg = (
                f"myFulfillment refused a freshly issued token on {self.path} (HTTP 401 twice): "
                f"the API user may lack access to this endpoint; {CREDENTIALS_HINT}."
            )
            raise MyFulfillmentAuthError(msg) from exc

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Classify the response (see ``tap_myfulfillment.errors.raise_for_response``).

        Args:
            response: The HTTP response.
        """
        raise_for_response(response)

    @override
    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Yield the ``data`` records, numbers parsed as ``Decimal``.

        Args:
            response: A list response.

        Yields:
            Each raw record.
        """
        body = response.json(parse_float=Decimal)
        data = body.get("data") if isinstance(body, dict) else None
        if data is None:
            return
        if not isinstance(data, list):
            msg = f"myFulfillment {self.path}: `data` is not a list in the answer"
            raise RecordFormatError(msg)
        yield from data

    @override
    def backoff_wait_generator(self) -> t.Generator[float, None, None]:
        """Exponential waits: base, 2*base, 4*base... capped at ``retry_max_seconds``."""
        return backoff.expo(
            base=2,
            factor=self.retry_base_seconds,
            max_value=self.retry_max_seconds,
        )

    @override
    def backoff_max_tries(self) -> int:
        """Attempts before giving up (the first try included)."""
        return self.retry_max_tries

    @override
    def backoff_jitter(self, value: float) -> float:
        """Wait between half and all of ``value`` so parallel runs spread out.

        Args:
            value: The exponential wait.

        Returns:
            The jittered wait in seconds.
        """
        return value * random.uniform(0.5, 1.0)

    def _send(
        self, context: Context | None, params: dict[str, t.Any], path: str | None = None
    ) -> requests.Response:
        """Send one GET of the listing with retries, re-login and request metrics.

        Args:
            context: Stream context.
            params: Query parameters.
            path: Another endpoint than the stream's (e.g. a lookup).

        Returns:
            The successful response.
        """
        prepared = self.build_prepared_request(
            method=self.http_method,
            url=self.url_base + path if path else self.get_url(context),
            params=params,
            headers=self.http_headers,
        )
        response = self.request_decorator(self._request)(prepared, context)
        self.update_sync_costs(prepared, response, context)
        return response
