"""JSON schemas of the streams, following the record contract in docs/architecture.md.

Money and quantities are ``number`` (emitted as exact ``Decimal``), ids and
codes are ``string``, timestamps are ``date-time`` (ISO 8601 UTC). Shared pieces
(addresses, line items) are defined once and reused.

Every stream declares ``normalization_errors`` (see ``tap_myfulfillment.marks``).
Required document fields that the source may leave empty or unreadable
(``increment_id``, ``created_at``, ``grand_total``, ``items``) are nullable, so
that such a record, marked, still passes the target's schema validation and is
rejected there alone instead of stopping the feed.
"""

from __future__ import annotations

from singer_sdk import typing as th

from tap_myfulfillment import marks

ADDRESS = th.ObjectType(
    th.Property("firstname", th.StringType),
    th.Property("lastname", th.StringType),
    th.Property("company", th.StringType),
    th.Property("street", th.ArrayType(th.StringType), description="Address lines"),
    th.Property("city", th.StringType),
    th.Property("postcode", th.StringType),
    th.Property("region", th.StringType),
    th.Property("country_id", th.StringType, description="ISO 3166-1 alpha-2"),
    th.Property("telephone", th.StringType),
)

ORDER_ITEM = th.ObjectType(
    th.Property("item_id", th.StringType),
    th.Property("sku", th.StringType),
    th.Property("name", th.StringType),
    th.Property("qty_ordered", th.NumberType),
    th.Property("price", th.NumberType),
    th.Property("tax_percent", th.NumberType),
    th.Property("tax_amount", th.NumberType),
    th.Property("discount_amount", th.NumberType),
    th.Property("row_total", th.NumberType),
)

DOCUMENT_ITEM = th.ObjectType(
    th.Property("sku", th.StringType),
    th.Property("name", th.StringType),
    th.Property("qty", th.NumberType),
    th.Property("price", th.NumberType, description="Unit price before tax and discount"),
    th.Property("tax_percent", th.NumberType),
    th.Property("tax_amount", th.NumberType),
    th.Property("discount_amount", th.NumberType),
    th.Property("row_total", th.NumberType, description="qty * price"),
)

PRODUCT = th.PropertiesList(
    th.Property("sku", th.StringType, required=True, description="Source SKU (primary key)"),
    th.Property("id", th.StringType, description="Source product id"),
    th.Property("name", th.StringType),
    th.Property("type", th.StringType, description="simple | kit | alias | virtual"),
    th.Property("barcode", th.StringType),
    th.Property("mpn", th.StringType),
    th.Property("manufacturer", th.StringType),
    th.Property("category", th.StringType),
    th.Property("description", th.StringType),
    th.Property("status", th.StringType, description='"1" enabled, "0" disabled'),
    th.Property("discontinued", th.StringType, description='"0" or "1"'),
    th.Property("cost", th.NumberType),
    th.Property("price", th.NumberType),
    th.Property("tax_rate", th.NumberType, description="VAT rate in percent, e.g. 20.0000"),
    th.Property("weight", th.NumberType),
    th.Property("qty", th.NumberType, description="Physical quantity, all warehouses"),
    th.Property("created_at", th.DateTimeType),
    th.Property("updated_at", th.DateTimeType, required=True),
    marks.PROPERTY,
).to_dict()

_CUSTOMER_FIELDS = (
    th.Property("customer_id", th.StringType, description="Null for guests"),
    th.Property("customer_email", th.StringType),
    th.Property("customer_firstname", th.StringType),
    th.Property("customer_lastname", th.StringType),
    th.Property(
        "customer_key",
        th.StringType,
        required=True,
        description="customer_id, else 'guest:' + lower-cased email (see `customers`)",
    ),
)

ORDER = th.PropertiesList(
    th.Property("id", th.StringType, required=True),
    th.Property("increment_id", th.StringType),
    th.Property("status", th.StringType),
    th.Property("created_at", th.DateTimeType),
    th.Property("updated_at", th.DateTimeType, required=True),
    th.Property("currency", th.StringType),
    *_CUSTOMER_FIELDS,
    th.Property("billing_address", ADDRESS),
    th.Property("shipping_address", ADDRESS),
    th.Property("subtotal", th.NumberType),
    th.Property("tax_amount", th.NumberType),
    th.Property("shipping_amount", th.NumberType),
    th.Property("discount_amount", th.NumberType),
    th.Property("grand_total", th.NumberType),
    th.Property("items", th.ArrayType(ORDER_ITEM)),
    marks.PROPERTY,
).to_dict()

CUSTOMER = th.PropertiesList(
    th.Property(
        "customer_key",
        th.StringType,
        required=True,
        description="Registered customer_id, else 'guest:' + lower-cased email",
    ),
    th.Property("customer_id", th.StringType, description="Null for guests"),
    th.Property("email", th.StringType),
    th.Property("firstname", th.StringType),
    th.Property("lastname", th.StringType),
    th.Property("company", th.StringType),
    th.Property("phone", th.StringType, description="Billing telephone"),
    th.Property("billing_address", ADDRESS),
    th.Property("currency", th.StringType),
    th.Property("updated_at", th.DateTimeType, required=True, description="Of the latest order"),
    th.Property(
        "order_id",
        th.StringType,
        description="Id of the order this record was built from (the customer's latest); "
        "a pending customer keyed 'unidentified:order:<order_id>' is superseded by it",
    ),
    marks.PROPERTY,
).to_dict()

_DOCUMENT_FIELDS = (
    th.Property("id", th.StringType, required=True),
    th.Property("increment_id", th.StringType, required=True, nullable=True),
    th.Property("order_id", th.StringType),
    th.Property("order_increment_id", th.StringType),
    th.Property("state", th.StringType, description="open | paid | canceled"),
    th.Property("created_at", th.DateTimeType, required=True, nullable=True),
    th.Property("updated_at", th.DateTimeType, required=True),
    th.Property("currency", th.StringType),
    *_CUSTOMER_FIELDS,
    th.Property("billing_address", ADDRESS),
    th.Property("subtotal", th.NumberType),
    th.Property("tax_amount", th.NumberType),
    th.Property("shipping_amount", th.NumberType),
    th.Property("shipping_tax_amount", th.NumberType),
    th.Property("discount_amount", th.NumberType),
    th.Property("grand_total", th.NumberType, required=True, nullable=True),
    th.Property("items", th.ArrayType(DOCUMENT_ITEM), required=True, nullable=True),
    marks.PROPERTY,
)

INVOICE = th.PropertiesList(*_DOCUMENT_FIELDS).to_dict()

CREDIT_MEMO = th.PropertiesList(
    *_DOCUMENT_FIELDS,
    th.Property("invoice_id", th.StringType),
    th.Property(
        "invoice_increment_id",
        th.StringType,
        description=(
            "The invoice's increment_id (its DocNumber in QuickBooks); "
            "null when the invoice cannot be found in myFulfillment"
        ),
    ),
    th.Property(
        "invoice_state",
        th.StringType,
        description=(
            "The invoice's state when the memo is emitted: open | paid | canceled "
            "(lower case); null when the invoice cannot be found or has no state. "
            "target-quickbooks writes the memo of a paid invoice as a RefundReceipt"
        ),
    ),
    th.Property("adjustment_positive", th.NumberType),
    th.Property("adjustment_negative", th.NumberType),
).to_dict()
