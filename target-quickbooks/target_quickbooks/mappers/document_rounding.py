"""The total QuickBooks will compute from a payload, and the Rounding line that fixes it.

Why a module of its own: QuickBooks adds the line amounts rounded to the cent
while the source rounds the exact sum (see :mod:`.documents`); how far apart
the two may be, and the one line that closes the gap, is one rule with its proof.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.document_source import Totals, document_lines
from target_quickbooks.mappers.money import CENT, ZERO, cents, to_decimal

__all__ = ["payload_total", "rounded_total", "rounding_amount"]


def payload_total(lines: Sequence[Mapping[str, Any]], tax: Decimal) -> Decimal:
    """``TotalAmt`` as QuickBooks computes it from the lines actually sent.

    Σ ``SalesItemLineDetail`` amounts − Σ ``DiscountLineDetail`` amounts +
    ``TotalTax``, each amount as the payload carries it (rounded to the cent).
    """
    total = cents(tax)
    for line in lines:
        amount = Decimal(str(line["Amount"]))
        if line["DetailType"] == "DiscountLineDetail":
            total -= amount
        elif line["DetailType"] == "SalesItemLineDetail":
            total += amount
    return total


def rounded_total(record: Mapping[str, Any], totals: Totals) -> Decimal:
    """:func:`payload_total` from the record alone: every amount rounded as the payload does."""
    total = sum(
        (cents(to_decimal(line.get("row_total"), f"items[{n}].row_total"))
         for n, line in enumerate(document_lines(record))),
        ZERO,
    )
    return (total + cents(totals.shipping) + cents(totals.adjustment) - cents(totals.discount)
            + cents(totals.tax))


def rounding_amount(totals: Totals, sent_total: Decimal, rounded_amounts: int) -> Decimal:
    """The Rounding line's amount: ``cents(grand_total)`` − what QuickBooks will compute.

    :func:`check_totals` already proved the exact amounts add up to
    ``grand_total``; what is left can only come from rounding each amount to
    the cent (at most half a cent per rounded amount, ``grand_total`` included).

    Args:
        totals: the checked source totals.
        sent_total: :func:`payload_total` of the lines about to be sent.
        rounded_amounts: how many amounts were rounded to the cent.

    Raises:
        MappingError: the difference is larger than rounding can explain.
    """
    difference = cents(totals.grand_total) - sent_total
    if difference == ZERO:
        return ZERO
    limit = (rounded_amounts * CENT / 2).quantize(CENT, rounding=ROUND_CEILING)
    if abs(difference) > limit:
        raise MappingError(
            f"QuickBooks would book TotalAmt {sent_total} (Σ line amounts rounded to the cent "
            f"- discount + TotalTax) but grand_total is {totals.grand_total}: a difference of "
            f"{difference:+}, more than the {limit} per-line rounding can explain",
            field="grand_total",
            hint="fix the amounts at the source; QuickBooks would book a different total",
        )
    return difference
