"""Keep secrets out of logs: a registry of secret values and a ``logging.Filter`` that masks them.

Tokens rotate during a run, so the set of values to hide grows: the auth code
registers every refresh and access token it sees, and the filter masks them in
any record that passes a logger it is installed on (message, arguments and
traceback text alike).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

MASK = "***"

#: Values shorter than this are not masked: masking "a" would shred every log line.
_MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(*values: str | None) -> None:
    """Add values that must never appear in a log record or an error message."""
    with _lock:
        for value in values:
            if value and len(value) >= _MIN_SECRET_LENGTH:
                _secrets.add(value)


def registered_secret_count() -> int:
    """Number of registered secrets (for tests and diagnostics)."""
    with _lock:
        return len(_secrets)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret replaced by ``***``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Mask registered secret values in every record; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102 - logging.Filter hook
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break logging
            message = str(record.msg)
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_filter = RedactingFilter()


def install_redaction(loggers: Iterable[logging.Logger | logging.Handler] = ()) -> RedactingFilter:
    """Attach the shared redacting filter to loggers/handlers (idempotent).

    A filter on a logger only sees records created on that very logger, so the
    client installs it on the loggers it writes to, and on the handlers of the
    root logger so records from libraries (urllib3, intuitlib) are masked too.

    Args:
        loggers: loggers or handlers to protect besides the root handlers.

    Returns:
        The shared filter.
    """
    targets: list[logging.Logger | logging.Handler] = list(loggers)
    targets.extend(logging.getLogger().handlers)
    for target in targets:
        if _filter not in target.filters:
            target.addFilter(_filter)
    return _filter
