"""One entry of the target's ID maps: a QuickBooks Id, SyncToken, content hash, entity.

Why a module of its own: the writer, the resolver and the drift check read map
entries without needing the whole :class:`~target_quickbooks.state.SyncState`,
and the map value format (``Id:SyncToken:hash[:Entity]``) is parsed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENTITY_OF_KIND", "MapEntry", "parse_map_value"]

#: QuickBooks entity of each ID map (the one table; writer and resolver both use it).
ENTITY_OF_KIND = {"items": "Item", "customers": "Customer", "invoices": "Invoice",
                  "credit_memos": "CreditMemo", "payments": "Payment"}


@dataclass(frozen=True)
class MapEntry:
    """A QuickBooks entity the target wrote or found: Id, SyncToken and content hash.

    ``entity`` names the QuickBooks entity when it is not the map's own
    (:data:`ENTITY_OF_KIND`): a credit memo of a paid invoice is a ``RefundReceipt``
    in the ``credit_memos`` map. Empty means the map's entity.
    """

    id: str
    sync_token: str = ""
    content_hash: str = ""
    entity: str = ""

    @property
    def ref(self) -> dict[str, str]:
        """A QuickBooks reference (``{"value": Id}``)."""
        return {"value": self.id}


def parse_map_value(raw: str) -> MapEntry:
    """A map value (``Id``, ``Id:SyncToken:hash`` or ``Id:SyncToken:hash:Entity``) as an entry."""
    parts = raw.split(":")
    return MapEntry(id=parts[0], sync_token=parts[1] if len(parts) > 1 else "",
                    content_hash=parts[2] if len(parts) > 2 else "",
                    entity=parts[3] if len(parts) > 3 else "")
