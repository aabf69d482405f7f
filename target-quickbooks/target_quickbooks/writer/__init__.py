"""The sync service the sinks call: map → resolve existing → batch write → record results.

One :class:`SyncService` per run owns the QuickBooks client, the state, the
resolver and the configured references. Sinks hand it a batch of records of one
stream; it never lets one bad record stop the others:

- a record the mapper or QuickBooks refuses is **rejected** (kept in state with
  QuickBooks' code, Detail and intuit_tid and a fix hint, retried next run);
- a document whose customer or item is not in QuickBooks yet is **deferred**
  (kept in state with the reason, retried next run);
- configuration errors (a missing account...) stop the run: every record would
  fail the same way.
"""

from target_quickbooks.writer.jobs import STREAM_ALIASES, STREAMS, canonical_stream
from target_quickbooks.writer.service import SyncService

__all__ = ["STREAMS", "STREAM_ALIASES", "SyncService", "canonical_stream"]
