"""The lazily generated catalogue of the ``scale:N`` dataset.

Why a module of its own: a 100 000-product catalogue is derived field by field from
the product id instead of being held in memory; how each field is derived (and found
back from a SKU) is one job, apart from the records built from it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myfulfillment_emulator.records import PRODUCT_FIELDS, Record, ean13
from myfulfillment_emulator.values import dec4, money, timestamp

__all__ = ["SCALE_START", "GeneratedProducts"]

_ADJECTIVES = ("Classique", "Édition limitée", "Bio", "Artisanal", "Premium", "Éco", "Grand cru")
_NOUNS = ("E-liquide", "Résistance", "Thé", "Café", "Bougie", "Accu", "Confiture", "Étui")
_MANUFACTURERS = ("Nevoks", "Vaporesso", "Maison Roucou", "Liquidarôme", "Opinel", None)
_CATEGORIES = ("E-liquides", "Épicerie fine", "Accessoires", "Maison", "Kits & pods")
_RATES = ("20.0000", "20.0000", "5.5000", "20.0000", "10.0000", "20.0000", "5.5000")
SCALE_START = datetime(2026, 1, 1, 0, 0, 0)


class GeneratedProducts:
    """A catalogue of ``count`` products computed on demand from their id.

    A 100 000-product catalogue held as dicts would cost hundreds of megabytes; here a
    record (or a single field, for sorting and filtering) is derived from its id, so
    the store only keeps the records that tests touched.
    """

    fields = PRODUCT_FIELDS

    def __init__(self, count: int) -> None:
        """Describe a catalogue of ids ``1..count``."""
        self.count = count
        self._values: dict[str, Callable[[int], Any]] = {
            "id": str,
            "sku": self.sku,
            "name": lambda i: f"{_NOUNS[i % 8]} {_ADJECTIVES[i % 7]} n°{i}",
            "type": self._type,
            "barcode": lambda i: ean13(f"37{i:010d}"),
            "mpn": lambda i: f"MPN-{i:07d}",
            "manufacturer": lambda i: _MANUFACTURERS[i % 6],
            "category": lambda i: _CATEGORIES[i % 5],
            "status": lambda i: "0" if i % 1000 == 0 else "1",
            "discontinued": lambda i: "1" if i % 1000 == 0 else "0",
            "cost": lambda i: money(self.price(i) * Decimal("0.45")),
            "price": lambda i: money(self.price(i)),
            "tax_rate": lambda i: _RATES[i % 7],
            "weight": lambda i: dec4(Decimal(i % 2000) / 1000),
            "qty": lambda i: dec4(i % 250),
            "created_at": lambda i: timestamp(self._created(i)),
            "updated_at": lambda i: timestamp(
                self._created(i) + timedelta(seconds=(i * 7919) % 864_000)),
        }

    @staticmethod
    def sku(i: int) -> str:
        """SKU of product ``i``: numeric, some as ``parent-child`` pairs, some deleted."""
        base = f"{1_000_000 + i}-{2_000_000 + i}" if i % 10 == 0 else str(1_000_000 + i)
        return f"{base}_deleted" if i % 1000 == 0 else base

    def find(self, sku: str) -> int | None:
        """Id of the generated product with this SKU, or None."""
        head = sku.split("-", 1)[0].removesuffix("_deleted")
        if not head.isdigit():
            return None
        i = int(head) - 1_000_000
        return i if 1 <= i <= self.count and self.sku(i) == sku else None

    @staticmethod
    def price(i: int) -> Decimal:
        """Unit price excluding VAT (1.00 to 90.99)."""
        return Decimal(100 + (i * 37) % 9000) / 100

    @staticmethod
    def _type(i: int) -> str:
        if i % 50 == 0:
            return "virtual"
        if i % 97 == 0:
            return "kit"
        return "alias" if i % 89 == 0 else "simple"

    @staticmethod
    def _created(i: int) -> datetime:
        return SCALE_START + timedelta(seconds=5 * i)

    def value(self, i: int, name: str) -> Any:
        """One field of product ``i`` (None for a field the catalogue does not have)."""
        make = self._values.get(name)
        return make(i) if make else None

    def record(self, i: int) -> Record:
        """The whole product ``i``."""
        return {name: make(i) for name, make in self._values.items()}
