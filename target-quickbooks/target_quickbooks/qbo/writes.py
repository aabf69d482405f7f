"""Single-object writes of the QuickBooks client: create, update, void.

Kept apart so the checks every write needs before it is sent (a valid entity
name, a ``requestid`` QuickBooks accepts, ``Id`` and ``SyncToken`` for changes)
are in one place; the request itself goes through
:meth:`~target_quickbooks.qbo.transport.QuickBooksTransport._request`.
"""

from __future__ import annotations

from target_quickbooks.qbo import query as q
from target_quickbooks.qbo.errors import QuickBooksError
from target_quickbooks.qbo.idempotency import MAX_REQUEST_ID
from target_quickbooks.qbo.transport import QuickBooksTransport

__all__ = ["WriteCalls"]


class WriteCalls(QuickBooksTransport):
    """Idempotent writes, mixed into :class:`~target_quickbooks.qbo.client.QuickBooksClient`."""

    def _write(self, entity: str, payload: dict, request_id: str, kind: str,
               params: dict[str, str] | None = None) -> dict:
        q.check_identifier(entity, "entity")
        if not request_id or len(request_id) > MAX_REQUEST_ID:
            raise ValueError(
                f"requestid for {kind} {entity} must be 1..{MAX_REQUEST_ID} characters, "
                f"got {request_id!r}"
            )
        response = self._request(
            "POST", f"/{entity.lower()}", kind=kind, json_body=payload, request_id=request_id,
            params=params,
        )
        try:
            return response.data[entity]
        except KeyError:
            raise QuickBooksError(
                f"QuickBooks {kind} {entity} answered without an {entity} object "
                f"(intuit_tid={response.intuit_tid or '-'})"
            ) from None

    def create(self, entity: str, payload: dict, *, request_id: str) -> dict:
        """Create an object; resending the same ``request_id`` returns the original.

        Args:
            entity: ``Item``, ``Customer``, ``Invoice``, ``CreditMemo``...
            payload: the object.
            request_id: idempotency key (≤ 50 characters), see ``idempotency.request_id``.

        Returns:
            The created object (with ``Id`` and ``SyncToken``).
        """
        return self._write(entity, payload, request_id, "create")

    def update(self, entity: str, payload: dict, *, request_id: str) -> dict:
        """Update an object (payload with ``Id``, ``SyncToken`` and usually ``sparse``).

        Args:
            entity: entity name.
            payload: fields to change plus ``Id`` and ``SyncToken``.
            request_id: idempotency key (≤ 50 characters); derive it from the content.

        Returns:
            The updated object.
        """
        if not payload.get("Id") or payload.get("SyncToken") in (None, ""):
            raise ValueError(f"update of {entity} needs Id and SyncToken in the payload")
        return self._write(entity, payload, request_id, "update")

    def void(self, entity: str, payload: dict, *, request_id: str) -> dict:
        """Void a transaction (``POST /{entity}?operation=void`` with ``Id`` and ``SyncToken``).

        QuickBooks keeps a voided invoice, with zero amounts, instead of deleting it,
        which is what an accountant expects for a canceled sale.
        """
        if not payload.get("Id") or payload.get("SyncToken") in (None, ""):
            raise ValueError(f"void of {entity} needs Id and SyncToken in the payload")
        return self._write(entity, payload, request_id, "update", params={"operation": "void"})
