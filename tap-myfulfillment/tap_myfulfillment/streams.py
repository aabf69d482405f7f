"""The five streams, in the order the target needs them.

``products`` and ``customers`` come before ``invoices`` and ``credit_memos`` so
that the target can resolve every line's item and every document's customer.
"""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_myfulfillment import schemas
from tap_myfulfillment.client import MyFulfillmentStream
from tap_myfulfillment.customer_records import (
    customer_from_order,
    customer_key,
    customer_problems,
    unidentified_key,
)
from tap_myfulfillment.invoice_numbers import invoice_facts
from tap_myfulfillment.marks import Problem, attach, problems_of
from tap_myfulfillment.normalize import RecordFormatError

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class ProductsStream(MyFulfillmentStream):
    """Catalog products (``GET /catalog-product/products``), keyed by SKU."""

    name = "products"
    path = "/catalog-product/products"
    primary_keys = ("sku",)
    boundary_key = "sku"
    schema = schemas.PRODUCT


class _CustomerDocumentStream(MyFulfillmentStream):
    """A sales document that carries customer fields; adds ``customer_key``."""

    primary_keys = ("id",)
    boundary_key = "id"

    @override
    def transform(self, raw: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """Normalise the document and add its ``customer_key``.

        A document with neither a customer id nor an email gets a placeholder
        key (``unidentified:order:<order id>``) and a ``normalization_errors``
        entry for ``customer_email``, so that it is rejected on its own.

        Args:
            raw: The document as received.

        Returns:
            The normalised document.
        """
        record = super().transform(raw)
        if record is None:
            return None
        try:
            key = customer_key(record, where=f"{self.name} record id={record.get('id')!r}")
        except RecordFormatError as error:
            key = unidentified_key(record, stream=self.name)
            attach(record, [Problem.of("customer_email", error.reason, raw.get("customer_email"))])
        record["customer_key"] = key
        return record


class OrdersStream(_CustomerDocumentStream):
    """Sales orders (``GET /sales/orders``).

    Not selected without a catalog: target-quickbooks writes products,
    customers, invoices and credit memos, and refuses a stream it does not
    know, so the plain pipe ``tap-myfulfillment | target-quickbooks`` must not
    emit orders. A catalog (or Meltano's ``select: [orders.*]``) still selects it.
    """

    name = "orders"
    path = "/sales/orders"
    schema = schemas.ORDER
    selected_by_default = False


class CustomersStream(_CustomerDocumentStream):
    """Customers derived from sales orders (the API has no customers endpoint).

    One record per distinct ``customer_key``, built from that customer's latest
    order (the first one met, since orders are read newest first, ties by id).
    The bookmark is the orders' ``updated_at``; the same-second rule is keyed by
    order id. Only the kept order's id is stored at the bookmark second, so
    ``is_duplicate`` must also see the orders that rule skips: otherwise, on a
    rerun, an older order of the same second would pass as the latest one.
    """

    name = "customers"
    path = "/sales/orders"
    primary_keys = ("customer_key",)
    schema = schemas.CUSTOMER
    source_schema = schemas.ORDER

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Set up duplicate tracking."""
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()

    @override
    def transform(self, raw: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """Turn an order into its customer's record, remembering the order id.

        Args:
            raw: The order as received.

        Returns:
            The customer record (``_order_id`` is removed before emission).
        """
        order = super().transform(raw)
        if order is None:
            return None
        customer = attach(customer_from_order(order), customer_problems(problems_of(order)))
        customer["_order_id"] = str(order.get("id"))
        return customer

    @override
    def boundary_value(self, record: dict[str, t.Any]) -> str:
        """Orders, not customers, identify what was read at the bookmark second.

        Args:
            record: A customer record carrying ``_order_id``.

        Returns:
            The source order id.
        """
        return str(record.pop("_order_id"))

    @override
    def start_dedupe(self) -> None:
        """Forget the customers kept by a previous run."""
        self._seen = set()

    @override
    def is_duplicate(self, record: dict[str, t.Any]) -> bool:
        """Keep only the first (latest) order of each customer.

        Args:
            record: A customer record, met newest first.

        Returns:
            True if this customer was already kept in this run.
        """
        key = record["customer_key"]
        if key in self._seen:
            return True
        self._seen.add(key)
        return False


class InvoicesStream(_CustomerDocumentStream):
    """Invoices (``GET /sales/invoices``)."""

    name = "invoices"
    path = "/sales/invoices"
    schema = schemas.INVOICE

    @override
    def transform(self, raw: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """Normalise the invoice and remember its number for the credit memos.

        Args:
            raw: The invoice as received.

        Returns:
            The normalised invoice.
        """
        record = super().transform(raw)
        if record is not None:
            self._tap.invoice_numbers.seen(  # type: ignore[attr-defined]
                record.get("id"), record.get("increment_id"), record.get("state"))
        return record


class CreditMemosStream(_CustomerDocumentStream):
    """Credit memos (``GET /sales/creditmemos``), each with its invoice's number and state."""

    name = "credit_memos"
    path = "/sales/creditmemos"
    schema = schemas.CREDIT_MEMO

    @override
    def finish(self, record: dict[str, t.Any], context: Context | None) -> dict[str, t.Any]:
        """Add ``invoice_increment_id`` and ``invoice_state`` of the memo's invoice.

        The number is how the target finds the invoice in QuickBooks; the state
        (as the run sees it when it emits the memo) is how it books the memo: a
        memo of a ``paid`` invoice returns money (RefundReceipt), any other
        reduces what the customer owes (CreditMemo).

        Args:
            record: A credit memo about to be emitted.
            context: Stream context.

        Returns:
            The memo with both fields (null, with a warning, when the invoice
            cannot be found).
        """
        number, state = invoice_facts(self, record, context)
        record["invoice_increment_id"] = number
        record["invoice_state"] = state
        return record


#: Dependency order: the target needs items and customers before documents.
STREAM_TYPES: tuple[type[MyFulfillmentStream], ...] = (
    ProductsStream,
    OrdersStream,
    CustomersStream,
    InvoicesStream,
    CreditMemosStream,
)

#: Stream names in dependency order (the order of ``STREAM_TYPES``).
STREAM_NAMES: tuple[str, ...] = ("products", "orders", "customers", "invoices", "credit_memos")
