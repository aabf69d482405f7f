"""Documents whose item or customer is inactive in QuickBooks: reactivate, write, deactivate.

QuickBooks refuses a new Invoice or CreditMemo that references an inactive Item or
Customer (Fault 2500 "Invalid Reference Id : Something you're trying to use has been
made inactive"). Merchants disable products after selling them (``status`` 0), delete
them (``<sku>_deleted``, the item of the original SKU made inactive), and accountants
deactivate customers; the sales made before still have to be booked.

**Why temporary reactivation.** Booking the sale on another item (a generic "deleted
product") or another customer would misstate the books (revenue per product, A/R per
customer); booking it on the object and leaving that object active would undo what the
source (disabled product) or the accountant (inactive customer) decided. So the
object is made active just for the write and inactive again right after:

1. A document create fails with 2500. Nothing is read beforehand: reads are metered
   (Intuit's "CorePlus" calls) and inactive references are rare, so the normal run
   costs nothing extra. One ``/batch`` of queries (``Id IN (...) AND Active = false``)
   then finds which of the refused documents' items and customers are inactive. A
   document none of whose references is inactive is sent once more (another feed may
   have made them active meanwhile) and keeps its refusal if refused again (an
   inactive account or tax code is a setting for a person to fix).
2. The **intent** is written to the state (``reactivated``: ``"Item:12"`` → the
   SyncToken seen) and the state is emitted *before* anything changes, so a crash at
   any later step leaves a state that says what to undo.
3. One ``/batch`` of sparse updates sets ``Active: true``; each answer's SyncToken is
   added to the intent (``after``) and the state is emitted again.
4. The refused documents are sent again with a deterministic request id of their
   own (``<key>:reactivated``): QuickBooks replays the answer of an id it has seen,
   and the first id's answer is the refusal. A crash after this write loses nothing
   and duplicates nothing: the next run finds the document by ``DocNumber``.
5. One ``/batch`` of sparse updates sets ``Active: false``, each with the SyncToken
   of the reactivation (``after``): QuickBooks applies it only if nobody changed the
   object since. That compare-and-set is done by QuickBooks itself, atomically, so it
   needs no read and has no window in which a concurrent write can slip between a
   read and the update. A stale SyncToken (5010) means someone wrote the object in
   between: the products feed (its update always carries ``Active`` as the source
   says: its last word wins) or a person; the object is then left as they left it,
   with a warning. The intent is dropped once the object is inactive again or
   someone else's write is found to have won.

**Crash recovery.** Every run first settles the intents its state holds (a run that
stopped between steps 2 and 5): with ``after`` known, step 5 as above; without it
(the run stopped while the reactivation was in flight), the object is read: inactive
means the reactivation never happened (nothing to undo); active with the SyncToken
one past the one seen (QuickBooks counts one version per update) means ours, and it
is made inactive again with that token; anything else is someone else's write, left
alone. The target never makes active an object QuickBooks holds active already, and
never makes inactive an object it did not itself make active.

Assumption, not verifiable offline: writing a document does not change the SyncToken
of the Item or Customer it references. If it did on a real company, step 5 would
meet 5010 and leave the object active with the warning naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from target_quickbooks.mappers.references import (
    TOGGLED_ENTITIES,
    active_payload,
    document_references,
    intent_key,
    merged_references,
    next_token,
    split_intent_key,
)
from target_quickbooks.qbo import BatchOperation, BatchResult, QuickBooksError, QuickBooksFault
from target_quickbooks.qbo import query as q
from target_quickbooks.resolver import ANY_ACTIVE
from target_quickbooks.writer.base import WriterBase
from target_quickbooks.writer.jobs import Job

#: Streams whose creates may meet an inactive reference.
#: Writes that reference a customer (and items) made inactive: documents and payments.
DOCUMENT_KINDS = frozenset({"invoices", "credit_memos", "payments"})


class InactiveReferences(WriterBase):
    """Reactivates, around a document write, the inactive items and customers it needs."""

    #: Emits the state now (set by the target: an intent is saved before QuickBooks
    #: is changed). Standalone use (tests, tools) has no state to emit: the caller
    #: owns the state object.
    checkpoint_hook: Callable[[], None] | None = None
    _old_intents_settled = False

    def _checkpoint(self) -> None:
        if self.checkpoint_hook is not None:
            self.checkpoint_hook()

    def _inactive_reference(self, job: Job, fault: QuickBooksFault | None) -> bool:
        """Whether a refused document create may be written after a reactivation."""
        return (fault is not None and fault.has_code("2500") and job.kind in DOCUMENT_KINDS
                and job.operation == "create" and not job.retried and not self.dry_run)

    def _reactivate_for(self, held: list[tuple[Job, QuickBooksFault]],
                        reactivated: list[str]) -> list[Job]:
        """Make active what the refused documents need; return the documents to resend.

        ``reactivated`` receives the intent keys of the objects made active, to be made
        inactive again once the documents are written (:meth:`_settle_reactivations`).
        """
        if not held:
            return []
        inactive = self._inactive_objects(merged_references(job.payload for job, _ in held))
        resend = [job for job, _fault in held]
        needed = sorted({key for job in resend for key in self._needs(job, inactive)})
        if not needed:
            # Active again by now (another feed's reactivation), or the 2500 is about a
            # setting (account, tax code): one more try; a second refusal is kept.
            return self._resend(resend)
        for key in needed:
            self.state.set_reactivated(key, {"token": str(inactive[key].get("SyncToken", ""))})
        self._checkpoint()
        operations = []
        for key in needed:
            entity, object_id = split_intent_key(key)
            token = self.state.reactivated[key]["token"]
            operations.append(BatchOperation(
                entity=entity, operation="update",
                payload=active_payload(object_id, token, active=True),
                request_key=f"reactivate:{key}:{token}"))
        for key, result in zip(needed, self.client.batch(operations), strict=True):
            self._record_reactivation(key, inactive[key], result, reactivated)
        self._checkpoint()
        return self._resend(resend)

    @staticmethod
    def _resend(jobs: list[Job]) -> list[Job]:
        """The documents to send again, each with a request id of its own.

        QuickBooks answers a request id it has seen with its first answer (the refusal).
        """
        return [replace(job, retried=True, request_key=f"{job.request_key}:reactivated")
                for job in jobs]

    @staticmethod
    def _needs(job: Job, inactive: Mapping[str, Any]) -> list[str]:
        return sorted(intent_key(entity, object_id)
                      for entity, ids in document_references(job.payload).items()
                      for object_id in ids if intent_key(entity, object_id) in inactive)

    def _record_reactivation(self, key: str, row: Mapping[str, Any], result: BatchResult,
                             reactivated: list[str]) -> None:
        label = _label(key, row)
        if result.ok and result.entity is not None:
            intent = {**self.state.reactivated[key],
                      "after": str(result.entity.get("SyncToken", ""))}
            self.state.set_reactivated(key, intent)
            reactivated.append(key)
            self.logger.info("Made %s active for the documents that need it; it is made "
                             "inactive again right after they are written.", label)
            return
        # Not made active (changed meanwhile, or refused): nothing to undo. The documents
        # are sent again anyway; one still refused is kept with QuickBooks' answer.
        self.state.set_reactivated(key, None)
        self.logger.warning("Could not make %s active for its documents: %s", label,
                            result.fault.describe() if result.fault else "no answer")

    def _inactive_objects(self, refs: Mapping[str, Iterable[str]]) -> dict[str, dict]:
        """The inactive objects among ``refs`` (entity → Ids), by intent key; one request."""
        return {intent_key(entity, str(row.get("Id"))): row
                for entity, row in self._query_ids(refs, "Active = false")
                if row.get("Active") is False}

    def _query_ids(self, refs: Mapping[str, Iterable[str]], where: str
                   ) -> list[tuple[str, dict]]:
        operations = [BatchOperation(entity=entity, operation="query",
                                     query=q.paged(statement, 1))
                      for entity in TOGGLED_ENTITIES
                      for statement in q.in_statements(entity, "Id", refs.get(entity, ()),
                                                       extra_where=where)]
        if not operations:
            return []
        rows: list[tuple[str, dict]] = []
        for operation, result in zip(operations, self.client.batch(operations), strict=True):
            if result.fault is not None:
                raise result.fault
            rows.extend((operation.entity, row) for row in q.rows(result.query_response))
        return rows

    # Making objects inactive again

    def _settle_old_reactivations(self) -> None:
        """Once per run, before writing: finish what a run that stopped half-way started."""
        if self._old_intents_settled or self.dry_run:
            return
        self._old_intents_settled = True
        if self.state.reactivated:
            self.logger.warning(
                "The state holds %d item(s)/customer(s) an earlier run made active for its "
                "documents and did not make inactive again (it stopped half-way): settling "
                "them now.", len(self.state.reactivated))
            self._settle_reactivations(list(self.state.reactivated))

    def _settle_reactivations(self, keys: Iterable[str]) -> None:
        """Make the objects of ``keys`` inactive again, unless someone changed them since.

        A QuickBooks outage here is logged, not raised: the intents stay in the state
        and the next run settles them.
        """
        intents = {key: dict(self.state.reactivated[key]) for key in keys
                   if key in self.state.reactivated}
        if not intents:
            return
        try:
            tokens = self._deactivation_tokens(intents)
            keys_sent = sorted(tokens)
            operations = []
            for key in keys_sent:
                entity, object_id = split_intent_key(key)
                operations.append(BatchOperation(
                    entity=entity, operation="update",
                    payload=active_payload(object_id, tokens[key], active=False),
                    request_key=f"deactivate:{key}:{tokens[key]}"))
            results = self.client.batch(operations) if operations else []
        except QuickBooksError as error:
            self.logger.warning(
                "Could not make %s inactive again now (%s); the state keeps them and the "
                "next run does it.", ", ".join(sorted(intents)), error)
            return
        for key, result in zip(keys_sent, results, strict=True):
            self._record_deactivation(key, result)

    def _deactivation_tokens(self, intents: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
        """The SyncToken to deactivate each object with; intents with nothing to do dropped."""
        tokens = {key: intent["after"] for key, intent in intents.items() if intent.get("after")}
        unknown = {key: intent for key, intent in intents.items() if not intent.get("after")}
        if not unknown:
            return tokens
        refs: dict[str, set[str]] = {}
        for key in unknown:
            entity, object_id = split_intent_key(key)
            refs.setdefault(entity, set()).add(object_id)
        current = {intent_key(entity, str(row.get("Id"))): row
                   for entity, row in self._query_ids(refs, ANY_ACTIVE)}
        for key, intent in unknown.items():
            row = current.get(key)
            ours = next_token(intent["token"])
            if row is None or row.get("Active") is False:
                self.state.set_reactivated(key, None)
            elif ours and str(row.get("SyncToken")) == ours:
                tokens[key] = ours
            else:
                self.state.set_reactivated(key, None)
                self.logger.warning(
                    "%s is active and was changed in QuickBooks after an earlier run made it "
                    "active for its documents (SyncToken %s, now %s): left as it is, the last "
                    "writer's choice.", _label(key, row), intent["token"],
                    row.get("SyncToken"))
        return tokens

    def _record_deactivation(self, key: str, result: BatchResult) -> None:
        label = _label(key, result.entity or {})
        fault = result.fault
        if result.ok:
            self.state.set_reactivated(key, None)
            self.logger.info("Made %s inactive again after writing its documents.", label)
        elif fault is not None and fault.has_code("5010"):
            self.state.set_reactivated(key, None)
            self.logger.warning(
                "%s was changed in QuickBooks while its documents were written (by the "
                "products feed or a person): left as that write left it. If it should be "
                "inactive, make it inactive in QuickBooks.", label)
        elif fault is not None and fault.has_code("610"):
            self.state.set_reactivated(key, None)
        else:
            self.logger.error(
                "QuickBooks refused to make %s inactive again: %s. It stays active; the state "
                "keeps it and the next run tries again.", label,
                fault.describe() if fault else "no answer")


def _label(key: str, row: Mapping[str, Any]) -> str:
    entity, object_id = split_intent_key(key)
    name = row.get("Name") or row.get("DisplayName")
    return f"{entity} Id {object_id}" + (f" {name!r}" if name else "")
