"""The QuickBooks references a document needs, and which tax code each line gets.

Why a module of its own: choosing a tax code is where a wrong guess books the
wrong VAT unseen, so the rules (a rate the map lacks is an error; shipping's rate
is the configured one that explains its tax to the cent) are read together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.money import CENT, ZERO, cents, rate_key, to_decimal
from target_quickbooks.mappers.vat import SalesRate

__all__ = ["DocumentRefs", "Ref", "line_tax_code", "shipping_tax_code"]

Ref = Mapping[str, str]


@dataclass(frozen=True)
class DocumentRefs:
    """QuickBooks references a document needs, resolved before mapping.

    ``sales_rates`` (TaxCode Id → its one sales :class:`SalesRate`) lets the
    payload state the source's VAT per rate in ``TxnTaxDetail.TaxLine``; without
    it (US companies) only ``TotalTax`` is sent. ``timezone`` is the company's:
    ``TxnDate`` is the source timestamp's day there.
    """

    customer: Ref
    items: Mapping[str, Ref]
    tax_codes: Mapping[str, Ref] = field(default_factory=dict)
    default_tax_code: Ref | None = None
    shipping_item: Ref | None = None
    adjustment_item: Ref | None = None
    discount_account: Ref | None = None
    sales_rates: Mapping[str, SalesRate] = field(default_factory=dict)
    timezone: dt.tzinfo = dt.timezone.utc


def line_tax_code(refs: DocumentRefs, rate: object, field_name: str) -> Ref | None:
    """The tax code of a line's VAT rate.

    The default ``tax_code`` serves lines without a rate and configurations
    without ``tax_code_map`` (US-style companies). A rate the map lacks is an
    error: coding a 5.5 % line with the default (say 0 %) code would book the
    wrong VAT without anyone noticing.
    """
    if rate in (None, "") or not refs.tax_codes:
        return refs.default_tax_code
    key = rate_key(to_decimal(rate, field_name))
    ref = refs.tax_codes.get(key)
    if ref:
        return ref
    raise MappingError(
        f"'{field_name}' is {key} %, but tax_code_map has no entry for it (it maps "
        f"{', '.join(sorted(refs.tax_codes, key=_rate_sort_key))})",
        field=field_name,
        hint=f'add "{key}" to tax_code_map (VAT rate → QuickBooks tax code Id or name)',
    )


def _rate_sort_key(key: str) -> tuple[int, Decimal, str]:
    try:
        return (0, Decimal(key), key)
    except InvalidOperation:
        return (1, ZERO, key)


def shipping_tax_code(
    refs: DocumentRefs, shipping: Decimal, shipping_tax: Decimal, fallback: Ref | None
) -> Ref | None:
    """The tax code of the configured rate that explains ``shipping_tax_amount``.

    The rate is not derived by division (4.17 € + 0.83 € VAT is 19.9 %, not 20 %):
    each configured rate r is tried, and the one where ``cents(shipping × r / 100)``
    equals the shipping tax wins (the closest within one cent; ties go to the
    rate whose unrounded tax is nearest, then the lower rate).

    Raises:
        MappingError: ``tax_code_map`` is configured but no rate fits.
    """
    if not refs.tax_codes:
        return refs.default_tax_code or fallback
    target = cents(shipping_tax)
    best: tuple[tuple[Decimal, Decimal, Decimal], Ref] | None = None
    for key, ref in refs.tax_codes.items():
        try:
            rate = Decimal(key)
        except InvalidOperation:
            continue
        exact = shipping * rate / 100
        off = abs(cents(exact) - target)
        if off > CENT:
            continue
        rank = (off, abs(exact - target), rate)
        if best is None or rank < best[0]:
            best = (rank, ref)
    if best is None:
        rates = ", ".join(sorted(refs.tax_codes, key=_rate_sort_key))
        raise MappingError(
            f"'shipping_tax_amount' ({shipping_tax}) on shipping_amount ({shipping}) matches "
            f"none of the VAT rates in tax_code_map ({rates}) to the cent",
            field="shipping_tax_amount",
            hint="add the shipping VAT rate to tax_code_map, or fix shipping_tax_amount at "
                 "the source",
        )
    return best[1]
