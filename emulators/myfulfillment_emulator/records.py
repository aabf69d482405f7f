"""API records of the emulator: products, orders, invoices and credit memos, as served.

Why a module of its own: the demo build, the scale build and the documents tests add
at run time (:func:`complete_document`) all shape records the same way (field order,
4-decimal money strings, the customer and address blocks), and the store normalises
test changes with the same field sets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myfulfillment_emulator import demo
from myfulfillment_emulator.amounts import Line, Totals, shipping_tax_of, totals_of
from myfulfillment_emulator.values import cents, dec4, money, timestamp, to_decimal

__all__ = [
    "CREDIT_MEMO_FIELDS", "CURRENCY", "DECIMAL_FIELDS", "ID_FIELDS", "INVOICE_FIELDS",
    "MONEY_FIELDS", "ORDER_FIELDS", "PRODUCT_FIELDS", "Record", "address_record",
    "complete_document", "credit_memo_record", "ean13", "invoice_record", "order_record",
    "product_record",
]

Record = dict[str, Any]

PRODUCT_FIELDS = (
    "id", "sku", "name", "type", "barcode", "mpn", "manufacturer", "category", "status",
    "discontinued", "cost", "price", "tax_rate", "weight", "qty", "created_at", "updated_at",
)
ORDER_FIELDS = (
    "id", "increment_id", "status", "created_at", "updated_at", "currency", "customer_id",
    "customer_email", "customer_firstname", "customer_lastname", "billing_address",
    "shipping_address", "subtotal", "tax_amount", "shipping_amount", "discount_amount",
    "grand_total", "items",
)
INVOICE_FIELDS = (
    "id", "increment_id", "order_id", "order_increment_id", "state", "created_at", "updated_at",
    "currency", "customer_id", "customer_email", "customer_firstname", "customer_lastname",
    "billing_address", "subtotal", "tax_amount", "shipping_amount", "shipping_tax_amount",
    "discount_amount", "grand_total", "items",
)
CREDIT_MEMO_FIELDS = (
    *INVOICE_FIELDS[:4], "invoice_id", *INVOICE_FIELDS[4:-2],
    "adjustment_positive", "adjustment_negative", *INVOICE_FIELDS[-2:],
)
#: Fields written as 4-decimal strings, per collection (used to normalise test changes).
MONEY_FIELDS = frozenset({
    "cost", "price", "subtotal", "tax_amount", "shipping_amount", "shipping_tax_amount",
    "discount_amount", "grand_total", "adjustment_positive", "adjustment_negative",
    "row_total",
})
DECIMAL_FIELDS = frozenset({"tax_rate", "weight", "qty", "qty_ordered", "tax_percent"})
ID_FIELDS = frozenset({"id", "order_id", "invoice_id", "customer_id", "item_id"})

CURRENCY = "EUR"


def address_record(customer: demo.Customer) -> Record:
    """Billing/shipping address in the API shape (``street`` as a list of lines)."""
    return {
        "firstname": customer.firstname,
        "lastname": customer.lastname,
        "company": customer.company,
        "street": list(customer.street),
        "city": customer.city,
        "postcode": customer.postcode,
        "region": customer.region,
        "country_id": customer.country_id,
        "telephone": customer.telephone,
    }


def _customer_fields(customer: demo.Customer, email: str | None) -> Record:
    return {
        "currency": CURRENCY,
        "customer_id": customer.customer_id,
        "customer_email": email or customer.email,
        "customer_firstname": customer.firstname,
        "customer_lastname": customer.lastname,
        "billing_address": address_record(customer),
    }


def _item_record(line: Line, qty_field: str) -> Record:
    return {
        "sku": line.sku,
        "name": line.name,
        qty_field: dec4(line.qty),
        "price": money(line.price),
        "tax_percent": dec4(line.tax_percent),
        "tax_amount": money(line.tax),
        "discount_amount": money(line.discount),
        "row_total": money(line.row_total),
    }


def _totals_fields(totals: Totals, *, with_shipping_tax: bool = True) -> Record:
    fields = {
        "subtotal": money(totals.subtotal),
        "tax_amount": money(totals.tax if with_shipping_tax else totals.tax + totals.shipping_tax),
        "shipping_amount": money(totals.shipping),
    }
    if with_shipping_tax:
        fields["shipping_tax_amount"] = money(totals.shipping_tax)
    fields["discount_amount"] = money(totals.discount)
    return fields


def order_record(*, order_id: int, number: str, status: str, customer: demo.Customer,
                 email: str | None, lines: list[Line], shipping: Decimal, zero_rated: bool,
                 created: datetime, first_item_id: int) -> Record:
    """Build a sales order (items carry ``item_id`` and ``qty_ordered``)."""
    totals = totals_of(lines, shipping, shipping_tax_of(shipping, zero_rated))
    record: Record = {
        "id": str(order_id),
        "increment_id": number,
        "status": status,
        "created_at": timestamp(created),
        "updated_at": timestamp(created + timedelta(hours=2)),
        **_customer_fields(customer, email),
    }
    record["shipping_address"] = dict(record["billing_address"])
    record.update(_totals_fields(totals, with_shipping_tax=False))
    record["grand_total"] = money(totals.grand_total)
    record["items"] = [
        {"item_id": str(first_item_id + index), **_item_record(line, "qty_ordered")}
        for index, line in enumerate(lines)
    ]
    return {name: record[name] for name in ORDER_FIELDS}


def invoice_record(*, order: Record, lines: list[Line], shipping: Decimal, shipping_tax: Decimal,
                   state: str, created: datetime) -> Record:
    """Build an invoice for (part of) an order; id and number are assigned later."""
    totals = totals_of(lines, shipping, shipping_tax)
    record: Record = {
        "id": None, "increment_id": None,
        "order_id": order["id"], "order_increment_id": order["increment_id"],
        "state": state,
        "created_at": timestamp(created),
        "updated_at": timestamp(created + timedelta(minutes=30)),
        **{key: order[key] for key in ("currency", "customer_id", "customer_email",
                                       "customer_firstname", "customer_lastname")},
        "billing_address": order["billing_address"],
        **_totals_fields(totals),
        "grand_total": money(totals.grand_total),
        "items": [_item_record(line, "qty") for line in lines],
    }
    return {name: record[name] for name in INVOICE_FIELDS}


def credit_memo_record(*, invoice: Record, lines: list[Line], shipping: Decimal,
                       shipping_tax: Decimal, adjustment_positive: Decimal,
                       adjustment_negative: Decimal, created: datetime) -> Record:
    """Build a credit memo against one invoice; refuses to refund more than was invoiced."""
    totals = totals_of(lines, shipping, shipping_tax, adjustment_positive, adjustment_negative)
    if totals.grand_total > to_decimal(invoice["grand_total"]):
        raise ValueError(f"credit memo for invoice {invoice['increment_id']} exceeds the invoice")
    record: Record = {
        **invoice,
        "id": None, "increment_id": None, "invoice_id": invoice["id"],
        "state": "refunded",
        "created_at": timestamp(created),
        "updated_at": timestamp(created + timedelta(minutes=10)),
        **_totals_fields(totals),
        "adjustment_positive": money(totals.adjustment_positive),
        "adjustment_negative": money(totals.adjustment_negative),
        "grand_total": money(totals.grand_total),
        "items": [_item_record(line, "qty") for line in lines],
    }
    return {name: record[name] for name in CREDIT_MEMO_FIELDS}


def product_record(index: int, row: demo.ProductRow, created: datetime) -> Record:
    """Build one catalogue record from a demo row."""
    return {
        "id": str(index),
        "sku": row.sku,
        "name": row.name,
        "type": row.type,
        "barcode": ean13(f"376{index:09d}") if row.type in ("simple", "kit") else None,
        "mpn": f"{row.manufacturer[:3].upper()}-{index:04d}" if row.manufacturer else None,
        "manufacturer": row.manufacturer,
        "category": row.category,
        "status": row.status,
        "discontinued": row.discontinued,
        "cost": money(row.cost),
        "price": money(row.price),
        "tax_rate": dec4(row.tax_rate),
        "weight": dec4(row.weight),
        "qty": dec4(row.qty),
        "created_at": timestamp(created),
        "updated_at": timestamp(created + timedelta(days=3)),
    }


def ean13(first12: str) -> str:
    """Append the EAN-13 check digit, so barcodes look like real ones."""
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


_DOCUMENT_DEFAULTS: dict[str, Record] = {
    "orders": {"status": "processing", "currency": CURRENCY, "customer_id": None,
               "customer_email": None, "customer_firstname": None, "customer_lastname": None,
               "billing_address": None, "shipping_address": None, "shipping_amount": "0"},
    "invoices": {"state": "paid", "currency": CURRENCY, "order_id": None,
                 "order_increment_id": None, "customer_id": None, "customer_email": None,
                 "customer_firstname": None, "customer_lastname": None,
                 "billing_address": None, "shipping_amount": "0", "shipping_tax_amount": "0"},
}
_DOCUMENT_DEFAULTS["credit_memos"] = {
    **_DOCUMENT_DEFAULTS["invoices"], "state": "refunded", "invoice_id": None,
    "adjustment_positive": "0", "adjustment_negative": "0",
}


def complete_document(kind: str, fields: Record,
                      catalog: Callable[[str], Record | None]) -> Record:
    """Fill a test-supplied order, invoice or credit memo so that its amounts reconcile.

    Items need only ``sku`` and a quantity (``qty_ordered`` for orders, ``qty`` otherwise);
    name, price and VAT rate default to the catalogue's; line amounts and document totals
    are computed unless given. ``id``, ``increment_id`` and timestamps are left to the store.
    """
    qty_field = "qty_ordered" if kind == "orders" else "qty"
    document = {**_DOCUMENT_DEFAULTS[kind], **fields}
    raw_items = document.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise ValueError(f"{kind} {fields.get('increment_id')!r}: 'items' must be a non-empty "
                         "list of {'sku': ..., '" + qty_field + "': ...}")
    lines = []
    for position, item in enumerate(raw_items):
        sku = item.get("sku")
        product = catalog(sku) if isinstance(sku, str) else None
        if product is None and not {"name", "price", "tax_percent"} <= item.keys():
            raise ValueError(f"{kind} {fields.get('increment_id')!r} item {position}: sku "
                             f"{sku!r} is not in the catalogue; add the product first or give "
                             "name, price and tax_percent")
        product = product or {}
        lines.append(Line(
            sku=sku, name=item.get("name", product.get("name")),
            qty=to_decimal(item.get(qty_field, item.get("qty", 1))),
            price=to_decimal(item.get("price", product.get("price"))),
            tax_percent=to_decimal(item.get("tax_percent", product.get("tax_rate"))),
            discount=cents(item.get("discount_amount", 0)),
        ))
    items = [{**_item_record(line, qty_field), **{k: v for k, v in raw.items() if k == "item_id"}}
             for line, raw in zip(lines, raw_items, strict=True)]
    document["items"] = items
    shipping = cents(document["shipping_amount"])
    if kind == "orders":
        totals = totals_of(lines, shipping, shipping_tax_of(shipping))
        computed = {**_totals_fields(totals, with_shipping_tax=False)}
    else:
        totals = totals_of(lines, shipping, document["shipping_tax_amount"],
                           document.get("adjustment_positive", 0),
                           document.get("adjustment_negative", 0))
        computed = _totals_fields(totals)
    computed["grand_total"] = money(totals.grand_total)
    for name, value in computed.items():
        if name not in fields or name == "shipping_amount":
            document[name] = value
    return document
