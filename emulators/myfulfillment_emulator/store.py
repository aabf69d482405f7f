"""In-memory records of the four collections, with the API's filters, sorts and paging.

Records are kept in their wire format (strings) and never mutated in place: a change
replaces the record with a new dict, so a page being serialised by another thread
is never half-updated. Bulk generated products live in ``GeneratedProducts`` and
only touched ones are stored here.
"""

from __future__ import annotations

import copy
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from myfulfillment_emulator.dataset import (
    CREDIT_MEMO_FIELDS,
    DECIMAL_FIELDS,
    ID_FIELDS,
    INVOICE_FIELDS,
    MONEY_FIELDS,
    ORDER_FIELDS,
    PRODUCT_FIELDS,
    Dataset,
    GeneratedProducts,
    Record,
    complete_document,
)
from myfulfillment_emulator.values import dec4, later, money, timestamp

NUMERIC_FIELDS = MONEY_FIELDS | DECIMAL_FIELDS | ID_FIELDS
_CACHE_SIZE = 16


class QueryError(ValueError):
    """A bad ``filters``/``sorts`` parameter, reported as a Laravel validation error."""

    def __init__(self, parameter: str, message: str) -> None:
        """Remember which query parameter was wrong."""
        super().__init__(message)
        self.parameter = parameter


def normalize(name: str, value: Any) -> Any:
    """Bring a test-supplied value to the wire format (4-decimal strings, string ids)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timestamp(value)
    if name in MONEY_FIELDS:
        return money(value)
    if name in DECIMAL_FIELDS:
        return dec4(value)
    if name in ID_FIELDS:
        return str(value)
    if name == "items" and isinstance(value, list):
        return [{key: normalize(key, item_value) for key, item_value in item.items()}
                for item in value]
    return value


def _like(pattern: str) -> re.Pattern[str]:
    """Translate SQL LIKE (``%`` any run, ``_`` one character, backslash escapes)."""
    parts = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _as_decimal(text: object) -> Decimal | None:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def matcher(name: str, wanted: str) -> Callable[[Any], bool]:
    """Predicate for ``filters[name]=wanted``: LIKE when it holds ``%``, else equality.

    Comparisons ignore case, as MySQL's default collation does; numeric fields also
    compare by value, so ``filters[price]=12.9`` finds ``"12.9000"``.
    """
    if "%" in wanted:
        regex = _like(wanted)
        return lambda value: value is not None and regex.fullmatch(str(value)) is not None
    folded = wanted.casefold()
    number = _as_decimal(wanted) if name in NUMERIC_FIELDS else None

    def match(value: Any) -> bool:
        if value is None:
            return False
        if str(value).casefold() == folded:
            return True
        return number is not None and _as_decimal(value) == number

    return match


def sort_key(name: str) -> Callable[[Any], tuple[Any, ...]]:
    """Sort key for one field: numbers by value, text ignoring case, nulls first."""
    if name in NUMERIC_FIELDS:
        return lambda value: (0,) if value is None else (1, _as_decimal(value) or Decimal(0))
    return lambda value: (0,) if value is None else (1, str(value).casefold())


class Collection:
    """One endpoint's records, addressed by numeric id and by a natural key."""

    def __init__(self, name: str, key: str, fields: tuple[str, ...], records: Iterable[Record],
                 generated: GeneratedProducts | None = None) -> None:
        """Index the records; ``generated`` supplies ids ``1..generated.count`` lazily."""
        self.name = name
        self.key = key
        self.fields = fields
        self.scalar_fields = frozenset(
            name for name in fields if name not in ("items", "billing_address",
                                                    "shipping_address"))
        self._generated = generated
        self._generated_count = generated.count if generated else 0
        self._records: dict[int, Record] = {}
        self._index: dict[str, int] = {}
        self._columns: dict[str, list[Any]] = {}
        self._results: OrderedDict[tuple[Any, ...], list[int]] = OrderedDict()
        self._latest: str | None = None
        for record in records:
            self._put(record)

    # -- reading --------------------------------------------------------------------------
    def ids(self) -> list[int]:
        """All ids in ascending order (the default sort)."""
        extra = sorted(i for i in self._records if i > self._generated_count)
        return [*range(1, self._generated_count + 1), *extra]

    def __len__(self) -> int:
        """Number of records."""
        return self._generated_count + sum(1 for i in self._records
                                           if i > self._generated_count)

    def get(self, record_id: int) -> Record:
        """The record with this id (generated products are built on the fly)."""
        record = self._records.get(record_id)
        if record is None:
            if self._generated is None or not 1 <= record_id <= self._generated_count:
                raise KeyError(record_id)
            record = self._generated.record(record_id)
        return record

    def find(self, key_value: str) -> Record | None:
        """The record whose natural key (sku, increment_id or id) equals ``key_value``."""
        record_id = self._index.get(key_value)
        if record_id is None and self._generated is not None:
            record_id = self._generated.find(key_value)
            if record_id in self._records:  # touched since: its key may have changed
                record_id = None
        return None if record_id is None else self.get(record_id)

    def value(self, record_id: int, name: str) -> Any:
        """One field of one record, without building generated records."""
        record = self._records.get(record_id)
        if record is not None or self._generated is None:
            return record.get(name) if record is not None else None
        column = self._columns.get(name)
        if column is None:
            column = [self._generated.value(i, name)
                      for i in range(1, self._generated_count + 1)]
            self._columns[name] = column
        return column[record_id - 1]

    def query(self, filters: list[tuple[str, str]], sorts: list[tuple[str, str]],
              offset: int, limit: int) -> tuple[list[Record], int]:
        """One page of records after filters and sorts, and the filtered total."""
        for name, _ in filters:
            if name not in self.scalar_fields:
                raise QueryError(f"filters.{name}", f"The filter field `{name}` is not allowed.")
        for name, direction in sorts:
            if name not in self.scalar_fields:
                raise QueryError(f"sorts.{name}", f"The sort field `{name}` is not allowed.")
            if direction not in ("asc", "desc"):
                raise QueryError(f"sorts.{name}", f"The sorts.{name} field must be asc or desc.")
        cache_key = (tuple(filters), tuple(sorts))
        ids = self._results.get(cache_key)
        if ids is None:
            ids = self._select(filters, sorts)
            self._results[cache_key] = ids
            if len(self._results) > _CACHE_SIZE:
                self._results.popitem(last=False)
        return [self.get(i) for i in ids[offset:offset + limit]], len(ids)

    def _select(self, filters: list[tuple[str, str]], sorts: list[tuple[str, str]]) -> list[int]:
        ids = self.ids()
        for name, wanted in filters:
            match = matcher(name, wanted)
            ids = [i for i in ids if match(self.value(i, name))]
        # Stable sorts from the last key to the first give a multi-key sort whose ties
        # keep ascending id order, whatever the directions.
        for name, direction in reversed(sorts):
            ids.sort(key=self._sort_key(name), reverse=direction == "desc")
        return ids

    def _sort_key(self, name: str) -> Callable[[int], tuple[Any, ...]]:
        key = sort_key(name)

        def record_key(record_id: int) -> tuple[Any, ...]:
            return key(self.value(record_id, name))

        return record_key

    # -- writing --------------------------------------------------------------------------
    def latest_updated_at(self) -> str:
        """The greatest ``updated_at`` of the collection."""
        if self._latest is None:
            stamps = [self.value(i, "updated_at") for i in self.ids()]
            self._latest = max((s for s in stamps if s), default="2026-01-01 00:00:00")
        return self._latest

    def touch(self, key_value: str, changes: dict[str, Any]) -> Record:
        """Apply changes and make the record the most recently updated one."""
        current = self.find(key_value)
        if current is None:
            raise KeyError(f"{self.name}: no record with {self.key} {key_value!r}")
        self._check_fields(changes, f"{self.name} {key_value!r}")
        if "id" in changes:
            raise ValueError(f"{self.name} {key_value!r}: 'id' cannot be changed")
        record = {**current, **{name: normalize(name, value) for name, value in changes.items()}}
        if "updated_at" not in changes:
            record["updated_at"] = later(self.latest_updated_at())
        self._latest = max(self.latest_updated_at(), record["updated_at"])
        self._index.pop(current[self.key], None)
        self._put(record)
        return record

    def add(self, fields: dict[str, Any]) -> Record:
        """Add a record with the next id, created and updated after every other record."""
        label = f"{self.name} {fields.get(self.key)!r}"
        self._check_fields(fields, label)
        if self.key != "id":
            if not fields.get(self.key):
                raise ValueError(f"{label}: '{self.key}' is required")
            if self.find(str(fields[self.key])) is not None:
                raise ValueError(f"{label}: {self.key} already exists; use touch to change it")
        record_id = max([self._generated_count, *self._records]) + 1
        stamp = later(self.latest_updated_at())
        record = {name: normalize(name, fields.get(name)) for name in self.fields}
        record["id"] = str(record_id)
        record["created_at"] = normalize("created_at", fields.get("created_at")) or stamp
        record["updated_at"] = normalize("updated_at", fields.get("updated_at")) or stamp
        if self.name != "products" and not record["increment_id"]:
            record["increment_id"] = str(900_000_000 + record_id)
        self._latest = max(stamp, record["updated_at"])
        self._put(record)
        return record

    def _check_fields(self, fields: dict[str, Any], label: str) -> None:
        unknown = sorted(set(fields) - set(self.fields))
        if unknown:
            raise ValueError(f"{label}: unknown field(s) {', '.join(unknown)}; "
                             f"known fields are {', '.join(self.fields)}")

    def _put(self, record: Record) -> None:
        record_id = int(record["id"])
        self._records[record_id] = record
        self._index[str(record[self.key])] = record_id
        self._results.clear()


_PRODUCT_DEFAULTS: Record = {
    "type": "simple", "status": "1", "discontinued": "0", "cost": "0", "price": "0",
    "tax_rate": "20", "weight": "0", "qty": "0",
}


class Store:
    """The emulator's data: four collections behind one lock.

    Methods return deep copies so that callers (tests) cannot change the served data
    by accident; use ``touch_*``/``add_*`` to change it on purpose.
    """

    def __init__(self, dataset: Dataset) -> None:
        """Load a dataset (see ``dataset.load``)."""
        self.lock = threading.RLock()
        self._collections = {
            "products": Collection("products", "sku", PRODUCT_FIELDS, dataset.products,
                                   dataset.generated),
            "orders": Collection("orders", "increment_id", ORDER_FIELDS, dataset.orders),
            "invoices": Collection("invoices", "id", INVOICE_FIELDS, dataset.invoices),
            "credit_memos": Collection("credit_memos", "id", CREDIT_MEMO_FIELDS,
                                       dataset.credit_memos),
        }

    def collection(self, name: str) -> Collection:
        """``products``, ``orders``, ``invoices`` or ``credit_memos``."""
        return self._collections[name]

    def query(self, name: str, filters: list[tuple[str, str]], sorts: list[tuple[str, str]],
              offset: int, limit: int) -> tuple[list[Record], int]:
        """One page of a collection and the filtered total (records are not copied)."""
        with self.lock:
            return self._collections[name].query(filters, sorts, offset, limit)

    def find(self, name: str, key_value: str) -> Record | None:
        """A record by natural key (not copied; records are never mutated in place)."""
        with self.lock:
            return self._collections[name].find(key_value)

    def _all(self, name: str) -> list[Record]:
        with self.lock:
            collection = self._collections[name]
            return copy.deepcopy([collection.get(i) for i in collection.ids()])

    def products(self) -> list[Record]:
        """Every product, by id (for a scale dataset this builds them all)."""
        return self._all("products")

    def orders(self) -> list[Record]:
        """Every sales order, by id."""
        return self._all("orders")

    def invoices(self) -> list[Record]:
        """Every invoice, by id."""
        return self._all("invoices")

    def credit_memos(self) -> list[Record]:
        """Every credit memo, by id."""
        return self._all("credit_memos")

    def product(self, sku: str) -> Record | None:
        """A copy of the product with this SKU, or None."""
        return copy.deepcopy(self.find("products", sku))

    def order(self, increment_id: str) -> Record | None:
        """A copy of the order with this number, or None."""
        return copy.deepcopy(self.find("orders", increment_id))

    def touch(self, name: str, key_value: str, /, **changes: Any) -> Record:
        """Change a record and give it an ``updated_at`` later than any other in its collection.

        An explicit ``updated_at`` in ``changes`` is kept as given.
        """
        with self.lock:
            return copy.deepcopy(self._collections[name].touch(str(key_value), changes))

    def touch_product(self, sku: str, /, **changes: Any) -> Record:
        """``touch`` a product by SKU (``sku=`` in changes renames it)."""
        return self.touch("products", sku, **changes)

    def touch_order(self, increment_id: str, /, **changes: Any) -> Record:
        """``touch`` an order by number."""
        return self.touch("orders", increment_id, **changes)

    def touch_invoice(self, invoice_id: str, /, **changes: Any) -> Record:
        """``touch`` an invoice by id."""
        return self.touch("invoices", invoice_id, **changes)

    def touch_credit_memo(self, credit_memo_id: str, /, **changes: Any) -> Record:
        """``touch`` a credit memo by id."""
        return self.touch("credit_memos", credit_memo_id, **changes)

    def add(self, name: str, /, **fields: Any) -> Record:
        """Add a record; documents get reconciled amounts computed from their items."""
        with self.lock:
            if name == "products":
                fields = {**_PRODUCT_DEFAULTS, "name": fields.get("sku"), **fields}
            else:
                fields = complete_document(name, fields, self._collections["products"].find)
            return copy.deepcopy(self._collections[name].add(fields))

    def add_product(self, **fields: Any) -> Record:
        """Add a product (``sku`` required; other fields default like a new simple product)."""
        return self.add("products", **fields)

    def add_order(self, **fields: Any) -> Record:
        """Add an order; ``items`` need ``sku`` and ``qty_ordered``, the rest is computed."""
        return self.add("orders", **fields)

    def add_invoice(self, **fields: Any) -> Record:
        """Add an invoice; ``items`` need ``sku`` and ``qty``, the rest is computed."""
        return self.add("invoices", **fields)

    def add_credit_memo(self, **fields: Any) -> Record:
        """Add a credit memo; ``items`` need ``sku`` and ``qty``, the rest is computed."""
        return self.add("credit_memos", **fields)
