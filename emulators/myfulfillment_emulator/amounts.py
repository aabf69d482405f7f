"""Amounts of a document: priced lines, their VAT, and the totals that reconcile.

Why a module of its own: the demo build, the scale build and the documents tests add
at run time all compute amounts with the same contract (see :mod:`.dataset`):
``row_total = qty * price``, a line's VAT rounded to the cent, shipping VAT at the
French standard rate, and ``grand_total`` from the reconciliation formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from myfulfillment_emulator.values import cents

__all__ = ["SHIPPING_TAX_RATE", "Line", "Totals", "shipping_tax_of", "totals_of"]

SHIPPING_TAX_RATE = Decimal("20")


@dataclass(frozen=True)
class Line:
    """One priced document line; amounts are Decimals until the record is written."""

    sku: str
    name: str
    qty: Decimal
    price: Decimal
    tax_percent: Decimal
    discount: Decimal = Decimal(0)

    @property
    def row_total(self) -> Decimal:
        """Quantity times unit price, before tax and discount."""
        return cents(self.qty * self.price)

    @property
    def tax(self) -> Decimal:
        """VAT on the discounted line, rounded to the cent (line by line, as shops do)."""
        return cents((self.row_total - self.discount) * self.tax_percent / 100)


@dataclass(frozen=True)
class Totals:
    """Document totals computed from lines, shipping and adjustments."""

    subtotal: Decimal
    tax: Decimal
    shipping: Decimal
    shipping_tax: Decimal
    discount: Decimal
    adjustment_positive: Decimal = Decimal(0)
    adjustment_negative: Decimal = Decimal(0)

    @property
    def grand_total(self) -> Decimal:
        """The contract's reconciliation formula."""
        return (self.subtotal + self.tax + self.shipping + self.shipping_tax - self.discount
                + self.adjustment_positive - self.adjustment_negative)


def totals_of(lines: Iterable[Line], shipping: object = 0, shipping_tax: object = 0,
              adjustment_positive: object = 0, adjustment_negative: object = 0) -> Totals:
    """Sum lines into document totals."""
    lines = list(lines)
    return Totals(
        subtotal=sum((line.row_total for line in lines), Decimal(0)),
        tax=sum((line.tax for line in lines), Decimal(0)),
        shipping=cents(shipping),
        shipping_tax=cents(shipping_tax),
        discount=sum((line.discount for line in lines), Decimal(0)),
        adjustment_positive=cents(adjustment_positive),
        adjustment_negative=cents(adjustment_negative),
    )


def shipping_tax_of(shipping: Decimal, zero_rated: bool = False) -> Decimal:
    """VAT on shipping: French standard rate, none on exports."""
    return Decimal(0) if zero_rated else cents(shipping * SHIPPING_TAX_RATE / 100)
