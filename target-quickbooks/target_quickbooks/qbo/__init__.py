"""The one QuickBooks Online client of target-quickbooks.

Auth with rotating refresh tokens, client-side throttling, retries, batching,
idempotent writes and error translation live here; sinks call
:class:`QuickBooksClient` and never build HTTP requests themselves.
"""

from __future__ import annotations

from target_quickbooks.qbo.auth import AUTHORIZE_HINT, QuickBooksAuth
from target_quickbooks.qbo.batch import MAX_BATCH_ITEMS, BatchOperation, BatchResult
from target_quickbooks.qbo.client import QuickBooksClient
from target_quickbooks.qbo.errors import (
    AuthError,
    FaultError,
    QuickBooksError,
    QuickBooksFault,
    RealmMismatchError,
    RetriesExhaustedError,
    ThrottledError,
    TransientError,
    parse_fault,
)
from target_quickbooks.qbo.idempotency import batch_request_id, canonical_json, request_id
from target_quickbooks.qbo.ratelimit import RateLimiter
from target_quickbooks.qbo.redact import RedactingFilter, install_redaction, redact, register_secret
from target_quickbooks.qbo.token_store import StoredTokens, TokenStore

__all__ = [
    "AUTHORIZE_HINT",
    "MAX_BATCH_ITEMS",
    "AuthError",
    "BatchOperation",
    "BatchResult",
    "FaultError",
    "QuickBooksAuth",
    "QuickBooksClient",
    "QuickBooksError",
    "QuickBooksFault",
    "RateLimiter",
    "RealmMismatchError",
    "RedactingFilter",
    "RetriesExhaustedError",
    "StoredTokens",
    "ThrottledError",
    "TokenStore",
    "TransientError",
    "batch_request_id",
    "canonical_json",
    "install_redaction",
    "parse_fault",
    "redact",
    "register_secret",
    "request_id",
]
