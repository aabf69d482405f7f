"""The data one emulator instance serves.

Why a module of its own: the demo and scale builds both return a :class:`Dataset`,
and :mod:`.dataset` picks the build by name; keeping the type apart lets each
build import it without importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from myfulfillment_emulator.generated import GeneratedProducts
from myfulfillment_emulator.records import Record

__all__ = ["Dataset"]


@dataclass
class Dataset:
    """Everything one emulator instance serves; ``generated`` adds lazy bulk products."""

    products: list[Record]
    orders: list[Record]
    invoices: list[Record]
    credit_memos: list[Record]
    generated: GeneratedProducts | None = None
