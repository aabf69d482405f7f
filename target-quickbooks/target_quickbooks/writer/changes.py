"""Once per run, before any document is called "unchanged": what changed in QuickBooks.

Why: the ID map says a document is written, but a person may have deleted or
edited it in QuickBooks since. One change data capture request per run (every
document entity the feed maps) tells; :mod:`target_quickbooks.drift` decides,
this module applies the decisions to the state and logs them:

- deleted → forgotten from the map and kept pending as ``deleted_in_quickbooks``
  (no record): its key goes to ``resend`` in the state, the tap sends the record
  again, and the documents writer creates it with a new requestid
  (``_request_key``: QuickBooks would replay the old create's answer otherwise);
- deleted, but the target had let it go (an invoice voided because it was
  canceled at the source, a canceled credit memo a person was asked to delete) →
  forgotten, not written again;
- edited (total, lines, customer) → ``drift`` entry, reported, never overwritten.

When CDC cannot answer (last check older than its 30-day window, or an answer
at its 1,000-object cap), the check is made in full instead: ``SELECT Id,
SyncToken`` of every entity the map holds (the ``credit_memos`` map may hold
CreditMemos and RefundReceipts; 1 query per 1,000 documents), then the
documents whose SyncToken moved are read (``Id IN``) and compared the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from target_quickbooks.drift import (
    DELETED,
    ENTITIES_OF_KIND,
    ENTITY_OF_KIND,
    Findings,
    Mapped,
    check_due,
    compare,
    entity_of,
    next_since,
    parse_entry,
    wanted_ids,
)
from target_quickbooks.qbo import QuickBooksFault, RetriesExhaustedError
from target_quickbooks.qbo.cdc import CdcAnswer
from target_quickbooks.state import MapEntry, utc_now
from target_quickbooks.writer.base import WriterBase
from target_quickbooks.writer.hints import RESEND_HINT
from target_quickbooks.writer.jobs import KIND, canonical_stream

#: Stream of each document kind (the reverse of ``KIND`` for documents).
STREAM_OF_KIND = {kind: stream for stream, kind in KIND.items() if kind in ENTITY_OF_KIND}
class QuickBooksChanges(WriterBase):
    """Checks, once per run, what happened in QuickBooks to the documents of the map."""

    _changes_checked_this_run = False

    def check_quickbooks_changes(self, streams: Iterable[str] = ()) -> None:
        """Run the check once per run, for the document kinds the feed maps or writes.

        Args:
            streams: streams this run has (their kinds are checked even if not mapped yet).
        """
        if self._changes_checked_this_run:
            return
        kinds = {KIND.get(canonical_stream(s), "") for s in streams} & set(ENTITY_OF_KIND)
        mapped = sorted(kind for kind in ENTITY_OF_KIND if self.state.idmap.count(kind))
        if not kinds and not mapped:
            return  # not a document feed
        self._changes_checked_this_run = True
        now = dt.datetime.now(dt.timezone.utc)
        how = check_due(self.state.changes_checked, now)
        if not mapped or how == "start":
            self.state.changes_checked = next_since("", now)
            self.logger.info("QuickBooks changes to the documents written are checked from "
                             "now on (first run of this feed).")
            return
        entities = [entity for kind in mapped for entity in ENTITIES_OF_KIND[kind]]
        answer: CdcAnswer | None = None
        if how == "cdc":
            try:
                answer = self.client.cdc(entities, self._since())
            except RetriesExhaustedError as error:
                # QuickBooks is unavailable: the next run checks from the same time.
                self.logger.warning("Could not check QuickBooks' changes this run (%s); the next"
                                    " run checks from %s.", error, self.state.changes_checked)
                return
            except QuickBooksFault as error:
                self.logger.warning("QuickBooks refused the change data capture (%s): checking "
                                    "every document instead.", error.describe())
        if answer is not None and answer.capped:
            self.logger.warning("QuickBooks' change data capture answered its maximum of 1,000 "
                                "objects: some may be missing, checking every document instead.")
        elif answer is None and how == "full":
            self.logger.warning(
                "The last check of QuickBooks' changes was on %s, beyond the 30 days QuickBooks'"
                " change data capture covers: checking every document instead.",
                self.state.changes_checked)
        if answer is None or answer.capped:
            findings, stamp = self._full_check(mapped), ""
        else:
            findings, stamp = self._findings(answer.changed, answer.deleted), answer.time
        self._apply(findings)
        self.state.changes_checked = next_since(stamp, now)

    def _since(self) -> dt.datetime:
        when = dt.datetime.fromisoformat(str(self.state.changes_checked))
        return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)

    def _findings(self, changed: Mapping[str, list[dict[str, Any]]],
                  deleted: Mapping[str, list[str]]) -> Findings:
        # The map's reverse index (Id → keys) finds each reported Id without a map scan.
        mapped: dict[tuple[str, str], Mapped] = {}
        for kind, ids in wanted_ids(changed, deleted).items():
            for qbo_id in ids:
                for key in self.state.keys_of(kind, qbo_id):
                    raw = self.state.idmap.get(kind, key)
                    if raw:
                        entry = parse_entry(raw)
                        mapped[(entity_of(kind, entry), qbo_id)] = Mapped(kind, key, entry)
        return compare(changed, deleted, mapped)

    def _full_check(self, kinds: Iterable[str]) -> Findings:
        """Without CDC: every mapped document's Id and SyncToken, then read those that moved."""
        changed: dict[str, list[dict[str, Any]]] = {}
        deleted: dict[str, list[str]] = {}
        for kind in kinds:
            by_entity: dict[str, list[MapEntry]] = {}
            for _key, raw in self.state.idmap.items(kind):
                entry = parse_entry(raw)
                by_entity.setdefault(entity_of(kind, entry), []).append(entry)
            for entity, entries in sorted(by_entity.items()):
                tokens = {str(row.get("Id")): str(row.get("SyncToken") or "")
                          for row in self.client.query(  # entity: a constant of drift.py
                              f"SELECT Id, SyncToken FROM {entity}")}  # noqa: S608
                moved: set[str] = set()
                for entry in entries:
                    if entry.id not in tokens:
                        deleted.setdefault(entity, []).append(entry.id)
                    elif tokens[entry.id] != entry.sync_token:
                        moved.add(entry.id)
                if moved:
                    changed[entity] = self.client.query_in(entity, "Id", sorted(moved))
        return self._findings(changed, deleted)

    def _apply(self, findings: Findings) -> None:
        for gone in findings.deleted:
            self._deleted(gone.kind, gone.key, gone.qbo_id)
        for drift in findings.drifted:
            stream = STREAM_OF_KIND[drift.kind]
            if self._let_go(stream, drift.key):
                continue  # a canceled document: a person zeroing it is what was asked
            known = self.state.drift.get(stream, {}).get(drift.key) or {}
            if known.get("sync_token") == drift.sync_token:
                continue  # the same edit seen again (checks overlap): already reported
            self.state.drift.setdefault(stream, {})[drift.key] = drift.as_state(utc_now())
            self.state.revision += 1
            self.logger.warning(
                "%s record %r: QuickBooks document Id %s (DocNumber %r) was edited in "
                "QuickBooks (%s); the target leaves it as it is. Fix: check it against the "
                "source and undo the edit in QuickBooks if it was a mistake.",
                stream, drift.key, drift.qbo_id, drift.doc_number, "; ".join(drift.changes))
        for settled in findings.settled:
            self.state.put(settled.kind, settled.key, settled.entry)
            stream = STREAM_OF_KIND[settled.kind]
            if self.state.drift.get(stream, {}).pop(settled.key, None) is not None:
                self.logger.info("%s record %r: back as the target wrote it in QuickBooks; "
                                 "drift cleared.", stream, settled.key)

    def _let_go(self, stream: str, key: str) -> bool:
        """Whether the target gave this document up (canceled at the source)."""
        pending = self.state.pending.get(stream, {}).get(key) or {}
        return key in self.state.voided or pending.get("status") == "needs_attention"

    def _deleted(self, kind: str, key: str, qbo_id: str) -> None:
        stream = STREAM_OF_KIND[kind]
        self.state.forget(kind, key)
        self.state.drift.get(stream, {}).pop(key, None)
        if self._let_go(stream, key):
            self.state.voided.discard(key)
            self.state.drop_pending(stream, key)
            self.logger.info("%s record %r: QuickBooks document Id %s, canceled at the source, "
                             "was deleted in QuickBooks: nothing more to do.", stream, key, qbo_id)
            return
        self.state.add_pending(
            stream, key, None, status=DELETED, deleted_id=qbo_id,
            reason=f"QuickBooks document Id {qbo_id} was deleted in QuickBooks after the target "
                   "wrote it; waiting for the source record to write it again",
            hint=RESEND_HINT)
        self.logger.warning("%s record %r: QuickBooks document Id %s was deleted in QuickBooks; "
                            "it will be written again from its source record.",
                            stream, key, qbo_id)
