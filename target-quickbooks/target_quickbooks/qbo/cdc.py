"""Change data capture: what changed or was deleted in QuickBooks since a time.

Why: the ID map remembers what the target wrote, but a person can delete or edit
those documents in QuickBooks. One ``GET /cdc`` per run, covering every entity
kind the feed maps, tells which (Intuit, "Change data capture operation"). It is
a metered read ("CorePlus"), counted as ``cdc`` in the client's ``by_kind``.

Rules the caller must respect (they come from QuickBooks): ``changedSince`` at
most 30 days back (:data:`LOOK_BACK`), and an answer holds at most 1,000
objects (:data:`MAX_OBJECTS`): one that holds that many may have left some out
(:attr:`CdcAnswer.capped`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from target_quickbooks.qbo import query as q

#: How far back ``changedSince`` may go.
LOOK_BACK = dt.timedelta(days=30)
#: Objects in one answer at most.
MAX_OBJECTS = 1000


@dataclass(frozen=True)
class CdcAnswer:
    """One CDC answer, split by entity into changed (full objects) and deleted (Ids).

    Attributes:
        changed: entity → objects changed since the time asked (full payloads).
        deleted: entity → Ids deleted since then.
        time: QuickBooks' time of the answer (its clock, ISO 8601 with offset).
        capped: the answer holds :data:`MAX_OBJECTS` objects, so it may be incomplete.
    """

    changed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    time: str = ""
    capped: bool = False


def since_text(changed_since: dt.datetime) -> str:
    """``changedSince`` as QuickBooks reads it: ISO 8601 to the second, with its offset."""
    if changed_since.tzinfo is None:
        raise ValueError("changed_since must carry a time zone (QuickBooks reads naive "
                         "times in the company's zone)")
    return changed_since.isoformat(timespec="seconds")


def cdc_params(entities: Sequence[str], changed_since: dt.datetime) -> dict[str, str]:
    """The query parameters of one ``/cdc`` request."""
    if not entities:
        raise ValueError("cdc needs at least one entity")
    for entity in entities:
        q.check_identifier(entity, "entity")
    return {"entities": ",".join(entities), "changedSince": since_text(changed_since)}


def parse_cdc(data: Mapping[str, Any]) -> CdcAnswer:
    """Read ``{"CDCResponse": [{"QueryResponse": [{Entity: [...], ...}, ...]}], "time"}``."""
    changed: dict[str, list[dict[str, Any]]] = {}
    deleted: dict[str, list[str]] = {}
    count = 0
    for block in data.get("CDCResponse") or []:
        for answer in (block or {}).get("QueryResponse") or []:
            for entity, objects in (answer or {}).items():
                if not isinstance(objects, list):
                    continue  # startPosition, maxResults, totalCount
                for obj in objects:
                    if not isinstance(obj, Mapping) or obj.get("Id") in (None, ""):
                        continue
                    count += 1
                    if str(obj.get("status") or "").lower() == "deleted":
                        deleted.setdefault(entity, []).append(str(obj["Id"]))
                    else:
                        changed.setdefault(entity, []).append(dict(obj))
    return CdcAnswer(changed=changed, deleted=deleted, time=str(data.get("time") or ""),
                     capped=count >= MAX_OBJECTS)
