"""What QuickBooks' change data capture means for the documents the target wrote.

Why: the ID map says "written" for ever, but a person can delete or edit a
document in QuickBooks afterwards. This module turns one CDC answer (or a full
check, when CDC cannot answer) and the map into decisions, without any I/O:

- a **deleted** document is forgotten from the map and written again once its
  source record comes back (:class:`Deletion`);
- an **edited** one is reported as drift with what changed, and never
  overwritten (:class:`Drift`);
- a change the target made itself (create, void) carries the SyncToken the map
  recorded, and a change that leaves total, lines and customer as the target
  wrote them (a payment, a memo) is not drift: the map just takes the new
  SyncToken (:attr:`Findings.settled`).

The map entry of a document is ``Id:SyncToken:fingerprint``, the fingerprint
being ``total/customer Id/lines hash`` of what QuickBooks answered when the
target last wrote or found it (:func:`document_fingerprint`): a few dozen bytes
per document, enough to say *what* changed without keeping the document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from target_quickbooks.state import DELETED_IN_QUICKBOOKS, MapEntry, parse_map_value

#: ID map kind of each document entity CDC reports (a credit memo of a paid invoice is a
#: RefundReceipt in the ``credit_memos`` map), the map's own entity, and all of its entities.
KIND_OF_ENTITY = {"Invoice": "invoices", "CreditMemo": "credit_memos",
                  "RefundReceipt": "credit_memos"}
ENTITY_OF_KIND = {"invoices": "Invoice", "credit_memos": "CreditMemo"}
ENTITIES_OF_KIND = {kind: tuple(entity for entity, of in KIND_OF_ENTITY.items() if of == kind)
                    for kind in ENTITY_OF_KIND}
#: Pending status of a document deleted in QuickBooks, waiting for its source record.
DELETED = DELETED_IN_QUICKBOOKS
#: The next check starts this much before the last answer's time: LastUpdatedTime has
#: one-second precision and clocks differ; seeing a change twice is harmless.
OVERLAP = dt.timedelta(minutes=5)
#: CDC looks back 30 days at most; past this age of the last check, check in full instead
#: (a margin for clocks and a run that lasts).
CDC_MAX_AGE = dt.timedelta(days=29)
#: Line fields that make a document's content (descriptions and line Ids are not).
_LINE_DETAILS = ("SalesItemLineDetail", "DiscountLineDetail")


def _amount(value: Any) -> str:
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    except (InvalidOperation, ValueError):
        return str(value)


def _ref(value: Any) -> str:
    return str(value.get("value") or "") if isinstance(value, Mapping) else ""


def _line(line: Mapping[str, Any]) -> list[str] | None:
    kind = str(line.get("DetailType") or "")
    if kind not in _LINE_DETAILS:
        return None  # SubTotalLineDetail and the like are QuickBooks' own
    detail = line.get(kind) or {}
    return [kind, _amount(line.get("Amount")), _ref(detail.get("ItemRef")),
            _amount(detail.get("Qty", "")) if "Qty" in detail else "",
            _amount(detail.get("UnitPrice", "")) if "UnitPrice" in detail else "",
            _ref(detail.get("TaxCodeRef")), str(detail.get("PercentBased", "")),
            _amount(detail.get("DiscountPercent", "")) if "DiscountPercent" in detail else ""]


def is_document(row: Mapping[str, Any]) -> bool:
    """Whether a QuickBooks object is a sales document (has lines, a total, a customer)."""
    return "Line" in row and "TotalAmt" in row and "CustomerRef" in row


def document_fingerprint(row: Mapping[str, Any]) -> str:
    """``total/customer Id/lines hash`` of a QuickBooks Invoice or CreditMemo.

    No ``:`` inside (the map entry's separator). The lines hash covers each sales and
    discount line's amount, item, quantity, price and tax code, in order.
    """
    lines = [entry for line in row.get("Line") or [] if isinstance(line, Mapping)
             if (entry := _line(line)) is not None]
    digest = hashlib.sha256(json.dumps(lines).encode()).hexdigest()[:8]
    return f"{_amount(row.get('TotalAmt'))}/{_ref(row.get('CustomerRef'))}/{digest}"


def describe_changes(before: str, after: str) -> list[str]:
    """What differs between two fingerprints, in a bookkeeper's words."""
    old = [*before.split("/"), "", "", ""][:3]
    new = [*after.split("/"), "", "", ""][:3]
    changes = []
    if old[0] != new[0]:
        changes.append(f"total {old[0]} -> {new[0]}")
    if old[1] != new[1]:
        changes.append(f"customer Id {old[1]} -> {new[1]}")
    if old[2] != new[2]:
        changes.append("lines changed (item, quantity, price, amount or tax code)")
    return changes


@dataclass(frozen=True)
class Mapped:
    """A map entry found for a QuickBooks Id: its kind, source key and entry."""

    kind: str
    key: str
    entry: MapEntry


@dataclass(frozen=True)
class Deletion:
    """A document the target wrote, deleted in QuickBooks."""

    kind: str
    key: str
    qbo_id: str


@dataclass(frozen=True)
class Drift:
    """A document the target wrote, edited in QuickBooks (total, lines or customer)."""

    kind: str
    key: str
    qbo_id: str
    doc_number: str
    sync_token: str
    changes: tuple[str, ...]

    def as_state(self, seen: str) -> dict[str, Any]:
        """The entry kept under ``drift[stream][key]`` and shown by ``report``."""
        return {"id": self.qbo_id, "doc_number": self.doc_number,
                "sync_token": self.sync_token, "changes": list(self.changes), "seen": seen,
                "hint": "the document was edited in QuickBooks after the target wrote it; "
                        "the target leaves it as it is: check it against the source, and undo "
                        "the edit in QuickBooks if it was a mistake (the entry clears itself "
                        "when total, lines and customer match again)"}


@dataclass
class Findings:
    """What one check found, for the writer to apply to the state."""

    deleted: list[Deletion] = field(default_factory=list)
    drifted: list[Drift] = field(default_factory=list)
    #: New map entries (same content as written, newer SyncToken; or a first fingerprint).
    settled: list[Mapped] = field(default_factory=list)


def wanted_ids(changed: Mapping[str, Iterable[Mapping[str, Any]]],
               deleted: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Kind → the QuickBooks Ids a check names (to find their map entries in one pass)."""
    ids: dict[str, set[str]] = {}
    for entity, rows in changed.items():
        if entity in KIND_OF_ENTITY:
            ids.setdefault(KIND_OF_ENTITY[entity], set()).update(str(r.get("Id")) for r in rows)
    for entity, gone in deleted.items():
        if entity in KIND_OF_ENTITY:
            ids.setdefault(KIND_OF_ENTITY[entity], set()).update(map(str, gone))
    return ids


def parse_entry(raw: str) -> MapEntry:
    """A map value (``Id``, ``Id:SyncToken:fingerprint``, ``...:Entity``) as an entry."""
    return parse_map_value(raw)


def entity_of(kind: str, entry: MapEntry) -> str:
    """The QuickBooks entity of a map entry (the map's own unless the entry names another)."""
    return entry.entity or ENTITY_OF_KIND[kind]


def find_mapped(kind: str, entries: Iterable[tuple[str, str]], ids: set[str]
                ) -> dict[tuple[str, str], Mapped]:
    """(entity, QuickBooks Id) → map entry, for the ``ids`` among ``entries`` (key, raw value)."""
    found: dict[tuple[str, str], Mapped] = {}
    for key, raw in entries:
        entry = parse_entry(raw)
        if entry.id in ids:
            found[(entity_of(kind, entry), entry.id)] = Mapped(kind, key, entry)
    return found


def compare(changed: Mapping[str, Iterable[Mapping[str, Any]]],
            deleted: Mapping[str, Iterable[str]],
            mapped: Mapping[tuple[str, str], Mapped]) -> Findings:
    """Decide, for every document the target mapped, what a check's answer means.

    ``mapped`` is keyed by (entity, QuickBooks Id): a RefundReceipt and a CreditMemo
    of the ``credit_memos`` map are told apart by the entity each entry names.

    Objects the map does not know (written by someone else, or already forgotten)
    are not the target's business and are ignored.
    """
    findings = Findings()
    for entity, gone in deleted.items():
        kind = KIND_OF_ENTITY.get(entity)
        if kind is None:
            continue
        for qbo_id in gone:
            known = mapped.get((entity, str(qbo_id)))
            if known is not None:
                findings.deleted.append(Deletion(kind, known.key, str(qbo_id)))
    for entity, rows in changed.items():
        kind = KIND_OF_ENTITY.get(entity)
        if kind is None:
            continue
        for row in rows:
            known = mapped.get((entity, str(row.get("Id"))))
            if known is not None:
                _compare_row(findings, kind, known, row)
    return findings


def _compare_row(findings: Findings, kind: str, known: Mapped, row: Mapping[str, Any]) -> None:
    token = str(row.get("SyncToken") or "")
    if known.entry.sync_token and token == known.entry.sync_token:
        return  # the version the target wrote or last accepted
    now = document_fingerprint(row)
    was = known.entry.content_hash
    if not was or now == was:
        # A first fingerprint (an entry from before checks existed), or the same content
        # with a newer SyncToken (a payment, a memo edit): not drift.
        findings.settled.append(Mapped(kind, known.key, replace(
            known.entry, sync_token=token, content_hash=was or now)))
        return
    findings.drifted.append(Drift(kind, known.key, known.entry.id,
                                  str(row.get("DocNumber") or ""), token,
                                  tuple(describe_changes(was, now))))


def check_due(last: str | None, now: dt.datetime) -> str:
    """How to check this run: ``"start"`` (no check yet), ``"cdc"`` or ``"full"`` (too old)."""
    if not last:
        return "start"
    try:
        when = dt.datetime.fromisoformat(last)
    except ValueError:
        return "full"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return "cdc" if now - when <= CDC_MAX_AGE else "full"


def next_since(answer_time: str, fallback: dt.datetime) -> str:
    """Where the next check starts: the answer's time (QuickBooks' clock) less the overlap."""
    try:
        when = dt.datetime.fromisoformat(answer_time)
    except ValueError:
        when = fallback
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return (when - OVERLAP).astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()
