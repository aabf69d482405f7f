"""One row per product SKU, merged from every products feed's state, naming the feed that wrote it.

Each feed keeps its own state, and both products feeds map every SKU they
have met: ``create-products`` the items it created, ``update-products`` the
same items, found by SKU, updated or left alone. To keep 100,000-SKU states
small the target stores no outcome for a synced SKU, only its map entry
``Id:SyncToken:hash``. QuickBooks' SyncToken says who wrote the item last:
it is 0 on creation and goes up by one on every update, so

- the feed holding the highest SyncToken saw the newest version;
- on a tie at 0, nobody updated the item: it was written by the feed that
  creates (``created``);
- on a tie above 0, the feed that updates wrote that version (``updated``): the
  feed that only creates records what it found, never writes over it.

A SKU whose last outcome was not a sync (rejected, skipped, deferred) has a
``[status, at]`` entry in that feed's state. A problem (rejected, deferred,
needing attention) is shown whatever the other feeds did, since it is still
waiting to be retried; a skip only when it is newer than the sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from target_quickbooks.admin.report_feeds import CREATE, UPDATE, product_mode

#: Statuses still waiting to be retried: they are shown over any feed's sync.
PROBLEMS = frozenset({"rejected", "deferred", "needs_attention"})


@dataclass(slots=True)
class ProductRow:
    """The report's line for one SKU."""

    sku: str
    quickbooks_id: str | None
    status: str
    at: str
    feed: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"sku": self.sku, "quickbooks_id": self.quickbooks_id, "status": self.status,
                "at": self.at, "feed": self.feed}


@dataclass(slots=True)
class _Synced:
    feed: str
    qbo_id: str
    token: int
    at: str
    mode: str


@dataclass(slots=True)
class _Status:
    feed: str
    status: str
    at: str


@dataclass(slots=True)
class _Seen:
    synced: _Synced | None = None
    status: _Status | None = None


def _token(raw: str) -> int:
    parts = str(raw).split(":")
    try:
        return int(parts[1]) if len(parts) > 1 else -1
    except ValueError:
        return -1


def _wrote_later(new: _Synced, old: _Synced) -> bool:
    """Whether ``new`` names the feed that wrote the item's current version rather than ``old``."""
    if new.token != old.token:
        return new.token > old.token
    wanted = CREATE if new.token <= 0 else UPDATE
    rank = {wanted: 2, "upsert": 1}
    new_rank, old_rank = rank.get(new.mode, 0), rank.get(old.mode, 0)
    if new_rank != old_rank:
        return new_rank > old_rank
    return new.at > old.at


def _synced_status(synced: _Synced) -> str:
    if synced.token == 0 and synced.mode != UPDATE:
        return "created"
    if synced.token > 0 and synced.mode != CREATE:
        return "updated"
    return "synced"


def merge_products(feeds: Iterable[tuple[str, Mapping[str, Any]]]) -> list[ProductRow]:
    """Rows sorted by SKU from ``(feed name, target entry)`` pairs."""
    seen: dict[str, _Seen] = {}
    for feed, entry in feeds:
        mode = product_mode(feed)
        last_run = str(entry.get("last_run") or "")
        for sku, raw in (entry.get("items") or {}).items():
            candidate = _Synced(feed, str(raw).split(":")[0], _token(raw), last_run, mode)
            slot = seen.setdefault(sku, _Seen())
            if slot.synced is None or _wrote_later(candidate, slot.synced):
                slot.synced = candidate
        for sku, value in (entry.get("products") or {}).items():
            status, at = ([*list(value or []), "", ""])[:2]
            if not status:
                continue
            found = _Status(feed, str(status), str(at or ""))
            slot = seen.setdefault(sku, _Seen())
            if slot.status is None or found.at >= slot.status.at:
                slot.status = found
    return [_row(sku, seen[sku]) for sku in sorted(seen)]


def _row(sku: str, slot: _Seen) -> ProductRow:
    synced, status = slot.synced, slot.status
    qbo_id = synced.qbo_id if synced is not None else None
    if status is not None and (synced is None or status.status in PROBLEMS
                               or status.at >= synced.at):
        return ProductRow(sku, qbo_id, status.status, status.at, status.feed)
    assert synced is not None  # a slot holds at least one of the two
    return ProductRow(sku, qbo_id, _synced_status(synced), synced.at, synced.feed)
