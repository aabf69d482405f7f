"""Turn the demo tables (or a generated catalogue) into API records with reconciled amounts.

Amounts follow the project contract: ``row_total = qty * price``; a line's tax is
``(row_total - discount) * rate`` rounded to the cent; a document's ``tax_amount`` is
the sum of its lines' taxes; ``grand_total = subtotal + tax_amount + shipping_amount +
shipping_tax_amount - discount_amount (+ adjustment_positive - adjustment_negative)``.
Orders have no ``shipping_tax_amount`` field (as in the assumed record shape), so an
order's ``tax_amount`` includes the shipping tax and its grand total equals the sum
of its invoices.

The parts: :mod:`.amounts` (lines and totals), :mod:`.records` (record shapes, and
documents tests add at run time), :mod:`.generated` (the lazy ``scale:N``
catalogue), :mod:`.dataset_model` (:class:`Dataset`), :mod:`.demo_build` and
:mod:`.scale_build`; this module picks a build by name and keeps every old name
importable.
"""

from __future__ import annotations

from myfulfillment_emulator.amounts import (
    SHIPPING_TAX_RATE,
    Line,
    Totals,
    shipping_tax_of,
    totals_of,
)
from myfulfillment_emulator.dataset_model import Dataset
from myfulfillment_emulator.demo_build import DEMO_START, ORDERS_START, build_demo, sold_catalog
from myfulfillment_emulator.generated import SCALE_START, GeneratedProducts
from myfulfillment_emulator.records import (
    CREDIT_MEMO_FIELDS,
    CURRENCY,
    DECIMAL_FIELDS,
    ID_FIELDS,
    INVOICE_FIELDS,
    MONEY_FIELDS,
    ORDER_FIELDS,
    PRODUCT_FIELDS,
    Record,
    address_record,
    complete_document,
    credit_memo_record,
    ean13,
    invoice_record,
    order_record,
    product_record,
)
from myfulfillment_emulator.scale_build import build_scale

__all__ = [
    "CREDIT_MEMO_FIELDS", "CURRENCY", "DECIMAL_FIELDS", "DEMO_START", "ID_FIELDS",
    "INVOICE_FIELDS", "MONEY_FIELDS", "ORDERS_START", "ORDER_FIELDS", "PRODUCT_FIELDS",
    "SCALE_START", "SHIPPING_TAX_RATE", "Dataset", "GeneratedProducts", "Line", "Record",
    "Totals", "address_record", "build_demo", "build_scale", "complete_document",
    "credit_memo_record", "ean13", "invoice_record", "load", "order_record",
    "product_record", "shipping_tax_of", "sold_catalog", "totals_of",
]


def load(name: str) -> Dataset:
    """Build a dataset by name: ``demo`` or ``scale:N``."""
    if name == "demo":
        return build_demo()
    if name.startswith("scale:") and name[6:].isdigit():
        return build_scale(int(name[6:]))
    raise ValueError(f"unknown dataset {name!r}: use 'demo' or 'scale:N' (e.g. scale:100000)")
