"""How a run of the target ends when something stops it: the errors and their exit.

Why a module of its own: ``reconcile/target.py`` stops its runs the same way,
so the errors (and which of them a person fixes, shown without a traceback)
are shared without importing the whole target.
"""

from __future__ import annotations

import click

from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.qbo import QuickBooksError

__all__ = ["OPERATOR_ERRORS", "RecordsRejectedError", "RunStoppedError", "UnknownStreamError"]


class UnknownStreamError(ValueError):
    """A SCHEMA message for a stream the target cannot write."""


class RecordsRejectedError(click.ClickException):
    """Raised after the final state when records were rejected, so the run exits 1."""


class RunStoppedError(click.ClickException):
    """A fatal error, shown as one clear line (no traceback); the run exits 1."""


#: Errors a person fixes (settings, authorization, QuickBooks down): shown without traceback.
OPERATOR_ERRORS: tuple[type[Exception], ...] = (QuickBooksError, ConfigurationError,
                                                UnknownStreamError)
