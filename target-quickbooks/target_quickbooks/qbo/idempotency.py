"""Deterministic ``requestid`` values, so a retried or re-run write replays instead of duplicating.

QuickBooks remembers a ``requestid`` per company and answers a repeat with the
original response. Deriving the id from the company, the entity, the source
record's identity and (optionally) the payload means: a retry after a lost
response, or a re-run after a crash, sends the same id and gets the original
object back; a changed payload gets a new id and is really applied.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

#: Namespace of every id this connector derives (a fixed, project-specific UUID).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/target-quickbooks/requestid")

#: QuickBooks limits: 50 characters for a single request, 36 for a batch.
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36

_MIN_LEN = 16
_SEP = "\x1f"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal payloads give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _shape(value: uuid.UUID, max_len: int) -> str:
    if max_len < _MIN_LEN:
        raise ValueError(f"requestid max_len must be at least {_MIN_LEN}, got {max_len}")
    text = str(value)
    return text if len(text) <= max_len else value.hex[:max_len]


def request_id(
    realm_id: str,
    entity: str,
    source_key: str,
    content: str | None = None,
    *,
    max_len: int = MAX_REQUEST_ID,
) -> str:
    """Derive the ``requestid`` of one create or update.

    Args:
        realm_id: QuickBooks company.
        entity: ``Item``, ``Customer``, ``Invoice``, ``CreditMemo``, ``Payment`` (a
            payment's key names the invoice or credit memo it settles: one per document).
        source_key: stable identity of the source record (SKU, customer key...).
        content: the payload (e.g. :func:`canonical_json`) or a version marker;
            include it for updates so a changed record is not answered with the
            previous update's replay.
        max_len: longest id allowed (50 for single requests, 36 for batch).

    Returns:
        A 36-character UUID string (the 32-hex form cut to ``max_len`` if shorter).
    """
    name = _SEP.join((str(realm_id), entity, source_key, "" if content is None else content))
    return _shape(uuid.uuid5(NAMESPACE, name), max_len)


def batch_request_id(item_request_ids: Sequence[str]) -> str:
    """Derive the ``requestid`` of a batch from its items' ids (order matters), ≤ 36 characters.

    Args:
        item_request_ids: the :func:`request_id` of each item, in batch order.

    Returns:
        A 36-character UUID string.
    """
    if not item_request_ids:
        raise ValueError("batch_request_id needs at least one item id")
    return _shape(
        uuid.uuid5(NAMESPACE, "batch" + _SEP + _SEP.join(item_request_ids)), MAX_BATCH_REQUEST_ID
    )
