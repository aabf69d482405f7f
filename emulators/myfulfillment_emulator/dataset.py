"""Turn the demo tables (or a generated catalogue) into API records with reconciled amounts.

Amounts follow the project contract: ``row_total = qty * price``; a line's tax is
``(row_total - discount) * rate`` rounded to the cent; a document's ``tax_amount`` is
the sum of its lines' taxes; ``grand_total = subtotal + tax_amount + shipping_amount +
shipping_tax_amount - discount_amount (+ adjustment_positive - adjustment_negative)``.
Orders have no ``shipping_tax_amount`` field (as in the assumed record shape), so an
order's ``tax_amount`` includes the shipping tax and its grand total equals the sum
of its invoices.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myfulfillment_emulator import demo
from myfulfillment_emulator.values import cents, dec4, money, parse_timestamp, timestamp, to_decimal

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
SHIPPING_TAX_RATE = Decimal("20")
DEMO_START = datetime(2026, 1, 2, 8, 0, 0)
ORDERS_START = datetime(2026, 1, 5, 9, 12, 0)


@dataclass
class Dataset:
    """Everything one emulator instance serves; ``generated`` adds lazy bulk products."""

    products: list[Record]
    orders: list[Record]
    invoices: list[Record]
    credit_memos: list[Record]
    generated: GeneratedProducts | None = None


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


# --- scale dataset -------------------------------------------------------------------------

_ADJECTIVES = ("Classique", "Édition limitée", "Bio", "Artisanal", "Premium", "Éco", "Grand cru")
_NOUNS = ("E-liquide", "Résistance", "Thé", "Café", "Bougie", "Accu", "Confiture", "Étui")
_MANUFACTURERS = ("Nevoks", "Vaporesso", "Maison Roucou", "Liquidarôme", "Opinel", None)
_CATEGORIES = ("E-liquides", "Épicerie fine", "Accessoires", "Maison", "Kits & pods")
_RATES = ("20.0000", "20.0000", "5.5000", "20.0000", "10.0000", "20.0000", "5.5000")
SCALE_START = datetime(2026, 1, 1, 0, 0, 0)


class GeneratedProducts:
    """A catalogue of ``count`` products computed on demand from their id.

    A 100 000-product catalogue held as dicts would cost hundreds of megabytes; here a
    record (or a single field, for sorting and filtering) is derived from its id, so
    the store only keeps the records that tests touched.
    """

    fields = PRODUCT_FIELDS

    def __init__(self, count: int) -> None:
        """Describe a catalogue of ids ``1..count``."""
        self.count = count
        self._values: dict[str, Callable[[int], Any]] = {
            "id": str,
            "sku": self.sku,
            "name": lambda i: f"{_NOUNS[i % 8]} {_ADJECTIVES[i % 7]} n°{i}",
            "type": self._type,
            "barcode": lambda i: ean13(f"37{i:010d}"),
            "mpn": lambda i: f"MPN-{i:07d}",
            "manufacturer": lambda i: _MANUFACTURERS[i % 6],
            "category": lambda i: _CATEGORIES[i % 5],
            "status": lambda i: "0" if i % 1000 == 0 else "1",
            "discontinued": lambda i: "1" if i % 1000 == 0 else "0",
            "cost": lambda i: money(self.price(i) * Decimal("0.45")),
            "price": lambda i: money(self.price(i)),
            "tax_rate": lambda i: _RATES[i % 7],
            "weight": lambda i: dec4(Decimal(i % 2000) / 1000),
            "qty": lambda i: dec4(i % 250),
            "created_at": lambda i: timestamp(self._created(i)),
            "updated_at": lambda i: timestamp(
                self._created(i) + timedelta(seconds=(i * 7919) % 864_000)),
        }

    @staticmethod
    def sku(i: int) -> str:
        """SKU of product ``i``: numeric, some as ``parent-child`` pairs, some deleted."""
        base = f"{1_000_000 + i}-{2_000_000 + i}" if i % 10 == 0 else str(1_000_000 + i)
        return f"{base}_deleted" if i % 1000 == 0 else base

    def find(self, sku: str) -> int | None:
        """Id of the generated product with this SKU, or None."""
        head = sku.split("-", 1)[0].removesuffix("_deleted")
        if not head.isdigit():
            return None
        i = int(head) - 1_000_000
        return i if 1 <= i <= self.count and self.sku(i) == sku else None

    @staticmethod
    def price(i: int) -> Decimal:
        """Unit price excluding VAT (1.00 to 90.99)."""
        return Decimal(100 + (i * 37) % 9000) / 100

    @staticmethod
    def _type(i: int) -> str:
        if i % 50 == 0:
            return "virtual"
        if i % 97 == 0:
            return "kit"
        return "alias" if i % 89 == 0 else "simple"

    @staticmethod
    def _created(i: int) -> datetime:
        return SCALE_START + timedelta(seconds=5 * i)

    def value(self, i: int, name: str) -> Any:
        """One field of product ``i`` (None for a field the catalogue does not have)."""
        make = self._values.get(name)
        return make(i) if make else None

    def record(self, i: int) -> Record:
        """The whole product ``i``."""
        return {name: make(i) for name, make in self._values.items()}


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


def load(name: str) -> Dataset:
    """Build a dataset by name: ``demo`` or ``scale:N``."""
    if name == "demo":
        return build_demo()
    if name.startswith("scale:") and name[6:].isdigit():
        return build_scale(int(name[6:]))
    raise ValueError(f"unknown dataset {name!r}: use 'demo' or 'scale:N' (e.g. scale:100000)")



# --- documents added at run time by tests ----------------------------------------------------

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
