"""``products`` record → QuickBooks ``Item`` payload."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError, required_text
from target_quickbooks.mappers.money import ZERO, json_number, to_decimal
from target_quickbooks.mappers.names import NAME_MAX, clean_name, unique_item_name

#: Source product type → QuickBooks Item Type.
ITEM_TYPES: dict[str, str] = {
    "simple": "Inventory",
    "virtual": "Service",
    "kit": "NonInventory",
    "alias": "NonInventory",
}

#: Accounts each QuickBooks item type needs (names of the account roles).
ACCOUNT_ROLES: dict[str, tuple[str, ...]] = {
    "Inventory": ("income", "expense", "asset"),
    "Service": ("service_income",),
    "NonInventory": ("income", "expense"),
}

#: Fields sent on create only: QuickBooks refuses to change Type freely, and the
#: quantity on hand belongs to QuickBooks once the item exists.
CREATE_ONLY_FIELDS = ("Type", "TrackQtyOnHand", "QtyOnHand", "InvStartDate")

SKU_MAX = 100
DESCRIPTION_MAX = 4000
DELETED_SUFFIX = "_deleted"
_DISABLED = {"0", "false", "disabled", "no"}


def is_deleted(record: Mapping[str, Any]) -> bool:
    """Whether the record is a product deleted at the source (SKU renamed ``<sku>_deleted``)."""
    return str(record.get("sku") or "").strip().endswith(DELETED_SUFFIX)


def live_sku(sku: str) -> str:
    """``<sku>`` for a deleted product's ``<sku>_deleted``; any other SKU as it is."""
    if sku.endswith(DELETED_SUFFIX) and len(sku) > len(DELETED_SUFFIX):
        return sku.removesuffix(DELETED_SUFFIX)
    return sku


def product_sku(record: Mapping[str, Any]) -> str:
    """The product's SKU (the ID map key and ``Sku``), checked against QuickBooks' limit.

    myFulfillment renames a deleted product's SKU ``<sku>_deleted``; its invoices and
    credit memos still name ``<sku>``. The deleted product is the same item as the
    product it was: one key, one QuickBooks item (made inactive), not a second item.

    Raises:
        MappingError: when missing or longer than 100 characters.
    """
    sku = required_text(record, "sku", why="every product needs a SKU",
                        hint="give the product a SKU at the source")
    sku = live_sku(sku)
    if len(sku) > SKU_MAX:
        raise MappingError(
            f"'sku' is {len(sku)} characters; QuickBooks allows at most {SKU_MAX}",
            field="sku",
            hint="shorten the SKU in myFulfillment or rename it with stream_maps",
        )
    return sku


def item_type(record: Mapping[str, Any]) -> str:
    """QuickBooks Item Type for a product (``simple`` when the record has none).

    Raises:
        MappingError: for a type outside ``simple``/``virtual``/``kit``/``alias``.
    """
    raw = record.get("type")
    source = "simple" if raw in (None, "") else str(raw).strip().lower()
    if source not in ITEM_TYPES:
        known = ", ".join(sorted(ITEM_TYPES))
        raise MappingError(
            f"'type' is {raw!r}, which has no QuickBooks item type; expected one of {known}",
            field="type",
            hint="map the type to a known one with stream_maps",
        )
    return ITEM_TYPES[source]


def live_last(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The records with deleted products first, so a live product of a SKU wins.

    A SKU reused after its product was deleted comes in as both ``<sku>_deleted`` (the
    old product) and ``<sku>`` (the live one); the item follows the live product,
    whatever order they arrive in. Otherwise the order is kept (the latest wins).
    """
    ordered = list(records)
    return [record for record in ordered if is_deleted(record)] + [
        record for record in ordered if not is_deleted(record)]


def is_active(record: Mapping[str, Any]) -> bool:
    """False for a disabled product (status ``"0"``) or a deleted one (``<sku>_deleted``)."""
    if is_deleted(record):
        return False
    status = record.get("status")
    if status is None or status == "":
        return True
    if isinstance(status, bool):
        return status
    return str(status).strip().lower() not in _DISABLED


def item_name(record: Mapping[str, Any], *, suffixed: bool = False) -> str:
    """The item Name: cleaned, and with the SKU suffix when it collided before."""
    name = clean_name(record.get("name"), field="name", max_len=NAME_MAX)
    return unique_item_name(name, product_sku(record)) if suffixed else name


def _money_field(record: Mapping[str, Any], field: str) -> Decimal | None:
    if record.get(field) in (None, ""):
        return None
    value = to_decimal(record.get(field), field)
    if value < ZERO:
        raise MappingError(
            f"'{field}' is negative ({value}); QuickBooks needs a price of 0 or more",
            field=field,
            hint=f"correct the product's {field} at the source",
        )
    return value


def map_product(
    record: Mapping[str, Any],
    *,
    accounts: Mapping[str, Mapping[str, str]],
    inv_start_date: str,
    suffixed: bool = False,
) -> dict[str, Any]:
    """Build the full (create) Item payload of a product.

    Args:
        record: a ``products`` record.
        accounts: account role (``income``, ``service_income``, ``expense``,
            ``asset``) → reference ``{"value": Id, "name": Name}``; only the roles
            of the item's type are read.
        inv_start_date: ``YYYY-MM-DD`` for new inventory items.
        suffixed: use the SKU-suffixed unique name (after a name collision).

    Returns:
        The payload; :func:`update_payload` derives the sparse update from it.

    Raises:
        MappingError: on a bad SKU, type, name, price, cost or quantity.
    """
    sku = product_sku(record)
    qbo_type = item_type(record)
    payload: dict[str, Any] = {
        "Name": item_name(record, suffixed=suffixed),
        "Sku": sku,
        "Type": qbo_type,
        "Active": is_active(record),
    }
    price = _money_field(record, "price")
    if price is not None:
        payload["UnitPrice"] = json_number(price)
    cost = _money_field(record, "cost")
    if cost is not None:
        payload["PurchaseCost"] = json_number(cost)
    description = record.get("description")
    if description not in (None, ""):
        payload["Description"] = str(description)[:DESCRIPTION_MAX]
    for role in ACCOUNT_ROLES[qbo_type]:
        ref = accounts.get(role)
        if not ref:
            raise MappingError(f"no {role} account given for {qbo_type} item", field="type")
        key = {"income": "IncomeAccountRef", "service_income": "IncomeAccountRef",
               "expense": "ExpenseAccountRef", "asset": "AssetAccountRef"}[role]
        payload[key] = dict(ref)
    if qbo_type == "Inventory":
        payload["TrackQtyOnHand"] = True
        payload["QtyOnHand"] = json_number(to_decimal(record.get("qty"), "qty", default=ZERO))
        payload["InvStartDate"] = inv_start_date
    return payload


def update_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``payload`` an update may change (create-only fields removed)."""
    return {key: value for key, value in payload.items() if key not in CREATE_ONLY_FIELDS}


def payload_hash(payload: Mapping[str, Any]) -> str:
    """8 hex digits identifying a payload's content, to skip unchanged updates."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(canonical.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
