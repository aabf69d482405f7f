"""Bearer-token login for myFulfillment (``POST /auth/token``).

The token lifetime is undocumented, so the token is fetched lazily, kept for the
whole run (one login shared by every stream) and dropped when a call answers 401;
the stream then logs in again once (see ``MyFulfillmentStream._request``).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from singer_sdk.authenticators import APIAuthenticatorBase
from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

from tap_myfulfillment.errors import (
    CREDENTIALS_HINT,
    BaseUrlError,
    MyFulfillmentAuthError,
    describe,
    raise_for_response,
    server_message,
)
from tap_myfulfillment.failures import base_url_fix, shown_url

#: Login answers that mean ``base_url`` is not the API root (no such route there).
WRONG_ROUTE_STATUSES = frozenset({HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED})

LOGGER = logging.getLogger(__name__)


class MyFulfillmentAuthenticator(APIAuthenticatorBase):
    """Log in with username/password and send ``Authorization: Bearer <token>``."""

    def __init__(
        self,
        *,
        token_url: str,
        username: str,
        password: str,
        timeout: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        """Keep the credentials; no network call happens before the first request.

        Args:
            token_url: Full URL of ``/auth/token``.
            username: The ``username`` setting.
            password: The ``password`` setting (never logged).
            timeout: Login request timeout in seconds.
            session: HTTP session to reuse (connection pooling).
        """
        super().__init__()
        self.token_url = token_url
        self._username = username
        self._password = password
        self._timeout = timeout
        self._session = session or requests.Session()
        self._token: str | None = None
        #: Number of successful logins in this run (useful for logs and tests).
        self.login_count = 0

    def __repr__(self) -> str:
        """Show the login URL and user, never the password or token."""
        return f"{type(self).__name__}(token_url={self.token_url!r}, username={self._username!r})"

    @property
    def has_token(self) -> bool:
        """Whether a token is currently held."""
        return self._token is not None

    def invalidate(self) -> None:
        """Forget the token so that the next request logs in again."""
        self._token = None

    def log_in(self) -> None:
        """Fetch a new token.

        Raises:
            MyFulfillmentAuthError: the server refused the credentials (401/403).
            BaseUrlError: there is no login route at ``base_url`` (404/405 or a web page).
            FatalAPIError: the login answer has no token.
        """
        if not self._username or not self._password:
            msg = f"myFulfillment login needs credentials: {CREDENTIALS_HINT}."
            raise MyFulfillmentAuthError(msg)
        response = self._session.post(
            self.token_url,
            json={"username": self._username, "password": self._password},
            headers={"Accept": "application/json"},
            timeout=self._timeout,
        )
        if response.status_code in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}:
            said = server_message(response)
            msg = (
                f"myFulfillment refused the login of user {self._username!r} "
                f"(HTTP {response.status_code}{': ' + said if said else ''}): wrong username "
                f"or password. Fix: {CREDENTIALS_HINT}, e.g. `meltano config set "
                "tap-myfulfillment password '<password>'`"
            )
            raise MyFulfillmentAuthError(msg)
        self._check_route(response)
        raise_for_response(response)
        try:
            token = response.json().get("token")
        except (ValueError, AttributeError):
            token = None
        if not token or not isinstance(token, str):
            msg = f"{describe(response)} (the login answer has no `token`)"
            raise FatalAPIError(msg)
        self._token = token
        self.login_count += 1
        LOGGER.info("Logged in to myFulfillment as %r", self._username)

    def _check_route(self, response: requests.Response) -> None:
        """Refuse a login answer that shows ``base_url`` is not the API root.

        Without ``/api`` the login path lands on the web application: a 404
        (``The route auth/token could not be found.``), a 405, or a web page (the
        POST redirected to a login form). Each would otherwise end in a message
        about a missing token or a bare 404 that does not name the setting.

        Raises:
            BaseUrlError: the answer is one of those.
        """
        content_type = response.headers.get("Content-Type", "").lower()
        html = response.ok and "html" in content_type
        if response.status_code not in WRONG_ROUTE_STATUSES and not html:
            return
        base_url = self.token_url.removesuffix("/auth/token")
        what = "a web page (HTML)" if html else f"HTTP {response.status_code}"
        said = "" if html else server_message(response)
        msg = (
            f"`base_url` {shown_url(base_url)} is not the myFulfillment API root: the login "
            f"POST {urlsplit(self.token_url).path} answered {what}"
            f"{' (' + said + ')' if said else ''}. Fix: {base_url_fix(base_url)}"
        )
        raise BaseUrlError(msg)

    @override
    def authenticate_request(
        self,
        request: requests.PreparedRequest,
    ) -> requests.PreparedRequest:
        """Attach the bearer token, logging in first if needed.

        Args:
            request: The outgoing request.

        Returns:
            The same request with its ``Authorization`` header set.
        """
        if self._token is None:
            self.log_in()
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request
