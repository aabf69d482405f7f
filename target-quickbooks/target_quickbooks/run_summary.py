"""What the log says when the input has ended, and whether the run then fails.

Why a module of its own: the end-of-run report (dry-run listing, results table,
request counts, records kept pending) is read by operators and checked by tests;
keeping it apart from the target's message handling keeps both short.
"""

from __future__ import annotations

import typing as t

from target_quickbooks.results import RunResults
from target_quickbooks.run_errors import RecordsRejectedError

__all__ = ["report_run"]


def report_run(*, logger: t.Any, results: RunResults, service: t.Any, client: t.Any,
               dry_run: bool) -> None:
    """Log the run's summary; raise :class:`RecordsRejectedError` if records were rejected.

    Called after the final state is emitted, so a rejected record fails the run
    (exit 1) without losing anything QuickBooks confirmed.
    """
    if dry_run:
        logger.info("%s", service.dry_run_listing.table())
    title = "target-quickbooks results" + (" (DRY RUN: nothing written)" if dry_run
                                           else "")
    logger.info("%s", results.table(title=title))
    if client is not None and hasattr(client, "stats"):
        logger.info("QuickBooks requests: %s", client.stats())
    pending = service.state.pending_count()
    if pending:
        logger.warning("%d record(s) kept in state for the next run (deferred or "
                       "rejected).", pending)
    rejected = results.total("rejected")
    if rejected:
        raise RecordsRejectedError(
            f"{rejected} record(s) were rejected (see the errors above and "
            f"bookmarks['target-quickbooks'].pending in the state); everything else was "
            "written and the state was saved."
        )
