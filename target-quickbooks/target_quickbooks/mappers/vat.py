"""The source's VAT per rate, stated in ``TxnTaxDetail.TaxLine`` so QuickBooks books it.

Outside the US QuickBooks computes the VAT of a transaction itself, from each
line's ``TaxCodeRef``, on the sum of the lines of a rate. A source that rounds the
VAT of each line differs: three lines of 0.99 € at 20 % carry 3 × 0.20 = 0.60 €
of VAT at the source but 2.97 × 20 % = 0.59 € in QuickBooks. ``TotalTax`` alone
does not override that computation; the documented override is one ``TaxLine``
per rate with the amount (Intuit, "Manage sales tax for non-US locales";
reference/quickbooks-online.md, "Learned since"). Without these lines the
books would miss the source by a cent on many documents, in VAT and in total.

Each tax code must have exactly one sales rate for its VAT to be stated; the
``References`` resolve that rate (Id and percent) for every configured code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.money import ZERO, cents, json_amount, json_number

Ref = Mapping[str, str]


@dataclass(frozen=True)
class SalesRate:
    """The one sales ``TaxRate`` of a tax code: its reference and percent."""

    rate: Ref
    percent: Decimal


@dataclass(frozen=True)
class VatPart:
    """One payload line's share of the VAT: its code, taxable amount and source VAT.

    ``tax`` is None when the source does not say (a line without ``tax_amount``);
    ``field`` names the record field that holds it, for error messages.
    """

    code: Ref | None
    net: Decimal
    tax: Decimal | None
    field: str


def tax_lines(parts: Sequence[VatPart], total_tax: Decimal,
              sales_rates: Mapping[str, SalesRate]) -> list[dict[str, Any]]:
    """``TxnTaxDetail.TaxLine``: the source's VAT and taxable amount per sales rate.

    Args:
        parts: every sales line of the payload, with its source VAT.
        total_tax: the document's VAT (``tax_amount + shipping_tax_amount``).
        sales_rates: TaxCode Id → its sales rate; empty when the company's codes
            carry no rates (US companies): then no TaxLine is sent.

    Returns:
        One ``TaxLineDetail`` line per rate, in the order the rates first appear.

    Raises:
        MappingError: a code has no single sales rate, lines of several rates lack
            their VAT, or the lines' VAT does not add up to the document's.
    """
    if not sales_rates:
        return []
    groups: dict[str, tuple[SalesRate, Decimal, Decimal]] = {}
    unknown: dict[str, str] = {}  # rate Id → first field without VAT
    for part in parts:
        code = str((part.code or {}).get("value") or "")
        sales_rate = sales_rates.get(code)
        if sales_rate is None:
            raise MappingError(
                f"{part.field} is booked with TaxCode {code or '(none)'}, which has no single "
                "sales tax rate in QuickBooks: the VAT per rate cannot be stated",
                field=part.field,
                hint="map this VAT rate (tax_code_map / tax_code) to a QuickBooks tax code "
                     "with exactly one sales rate",
            )
        key = str(sales_rate.rate["value"])
        _, net, tax = groups.get(key, (sales_rate, ZERO, ZERO))
        if part.tax is None:
            unknown.setdefault(key, part.field)
        groups[key] = (sales_rate, net + part.net, tax + (part.tax or ZERO))
    if len(unknown) > 1:
        field = next(iter(unknown.values()))
        raise MappingError(
            f"'{field}' is missing, and lines of several VAT rates lack their tax_amount: "
            "the VAT of each rate cannot be told",
            field=field, hint="send each line's tax_amount",
        )
    if unknown:
        # Lines of one rate lack their VAT: that rate holds what the others do not.
        (key,) = unknown
        sales_rate, net, _ = groups[key]
        others = sum((cents(tax) for other, (_, _, tax) in groups.items() if other != key),
                     ZERO)
        groups[key] = (sales_rate, net, cents(total_tax) - others)
    stated = sum((cents(tax) for _, _, tax in groups.values()), ZERO)
    if stated != cents(total_tax):
        raise MappingError(
            f"the lines' VAT (Σ items[].tax_amount + shipping_tax_amount = {stated}) does not "
            f"add up to the document's tax_amount + shipping_tax_amount ({cents(total_tax)})",
            field="tax_amount",
            hint="fix the VAT amounts at the source; QuickBooks books VAT per rate",
        )
    return [_tax_line(sales_rate, net, tax) for sales_rate, net, tax in groups.values()]


def _tax_line(sales_rate: SalesRate, net: Decimal, tax: Decimal) -> dict[str, Any]:
    return {
        "DetailType": "TaxLineDetail",
        "Amount": json_amount(tax),
        "TaxLineDetail": {
            "TaxRateRef": dict(sales_rate.rate),
            "PercentBased": True,
            "TaxPercent": json_number(sales_rate.percent),
            "NetAmountTaxable": json_amount(net),
        },
    }
