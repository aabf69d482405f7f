"""Sales tax of an Invoice / CreditMemo: computed from the lines' tax codes, per rate.

Why: outside the US QuickBooks computes VAT itself from each line's ``TaxCodeRef``
(TaxCode → its ``SalesTaxRateList`` → TaxRate ``RateValue``), on the sum of the
lines of a rate, rounded half-up to the cent; ``TotalTax`` sent by a client is not
an override. The documented override is ``TxnTaxDetail.TaxLine``: one
``TaxLineDetail`` per rate whose ``Amount`` replaces the computed VAT of that rate
(Intuit, "Manage sales tax for non-US locales"; reference/quickbooks-online.md,
"Learned since"). A connector that relies on ``TotalTax`` is off by a cent on
every document whose source rounds VAT per line, and this module is what makes
that show in tests. See the README ("Sales tax") for every rule and its source.

US companies keep the simpler model: a supplied ``TotalTax`` is booked as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import faults
from .readers import check_fields, ref_value, to_bool, to_decimal
from .store import View

CENT = Decimal("0.01")
TAX_LINE_FIELDS = frozenset({"Id", "LineNum", "Description", "Amount", "DetailType",
                             "TaxLineDetail"})
TAX_LINE_DETAIL_FIELDS = frozenset({"TaxRateRef", "PercentBased", "TaxPercent",
                                    "NetAmountTaxable", "TaxInclusiveAmount",
                                    "OverrideDeltaAmount", "ServiceDate"})
_FIELD = "TxnTaxDetail.TaxLine"


def cents(value: Decimal) -> Decimal:
    """Half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class RateBase:
    """The lines of one sales rate: its percent and their amount (gross when inclusive)."""

    rate_id: str
    percent: Decimal
    amount: Decimal


def rate_bases(tax_base: dict[str, Decimal], view: View) -> dict[str, RateBase]:
    """Line amounts per sales TaxRate Id, through each code's ``SalesTaxRateList``."""
    bases: dict[str, RateBase] = {}
    for code, amount in tax_base.items():
        tax_code = view.company.get("TaxCode", code)
        if tax_code is None:
            continue  # US "TAX"/"NON": no rate list
        for detail in (tax_code.get("SalesTaxRateList") or {}).get("TaxRateDetail", []):
            rate_id = str(detail["TaxRateRef"]["value"])
            rate = view.company.get("TaxRate", rate_id) or {}
            percent = Decimal(str(rate.get("RateValue", 0)))
            base = bases.setdefault(rate_id, RateBase(rate_id, percent, Decimal(0)))
            base.amount += amount
    return bases


def rate_tax(base: RateBase, inclusive: bool) -> Decimal:
    """QuickBooks' VAT of one rate: on the net, or the part of the gross that is VAT.

    Inclusive: ``gross × r / (100 + r)`` (VAT inside 12.00 at 20 % is 2.00), not
    ``gross × r / 100``.
    """
    if inclusive:
        return cents(base.amount * base.percent / (100 + base.percent))
    return cents(base.amount * base.percent / 100)


def _overrides(tax_lines: object, bases: dict[str, RateBase], view: View
               ) -> dict[str, Decimal]:
    """The ``TaxLine`` amounts sent, per TaxRate Id, each checked against the lines' rates."""
    if tax_lines is None:
        return {}
    if not isinstance(tax_lines, list):
        raise faults.invalid_value(_FIELD, tax_lines, "an array of TaxLineDetail lines")
    amounts: dict[str, Decimal] = {}
    for i, line in enumerate(tax_lines, start=1):
        if not isinstance(line, dict):
            raise faults.invalid_value(f"{_FIELD}[{i}]", line, "a line object is expected")
        check_fields(line, TAX_LINE_FIELDS, "Line", _FIELD + ".")
        if line.get("DetailType") != "TaxLineDetail":
            raise faults.invalid_value(_FIELD + ".DetailType", line.get("DetailType"),
                                       "TaxLineDetail")
        if line.get("Amount") is None:
            raise faults.required(f"{_FIELD}[{i}].Amount")
        detail = line.get("TaxLineDetail")
        if not isinstance(detail, dict):
            raise faults.required(f"{_FIELD}[{i}].TaxLineDetail")
        check_fields(detail, TAX_LINE_DETAIL_FIELDS, "TaxLineDetail", _FIELD + ".TaxLineDetail.")
        if detail.get("TaxRateRef") is None:
            raise faults.required(f"{_FIELD}[{i}].TaxLineDetail.TaxRateRef")
        rate_id = ref_value(_FIELD + ".TaxLineDetail.TaxRateRef", detail["TaxRateRef"])
        rate = view.get("TaxRate", rate_id)
        if rate is None or not rate.get("Active", True):
            raise faults.invalid_reference(_FIELD + ".TaxLineDetail.TaxRateRef", "TaxRate",
                                           rate_id, "does not exist or is inactive")
        if rate_id not in bases:
            raise faults.business(
                f"{_FIELD} {i}: TaxRate Id={rate_id} ({rate.get('Name')}) is not a sales rate "
                f"of the tax codes on the lines (rates: {', '.join(sorted(bases)) or 'none'});"
                " state the VAT of the rates the lines use", _FIELD)
        if rate_id in amounts:
            raise faults.business(f"{_FIELD} {i}: TaxRate Id={rate_id} is stated twice; send "
                                  "one TaxLine per rate", _FIELD)
        if not to_bool(_FIELD + ".TaxLineDetail.PercentBased",
                       detail.get("PercentBased", True)):
            raise faults.business(f"{_FIELD} {i}: TaxRate Id={rate_id} is a percentage rate;"
                                  " send PercentBased true", _FIELD + ".TaxLineDetail")
        if detail.get("TaxPercent") is not None:
            percent = to_decimal(_FIELD + ".TaxLineDetail.TaxPercent", detail["TaxPercent"])
            if percent != bases[rate_id].percent:
                raise faults.business(
                    f"{_FIELD} {i}: TaxPercent {percent} is not the rate of TaxRate"
                    f" Id={rate_id} ({bases[rate_id].percent})", _FIELD + ".TaxLineDetail")
        if detail.get("NetAmountTaxable") is not None:
            to_decimal(_FIELD + ".TaxLineDetail.NetAmountTaxable", detail["NetAmountTaxable"])
        amounts[rate_id] = cents(to_decimal(_FIELD + ".Amount", line["Amount"]))
    return amounts


def sales_tax(tax_detail: dict[str, Any], tax_base: dict[str, Decimal], calc: str | None,
              view: View) -> Decimal:
    """Fill ``tax_detail`` (``TaxLine``, ``TotalTax``) as QuickBooks does; return the tax.

    Args:
        tax_detail: the ``TxnTaxDetail`` sent (already checked for unknown fields).
        tax_base: line amounts per TaxCode Id (gross when ``calc`` is TaxInclusive).
        calc: ``GlobalTaxCalculation``.
        view: what this operation sees of the company.
    """
    inclusive = calc == "TaxInclusive"
    sent_total = tax_detail.get("TotalTax")
    if view.company.country == "US" and sent_total is not None:
        total = cents(to_decimal("TxnTaxDetail.TotalTax", sent_total))
        tax_detail.setdefault("TaxLine", [])
        tax_detail["TotalTax"] = total
        return total
    bases = rate_bases(tax_base, view)
    overrides = _overrides(tax_detail.get("TaxLine"), bases, view)
    lines: list[dict[str, Any]] = []
    total = Decimal(0)
    for rate_id, base in bases.items():
        computed = rate_tax(base, inclusive)
        amount = overrides.get(rate_id, computed)
        detail: dict[str, Any] = {
            "TaxRateRef": {"value": rate_id}, "PercentBased": True, "TaxPercent": base.percent,
            "NetAmountTaxable": cents(base.amount - amount) if inclusive else cents(base.amount),
        }
        if inclusive:
            detail["TaxInclusiveAmount"] = cents(base.amount)
        if rate_id in overrides:
            detail["OverrideDeltaAmount"] = amount - computed
        lines.append({"Amount": amount, "DetailType": "TaxLineDetail", "TaxLineDetail": detail})
        total += amount
    tax_detail["TaxLine"] = lines
    tax_detail["TotalTax"] = total
    return total
