"""Turn myFulfillment HTTP responses into the SDK's retriable / fatal errors.

One place decides what is worth retrying, so that the streams and the login call
agree: myFulfillment signals rate limiting with HTTP 400 ``Too Many Attempts.``
(not 429), and its errors are Laravel-shaped JSON ``{"message", "errors"}``.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import urlparse

import requests
from singer_sdk.exceptions import ConfigurationError, FatalAPIError, RetriableAPIError

#: Statuses retried with backoff (besides the 400 "Too Many Attempts." rate limit).
RETRYABLE_STATUSES: frozenset[int] = frozenset(
    {
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        HTTPStatus.BAD_GATEWAY,
        HTTPStatus.SERVICE_UNAVAILABLE,
        HTTPStatus.GATEWAY_TIMEOUT,
    }
)

RATE_LIMIT_TEXT = "too many attempts"

CREDENTIALS_HINT = (
    "check the `username` and `password` settings of tap-myfulfillment "
    "(the myFulfillment API user and its password)"
)


class MyFulfillmentAuthError(ConfigurationError):
    """The server refused the configured credentials (never retried)."""


class BaseUrlError(ConfigurationError):
    """``base_url`` is not the API root: the login route is missing or answers a web page."""


class UnauthorizedError(FatalAPIError):
    """A data call got HTTP 401: the token expired or was revoked.

    Raised by ``validate_response`` so that the stream can log in again once.
    """


def is_rate_limited(response: requests.Response) -> bool:
    """Tell whether a response is myFulfillment's rate limit answer.

    Args:
        response: The HTTP response.

    Returns:
        True for HTTP 400 with ``Too Many Attempts.`` and for HTTP 429.
    """
    if response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
        return True
    return (
        response.status_code == HTTPStatus.BAD_REQUEST
        and RATE_LIMIT_TEXT in server_message(response).lower()
    )


def server_message(response: requests.Response) -> str:
    """Extract the server's own explanation from an error response.

    Laravel answers ``{"message": "...", "errors": {"field": ["..."]}}``; plain
    text bodies (``Too Many Attempts.``, ``An error occurred``) are returned as is.

    Args:
        response: The HTTP response.

    Returns:
        A one-line message, possibly empty.
    """
    text = response.text.strip()
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return text[:500]
    if not isinstance(body, dict):
        return text[:500]
    parts: list[str] = []
    if body.get("message"):
        parts.append(str(body["message"]))
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts.extend(
            f"{field}: {'; '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for field, msgs in errors.items()
        )
    elif errors:
        parts.append(str(errors))
    return " | ".join(parts) if parts else text[:500]


def describe(response: requests.Response) -> str:
    """Describe a failed call without leaking secrets (no headers, no body of the request).

    Args:
        response: The HTTP response.

    Returns:
        ``"<METHOD> <path> returned <status> <reason>: <server message>"``.
    """
    method = response.request.method if response.request is not None else "GET"
    path = urlparse(response.url).path
    message = server_message(response) or "(empty body)"
    return (
        f"myFulfillment {method} {path} returned {response.status_code} "
        f"{response.reason or ''}: {message}".replace("  ", " ")
    )


def raise_for_response(response: requests.Response) -> None:
    """Raise the SDK error matching a response, or return for a success.

    Args:
        response: The HTTP response.

    Raises:
        RetriableAPIError: rate limiting, 5xx gateway/server errors.
        UnauthorizedError: HTTP 401 (the caller decides whether to log in again).
        FatalAPIError: any other 4xx, with the server's message.
    """
    status = response.status_code
    if status < HTTPStatus.BAD_REQUEST:
        return
    if is_rate_limited(response) or status in RETRYABLE_STATUSES or status >= 500:
        raise RetriableAPIError(describe(response), response)
    if status == HTTPStatus.UNAUTHORIZED:
        raise UnauthorizedError(describe(response))
    raise FatalAPIError(describe(response))


class ListingChangedError(FatalAPIError):
    """A listing kept changing under the tap, so a complete read was impossible.

    Raised before any record of the stream is emitted, so the bookmark does not
    move and the next run reads the same range again.
    """


class ListingPageError(FatalAPIError):
    """A page of a listing stayed empty or short before its ``meta.total``, retries included.

    Raised before any record of the stream is emitted, so the bookmark does not
    move past the records that page should have held.
    """
