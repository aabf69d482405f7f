"""The deterministic demo shop, built from the demo tables.

Why a module of its own: turning the demo tables (orders split into several
invoices, partial refunds, deleted products whose SKU is reused) into records with
ids and numbers in creation order is the demo's job only.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from myfulfillment_emulator import demo
from myfulfillment_emulator.amounts import Line, shipping_tax_of
from myfulfillment_emulator.dataset_model import Dataset
from myfulfillment_emulator.records import (
    Record,
    credit_memo_record,
    invoice_record,
    order_record,
    product_record,
)
from myfulfillment_emulator.values import cents, parse_timestamp, to_decimal

__all__ = ["DEMO_START", "ORDERS_START", "build_demo", "sold_catalog"]

DEMO_START = datetime(2026, 1, 2, 8, 0, 0)
ORDERS_START = datetime(2026, 1, 5, 9, 12, 0)


def _assign_numbers(records: list[Record], prefix: str, numbers: Mapping[int, str]) -> None:
    """Give documents ids and numbers in creation order (so ``updated_at`` grows with id)."""
    records.sort(key=lambda record: record["created_at"])
    for position, record in enumerate(records):
        record["id"] = str(position + 1)
        record["increment_id"] = numbers.get(id(record), f"{prefix}{position + 1:06d}")


def _check_increasing(name: str, records: list[Record]) -> None:
    stamps = [record["updated_at"] for record in records]
    if any(later <= earlier for earlier, later in itertools.pairwise(stamps)):
        raise ValueError(f"{name}: updated_at must increase with id")


@dataclass
class _DemoSales:
    """Orders and invoices of the demo, with what the refunds need to find them."""

    orders: list[Record]
    invoices: list[Record]
    invoices_by_order: dict[str, list[Record]]
    lines_by_order: dict[str, list[Line]]


def sold_catalog() -> dict[str, demo.ProductRow]:
    """The catalogue by the SKU documents name: a deleted product under its original SKU.

    A live product of a reused SKU wins over the deleted one of the same SKU.
    """
    catalog = {row.sku.removesuffix(demo.DELETED_SUFFIX): row for row in demo.PRODUCTS
               if row.sku.endswith(demo.DELETED_SUFFIX)}
    catalog.update({row.sku: row for row in demo.PRODUCTS
                    if not row.sku.endswith(demo.DELETED_SUFFIX)})
    return catalog


def _demo_sales() -> _DemoSales:
    catalog = sold_catalog()
    sales = _DemoSales([], [], {}, {})
    invoice_numbers: dict[int, str] = {}
    item_id = 1
    for position, row in enumerate(demo.ORDERS):
        created = ORDERS_START + position * timedelta(days=1, hours=3, minutes=17)
        lines = [
            Line(sku, catalog[sku].name, Decimal(qty), Decimal(catalog[sku].price),
                 Decimal(0) if row.zero_rated else Decimal(catalog[sku].tax_rate), cents(discount))
            for sku, qty, discount in row.lines
        ]
        shipping = cents(row.shipping)
        order = order_record(
            order_id=position + 1, number=row.number, status=row.status,
            customer=demo.CUSTOMERS[row.customer], email=row.email, lines=lines,
            shipping=shipping, zero_rated=row.zero_rated, created=created, first_item_id=item_id,
        )
        item_id += len(lines)
        sales.orders.append(order)
        sales.lines_by_order[row.number] = lines
        if row.invoice_state is None:
            continue
        parts = row.split or (tuple(range(len(lines))),)
        for part_index, part in enumerate(parts):
            part_shipping = shipping if part_index == 0 else Decimal(0)
            invoice = invoice_record(
                order=order, lines=[lines[i] for i in part], shipping=part_shipping,
                shipping_tax=shipping_tax_of(part_shipping, row.zero_rated),
                state=row.invoice_state,
                created=created + timedelta(hours=1) + part_index * timedelta(days=2),
            )
            if row.invoice_number and part_index == 0:
                invoice_numbers[id(invoice)] = row.invoice_number
            sales.invoices.append(invoice)
            sales.invoices_by_order.setdefault(row.number, []).append(invoice)
    _assign_numbers(sales.invoices, "200", invoice_numbers)
    return sales


def _demo_credit_memos(sales: _DemoSales) -> list[Record]:
    credit_memos: list[Record] = []
    memo_numbers: dict[int, str] = {}
    for row in demo.CREDIT_MEMOS:
        invoice = sales.invoices_by_order[row.order][row.part]
        invoiced = {line.sku: line for line in sales.lines_by_order[row.order]}
        lines = []
        for sku, qty in row.lines:
            source = invoiced[sku]
            share = Decimal(qty) / source.qty
            lines.append(Line(sku, source.name, Decimal(qty), source.price, source.tax_percent,
                              cents(source.discount * share)))
        refund = Decimal(1) if row.refund_shipping else Decimal(0)
        memo = credit_memo_record(
            invoice=invoice, lines=lines,
            shipping=refund * to_decimal(invoice["shipping_amount"]),
            shipping_tax=refund * to_decimal(invoice["shipping_tax_amount"]),
            adjustment_positive=cents(row.adjustment_positive),
            adjustment_negative=cents(row.adjustment_negative),
            created=parse_timestamp(invoice["created_at"])
            + timedelta(days=row.days_after, hours=5),
        )
        if row.number:
            memo_numbers[id(memo)] = row.number
        credit_memos.append(memo)
    _assign_numbers(credit_memos, "300", memo_numbers)
    return credit_memos


def build_demo() -> Dataset:
    """Build the deterministic demo shop (same records at every start)."""
    products = [
        product_record(index, row, DEMO_START + timedelta(hours=2 * index, minutes=13 * index))
        for index, row in enumerate(demo.PRODUCTS, start=1)
    ]
    sales = _demo_sales()
    credit_memos = _demo_credit_memos(sales)
    dataset = Dataset(products, sales.orders, sales.invoices, credit_memos)
    for name in ("products", "orders", "invoices", "credit_memos"):
        _check_increasing(name, getattr(dataset, name))
    return dataset
