"""Change data capture (``GET /cdc?entities=...&changedSince=...``) over the company's records.

Why a module of its own: CDC is the one read that also answers what is *gone*
(deleted transactions), so it needs the company's tombstones beside its live
records, plus its own rules (the 30-day look-back, the 1,000-object cap, the
entities it refuses). Sources, quoted in the emulator's README: Intuit's "Change
data capture operation" page and API reference (``ChangeDataCapture``), and the
response shape python-quickbooks parses (``quickbooks/cdc.py``).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import faults
from .entities import SPECS
from .faults import _TZ, QboFault, qbo_time
from .store import Company

#: How far back ``changedSince`` may go (Intuit: "track changes within the last 30 days").
LOOK_BACK = dt.timedelta(days=30)
#: Objects in one answer at most (Intuit: "a maximum of 1,000 objects").
MAX_OBJECTS = 1000
#: Entities CDC refuses (Intuit: "all API entities except JournalCode, TaxAgency,
#: TimeActivity, TaxCode, TaxRate"); the emulator also has no change history for
#: its singletons.
UNSUPPORTED = frozenset({"JournalCode", "TaxAgency", "TimeActivity", "TaxCode", "TaxRate",
                         "CompanyInfo", "Preferences"})


def parse_since(value: str) -> dt.datetime:
    """``changedSince`` as an instant: a date (``2026-03-01``) or ISO date-time.

    A value without an offset is read in the company's (Pacific) time zone, as
    QuickBooks stamps its own times and as queries read naive date-times.
    """
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        else:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise faults.invalid_value(
            "changedSince", value, "an ISO date (YYYY-MM-DD) or date-time is expected"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_TZ)


def _updated(record: Mapping[str, Any]) -> dt.datetime:
    stamp = str((record.get("MetaData") or {}).get("LastUpdatedTime") or "")
    return dt.datetime.fromisoformat(stamp)


def _entity_names(entities: str) -> list[str]:
    names: list[str] = []
    for raw in entities.split(","):
        wanted = raw.strip()
        if not wanted:
            continue
        spec = next((s for name, s in SPECS.items() if name.lower() == wanted.lower()), None)
        if spec is None or spec.name in UNSUPPORTED:
            raise QboFault(
                "4001", faults.MSG_QUERY_INVALID,
                f"QueryValidationError: entity {wanted!r} is not supported by change data "
                f"capture", "entities")
        if spec.name not in names:
            names.append(spec.name)
    if not names:
        raise faults.required("entities")
    return names


def change_data_capture(company: Company, params: Mapping[str, str],
                        now: dt.datetime | None = None) -> dict[str, Any]:
    """The ``/cdc`` answer: per entity, what changed since ``changedSince``.

    Within each entity, objects come by ``LastUpdatedTime``, deleted ones after
    the active ones (Intuit's reference: "Objects deleted within the look-back
    period are returned after active objects"). The answer stops at
    :data:`MAX_OBJECTS` objects over all entities; the client cannot tell what was
    left out, so it must ask for a shorter window (or check another way).

    Raises:
        QboFault: missing parameter (2020), unknown or unsupported entity (4001),
            unreadable date (2010), ``changedSince`` older than 30 days (see README).
    """
    entities = params.get("entities")
    changed_since = params.get("changedSince")
    if not entities:
        raise faults.required("entities")
    if not changed_since:
        raise faults.required("changedSince")
    names = _entity_names(entities)
    since = parse_since(changed_since)
    now = now or dt.datetime.now(_TZ)
    if since < now - LOOK_BACK:
        raise faults.business(
            f"Operation cdc with changedSince date {changed_since} which is older than fixed "
            "days is not supported.", "changedSince")
    room = MAX_OBJECTS
    answers: list[dict[str, Any]] = []
    with company.lock:
        for name in names:
            active = sorted((r for r in company.all(name) if _updated(r) >= since),
                            key=_updated)
            gone = sorted((r for r in company.tombstones(name) if _updated(r) >= since),
                          key=_updated)
            found = [*active, *gone][:room]
            room -= len(found)
            if not found:
                answers.append({})
                continue
            answers.append({name: copy.deepcopy(found), "startPosition": 1,
                            "maxResults": len(found), "totalCount": len(found)})
    return {"CDCResponse": [{"QueryResponse": answers}], "time": qbo_time()}
