"""What the writer sends: one Job per create or update, or the reason there is none.

Also the stream names the target works with and the key a keyless record is kept under.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from target_quickbooks.mappers.documents import CREDIT_MEMO, INVOICE
from target_quickbooks.mappers.names import short_hash
from target_quickbooks.qbo import canonical_json
from target_quickbooks.state import ENTITY_OF_KIND, MapEntry, json_safe

PRODUCTS = "products"
CUSTOMERS = "customers"
STREAMS = (PRODUCTS, CUSTOMERS, INVOICE, CREDIT_MEMO)
STREAM_ALIASES = {"creditmemos": CREDIT_MEMO}
#: Pending payments and their ID map (not a source stream: planned from invoices and
#: credit memos, see writer/payments.py).
PAYMENTS = "payments"
KIND = {PRODUCTS: "items", CUSTOMERS: "customers", INVOICE: "invoices",
        CREDIT_MEMO: "credit_memos", PAYMENTS: "payments"}
DRY_RUN_ID = "dry-run"
#: Source document states meaning the sale did not happen (``state`` field).

def canonical_stream(name: str) -> str:
    """The stream name the target works with (``creditmemos`` → ``credit_memos``)."""
    return STREAM_ALIASES.get(name, name)



@dataclass
class Job:
    """One create or update to send, with what is needed to record its outcome."""

    stream: str
    key: str
    record: Mapping[str, Any]
    operation: str
    payload: dict[str, Any]
    content_hash: str = ""
    request_key: str = ""
    retried: bool = False
    suffixed: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """Name of the ID map (``items``, ``customers``, ...)."""
        return KIND[self.stream]

    @property
    def entity(self) -> str:
        """QuickBooks entity name: ``info["entity"]`` when set (RefundReceipt), else the map's."""
        return str(self.info.get("entity") or ENTITY_OF_KIND[self.kind])


@dataclass(frozen=True)
class Unchanged:
    """Nothing to send; ``entry`` is the map entry to record (found identical), if any."""

    entry: MapEntry | None = None


@dataclass(frozen=True)
class Skip:
    """Nothing to send because of ``product_mode``."""

    reason: str


Plan = Job | Unchanged | Skip

_LABEL_FIELDS = ("id", "increment_id", "sku", "name", "customer_key", "email", "customer_id")


def fallback_key(record: Mapping[str, Any]) -> str:
    """A key for a record whose own key is missing, so it can still be kept in state.

    Derived from the record's JSON form, which is the same before and after a trip
    through state (Decimals become strings there): a record retried from state gets
    the key it was stored under, so it replaces its own pending entry. A readable
    label (its id, number or name) lets messages and ``report`` name the record.
    """
    safe = json_safe(record)
    label = next((str(safe[name]).strip() for name in _LABEL_FIELDS
                  if isinstance(safe, Mapping) and str(safe.get(name) or "").strip()), "")
    digest = short_hash(canonical_json(safe))
    return f"missing-key:{label[:40]}:{digest}" if label else f"missing-key:{digest}"
