"""Build the QuickBooks client from the target's settings (defaults resolved here).

Why a module of its own: the target, ``admin check`` and the reconcile target
all talk to QuickBooks with the same token store, OAuth and shared rate limits;
one place turns settings into that client so they cannot drift apart.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from target_quickbooks.settings import DEFAULT_TOKEN_STORE

__all__ = ["build_client"]


def build_client(config: t.Mapping[str, t.Any], logger: t.Any) -> t.Any:
    """Build the QuickBooks client (token store, OAuth, rate limiter) from the settings."""
    from target_quickbooks.qbo import (  # noqa: PLC0415 (only runs that write need it)
        QuickBooksAuth,
        QuickBooksClient,
        RateLimiter,
        TokenStore,
    )
    from target_quickbooks.qbo.shared_limit import (  # noqa: PLC0415
        SharedRateLimiter,
        limits_path,
    )

    environment = str(config.get("environment") or "sandbox")
    store = TokenStore(Path(config.get("token_store_path") or DEFAULT_TOKEN_STORE))
    auth = QuickBooksAuth(
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        refresh_token=config.get("refresh_token"),
        realm_id=str(config["realm_id"]),
        environment=environment,
        discovery_url=config.get("oauth_discovery_url"),
        token_store=store,
        logger=logger,
    )
    limits: dict[str, t.Any] = {
        "per_minute": int(config.get("max_requests_per_minute") or 500),
        "per_second": int(config.get("max_requests_per_second") or 10),
        "batch_per_minute": int(config.get("max_batch_requests_per_minute") or 40),
        "max_concurrent": int(config.get("max_concurrent_requests") or 10),
        "time_scale": float(config.get("rate_limit_time_scale") or 1),
    }
    # Every feed of a company shares its limits (a file beside the token store), unless
    # the operator opted out: then this process alone counts its requests.
    limiter = (
        SharedRateLimiter(limits_path(store.path, str(config["realm_id"])), **limits)
        if config.get("shared_rate_limit", True) is not False
        else RateLimiter(**limits)
    )
    return QuickBooksClient(
        realm_id=str(config["realm_id"]),
        api_url=config.get("api_url") or QuickBooksClient.base_url_for(environment),
        auth=auth,
        minor_version=int(config.get("minor_version") or 75),
        limiter=limiter,
        logger=logger,
    )
