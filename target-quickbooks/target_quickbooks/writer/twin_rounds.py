"""One create per DocNumber per entity per round: twins in one batch are never sent together.

DocNumbers are unique per QuickBooks entity: a RefundReceipt and a CreditMemo of the
same number are not held back for each other.

Two creates with one DocNumber in one batch: QuickBooks takes the first it processes
and answers 6140 for the other, whose recovery would then look the number up and could
adopt the first one's document before that success is even recorded (a batch of more
than 30 goes out as parallel ``/batch`` requests). So only one document per number is
sent (the one :func:`~target_quickbooks.writer.twins.claim_order` puts first); the
others wait for its outcome: written → each is checked against it (a twin, or another
document with the same number) and rejected; not written → they go in the next round.
"""

from __future__ import annotations

from target_quickbooks.mappers.documents import check_totals
from target_quickbooks.writer.jobs import Job
from target_quickbooks.writer.runner import JobRunner
from target_quickbooks.writer.twins import claim_order

_DOCUMENT_KINDS = frozenset({"invoices", "credit_memos"})


class TwinRounds(JobRunner):
    """Holds back the creates whose DocNumber another create of the round already uses."""

    def _run(self, jobs: list[Job]) -> None:
        groups: dict[tuple[str, str], list[Job]] = {}
        send: list[Job] = []
        for job in jobs:
            number = job.info.get("doc_number")
            if job.operation == "create" and job.kind in _DOCUMENT_KINDS and number:
                groups.setdefault((job.entity, str(number)), []).append(job)
            else:
                send.append(job)
        held: list[tuple[Job, Job]] = []
        for group in groups.values():
            by_key = {job.key: job for job in group}
            keeper, *others = (by_key[key] for key in claim_order(by_key))
            held.extend((job, keeper) for job in others)
            send.append(keeper)
        if len(send) < len(jobs):
            position = {id(job): index for index, job in enumerate(jobs)}
            send.sort(key=lambda job: position[id(job)])  # the batch's order
        super()._run(send)
        again = [job for job, keeper in held if not self._checked_against(job, keeper)]
        if again:
            self._run(again)

    def _checked_against(self, job: Job, keeper: Job) -> bool:
        """Reject ``job`` if ``keeper`` (same DocNumber) was written; False when it was not."""
        entry = self.state.get(keeper.kind, keeper.key)
        if entry is None:
            return False
        row = {"Id": entry.id, "DocNumber": keeper.payload.get("DocNumber"),
               "TotalAmt": str(check_totals(keeper.record, stream=keeper.stream).grand_total),
               "TxnDate": keeper.payload.get("TxnDate"),
               "CustomerRef": keeper.payload.get("CustomerRef")}
        customer = str((job.payload.get("CustomerRef") or {}).get("value") or "") or None
        conflict = self._document_conflict(job.stream, job.record, row, customer_id=customer)
        if conflict:
            self._reject_duplicate_number(job.stream, job.key, job.record, conflict)
        else:
            self._reject_twin(job.stream, job.key, job.record, holder=keeper.key,
                              qbo_id=entry.id, number=job.info["doc_number"])
        return True
