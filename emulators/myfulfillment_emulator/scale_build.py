"""The ``scale:N`` dataset: a generated catalogue plus a few orders, invoices and refunds.

Why a module of its own: the benchmark needs a large catalogue without the memory
of one (:mod:`.generated`) and documents that point into it; that build shares no
table with the demo.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from myfulfillment_emulator import demo
from myfulfillment_emulator.amounts import Line, shipping_tax_of
from myfulfillment_emulator.dataset_model import Dataset
from myfulfillment_emulator.generated import GeneratedProducts
from myfulfillment_emulator.records import Record, credit_memo_record, invoice_record, order_record
from myfulfillment_emulator.values import cents

__all__ = ["build_scale"]


def build_scale(count: int) -> Dataset:
    """``count`` lazily generated products plus a few orders, invoices and refunds."""
    if count < 1:
        raise ValueError("scale dataset needs at least 1 product, e.g. scale:100000")
    generated = GeneratedProducts(count)
    customers = list(demo.CUSTOMERS.values())
    orders: list[Record] = []
    invoices: list[Record] = []
    credit_memos: list[Record] = []
    item_id = 1
    for position in range(max(5, count // 250)):
        created = datetime(2026, 3, 1, 8, 0, 0) + timedelta(minutes=37 * position)
        lines = []
        for offset in range(1 + position % 3):
            i = 1 + (position * 7919 + offset * 104729) % count
            if generated.value(i, "status") == "0":
                i = max(1, i - 1)
            lines.append(Line(generated.sku(i), generated.value(i, "name"),
                              Decimal(1 + offset), generated.price(i),
                              Decimal(generated.value(i, "tax_rate")),
                              cents(generated.price(i) * Decimal("0.1")) if offset == 1
                              else Decimal(0)))
        shipping = Decimal("4.90") if position % 4 else Decimal(0)
        order = order_record(
            order_id=position + 1, number=f"{500_000_000 + position}", status="complete",
            customer=customers[position % len(customers)], email=None, lines=lines,
            shipping=shipping, zero_rated=False, created=created, first_item_id=item_id,
        )
        item_id += len(lines)
        orders.append(order)
        invoice = invoice_record(order=order, lines=lines, shipping=shipping,
                                 shipping_tax=shipping_tax_of(shipping), state="paid",
                                 created=created + timedelta(minutes=5))
        invoice["id"] = str(position + 1)
        invoice["increment_id"] = f"{600_000_000 + position}"
        invoices.append(invoice)
        if position % 10 == 9:
            memo = credit_memo_record(invoice=invoice, lines=lines[:1], shipping=Decimal(0),
                                      shipping_tax=Decimal(0), adjustment_positive=Decimal(0),
                                      adjustment_negative=Decimal(0),
                                      created=created + timedelta(days=2))
            memo["id"] = str(len(credit_memos) + 1)
            memo["increment_id"] = f"{700_000_000 + len(credit_memos)}"
            credit_memos.append(memo)
    return Dataset([], orders, invoices, credit_memos, generated=generated)
