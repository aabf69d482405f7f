"""Batch operations: what to send in one ``BatchItemRequest`` and how to read each answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from target_quickbooks.qbo.errors import FaultError, QuickBooksFault, fault_from_dict
from target_quickbooks.qbo.idempotency import canonical_json, request_id

#: Most items QuickBooks accepts in one batch request.
MAX_BATCH_ITEMS = 30

Operation = Literal["create", "update", "query"]


@dataclass
class BatchOperation:
    """One item of a batch.

    Attributes:
        entity: ``Item``, ``Customer``, ``Invoice`` or ``CreditMemo``.
        operation: ``create``, ``update`` or ``query``.
        payload: the object for create/update (an update carries ``Id``,
            ``SyncToken`` and usually ``"sparse": true``).
        query: the statement for ``query`` (with its own paging clauses if wanted).
        request_key: stable identity of the source record; with the payload it
            derives the item's request id, and the chunk's ``requestid`` is
            derived from its items' ids.
    """

    entity: str
    operation: Operation
    payload: dict | None = None
    query: str | None = None
    request_key: str = ""

    def __post_init__(self) -> None:
        """Refuse malformed operations before anything is sent."""
        label = f"BatchOperation({self.entity} {self.operation} {self.request_key!r})"
        if not self.entity or not self.entity.isalnum():
            raise ValueError(f"{label}: entity must be a QuickBooks entity name like 'Item'")
        if self.operation not in ("create", "update", "query"):
            raise ValueError(f"{label}: operation must be create, update or query")
        if self.operation == "query":
            if not self.query:
                raise ValueError(f"{label}: a query operation needs query=")
        elif not isinstance(self.payload, dict):
            raise ValueError(f"{label}: {self.operation} needs a payload dict")
        elif self.operation == "update" and (
            not self.payload.get("Id") or self.payload.get("SyncToken") in (None, "")
        ):
            raise ValueError(f"{label}: an update payload needs Id and SyncToken")

    def item_request_id(self, realm_id: str) -> str:
        """Deterministic id of this item: realm, entity, source key and exact content."""
        content = canonical_json(
            {"operation": self.operation, "payload": self.payload, "query": self.query}
        )
        return request_id(realm_id, self.entity, self.request_key or content, content)

    def to_request_item(self, b_id: str) -> dict[str, Any]:
        """The ``BatchItemRequest`` entry for this operation."""
        if self.operation == "query":
            return {"bId": b_id, "Query": self.query}
        return {"bId": b_id, "operation": self.operation, self.entity: self.payload}


@dataclass
class BatchResult:
    """Outcome of one :class:`BatchOperation`, in the same position as the operation.

    Attributes:
        operation: the operation this answers.
        entity: the created/updated object (with ``Id`` and ``SyncToken``).
        query_response: the ``QueryResponse`` of a query.
        fault: the Fault QuickBooks returned for this item.
    """

    operation: BatchOperation
    entity: dict | None = None
    query_response: dict | None = None
    fault: QuickBooksFault | None = None

    @property
    def ok(self) -> bool:
        """True when QuickBooks answered the item without a Fault."""
        return self.fault is None and (self.entity is not None or self.query_response is not None)


def chunks(
    operations: Sequence[BatchOperation], size: int = MAX_BATCH_ITEMS
) -> list[list[BatchOperation]]:
    """Split operations into consecutive chunks of at most ``size``."""
    if not 1 <= size <= MAX_BATCH_ITEMS:
        raise ValueError(f"batch chunk size must be 1..{MAX_BATCH_ITEMS}, got {size}")
    return [list(operations[i : i + size]) for i in range(0, len(operations), size)]


def _missing(operation: BatchOperation, what: str, intuit_tid: str | None) -> BatchResult:
    return BatchResult(
        operation=operation,
        fault=QuickBooksFault(
            status=None,
            fault_type="MissingBatchItem",
            errors=[
                FaultError(
                    code="missing",
                    message=f"No {what} in the answer to this batch item",
                    detail="QuickBooks' batch response was incomplete; retry the record",
                )
            ],
            intuit_tid=intuit_tid,
        ),
    )


def parse_item(
    operation: BatchOperation, item: Mapping[str, Any] | None, intuit_tid: str | None
) -> BatchResult:
    """Read one ``BatchItemResponse`` entry (``None`` when QuickBooks omitted it)."""
    if item is None:
        return _missing(operation, "entry", intuit_tid)
    fault = item.get("Fault") or item.get("fault")
    if isinstance(fault, Mapping):
        return BatchResult(
            operation=operation,
            fault=fault_from_dict(fault, status=None, intuit_tid=intuit_tid),
        )
    if operation.operation == "query":
        response = item.get("QueryResponse")
        return BatchResult(operation=operation, query_response=dict(response or {}))
    entity = item.get(operation.entity)
    if not isinstance(entity, Mapping):
        entity = next((v for k, v in item.items() if k != "bId" and isinstance(v, Mapping)), None)
    if entity is None:
        return _missing(operation, operation.entity, intuit_tid)
    return BatchResult(operation=operation, entity=dict(entity))
