"""The name-list objects a document payload references, and the updates that toggle them.

QuickBooks refuses a new transaction that references an inactive Item or Customer
(2500). ``writer/inactive.py`` makes those objects active around the write; these
pure functions say which objects a payload names and build the sparse updates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: The name-list entities a sales document references that a person may deactivate
#: and that the target may temporarily make active (accounts and tax codes are settings).
TOGGLED_ENTITIES = ("Customer", "Item")


def document_references(payload: Mapping[str, Any]) -> dict[str, set[str]]:
    """Ids of the Customer and Items an Invoice or CreditMemo payload references.

    The customer is ``CustomerRef``; items are every line's ``SalesItemLineDetail.ItemRef``
    (product lines, and the configured shipping and adjustment items).
    """
    found: dict[str, set[str]] = {entity: set() for entity in TOGGLED_ENTITIES}
    customer = payload.get("CustomerRef")
    if isinstance(customer, Mapping) and str(customer.get("value") or ""):
        found["Customer"].add(str(customer["value"]))
    for line in payload.get("Line") or []:
        detail = line.get("SalesItemLineDetail") if isinstance(line, Mapping) else None
        ref = detail.get("ItemRef") if isinstance(detail, Mapping) else None
        if isinstance(ref, Mapping) and str(ref.get("value") or ""):
            found["Item"].add(str(ref["value"]))
    return found


def merged_references(payloads: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """The union of :func:`document_references` over several payloads."""
    merged: dict[str, set[str]] = {entity: set() for entity in TOGGLED_ENTITIES}
    for payload in payloads:
        for entity, ids in document_references(payload).items():
            merged[entity] |= ids
    return merged


def intent_key(entity: str, object_id: str) -> str:
    """The state's key of a reactivated object: ``"Item:12"``."""
    return f"{entity}:{object_id}"


def split_intent_key(key: str) -> tuple[str, str]:
    """``"Item:12"`` → ``("Item", "12")``."""
    entity, _, object_id = key.partition(":")
    return entity, object_id


def active_payload(object_id: str, sync_token: str, *, active: bool) -> dict[str, Any]:
    """The sparse update that sets only ``Active`` (guarded by the SyncToken)."""
    return {"Id": object_id, "SyncToken": sync_token, "sparse": True, "Active": active}


def next_token(sync_token: str) -> str:
    """The SyncToken QuickBooks gives an object after one update (it counts versions)."""
    return str(int(sync_token) + 1) if sync_token.isdigit() else ""
