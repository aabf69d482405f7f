"""Settings of target-quickbooks, declared once for the SDK, ``--about`` and Meltano.

The names here are the contract with ``meltano.yml`` (namespace ``target_quickbooks``):
renaming one breaks every project that sets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from singer_sdk import typing as th

#: Products: only create new items, only update known ones, or both.
PRODUCT_MODES = ("create", "update", "upsert")
#: Report formats of the reconcile job (target-quickbooks-reconcile).
RECONCILE_FORMATS = ("text", "json")

DEFAULT_TOKEN_STORE = ".secrets/quickbooks-tokens.json"  # noqa: S105 (a path, not a secret)
DEFAULT_MINOR_VERSION = 75
DEFAULT_BATCH_SIZE = 300
#: Seconds between progress states (a large catalogue's state is megabytes).
DEFAULT_STATE_INTERVAL = 30
#: Seconds between progress lines in the log (``progress.py``).
DEFAULT_PROGRESS_INTERVAL = 30

CONFIG_SCHEMA: dict = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType,
        required=True,
        title="Client ID",
        description="OAuth 2.0 client id of the Intuit app.",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        required=True,
        secret=True,
        title="Client secret",
        description="OAuth 2.0 client secret of the Intuit app.",
    ),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        title="Initial refresh token",
        description=(
            "Refresh token used only until the token store holds a newer one: QuickBooks "
            "rotates refresh tokens and Meltano rewrites the config every run, so later "
            "tokens live in `token_store_path`."
        ),
    ),
    th.Property(
        "realm_id",
        th.StringType,
        required=True,
        title="Realm (company) id",
        description="QuickBooks company id; the ID map in state is scoped to it.",
    ),
    th.Property(
        "environment",
        th.StringType,
        default="sandbox",
        allowed_values=["sandbox", "production"],
        title="Environment",
        description="`sandbox` or `production`; picks the API host and OAuth endpoints.",
    ),
    th.Property(
        "api_url",
        th.StringType,
        title="API base URL override",
        description="v3 base URL, e.g. `http://127.0.0.1:8765/v3` for the emulator.",
    ),
    th.Property(
        "oauth_discovery_url",
        th.StringType,
        title="OAuth discovery document override",
        description="URL of an OpenID discovery document replacing Intuit's (emulator).",
    ),
    th.Property(
        "token_store_path",
        th.StringType,
        default=DEFAULT_TOKEN_STORE,
        title="Token store path",
        description=(
            "File (mode 0600) holding the latest rotated tokens, relative to the working "
            "directory (the Meltano project root)."
        ),
    ),
    th.Property(
        "minor_version",
        th.IntegerType,
        default=DEFAULT_MINOR_VERSION,
        title="API minor version",
    ),
    th.Property(
        "income_account",
        th.StringType,
        title="Income account",
        description="Id or exact name of the Income account of items.",
    ),
    th.Property(
        "service_income_account",
        th.StringType,
        title="Service income account",
        description="Id or name of the Income account of service items (default: income).",
    ),
    th.Property(
        "expense_account",
        th.StringType,
        title="Expense (COGS) account",
        description="Id or name of the Cost of Goods Sold account of items.",
    ),
    th.Property(
        "asset_account",
        th.StringType,
        title="Inventory asset account",
        description="Id or name of the Other Current Asset/Inventory account.",
    ),
    th.Property(
        "product_mode",
        th.StringType,
        default="upsert",
        allowed_values=list(PRODUCT_MODES),
        title="Product mode",
        description="`create` new items only, `update` existing only, or `upsert` both.",
    ),
    th.Property(
        "inventory_start_date",
        th.DateType,
        title="Inventory start date",
        description="InvStartDate of new inventory items (default: today).",
    ),
    th.Property(
        "tax_code",
        th.StringType,
        title="Default tax code",
        description="Id or name of the TaxCode used when `tax_code_map` has no entry.",
    ),
    th.Property(
        "tax_code_map",
        # Meltano reads a dot in an object key as nesting ({"5.5": x} arrives as
        # {"5": {"5": x}}), so nested objects are accepted and flattened back.
        th.ObjectType(additional_properties=th.CustomType({"type": ["string", "object"]})),
        title="Tax code map",
        description='VAT rate → TaxCode Id or name, e.g. `{"20": "3", "5.5": "5"}` '
        '(`"5,5"` is accepted too).',
    ),
    th.Property(
        "timezone",
        th.StringType,
        title="Company time zone",
        description="IANA time zone of the QuickBooks company (e.g. `Europe/Paris`): the day "
        "a document is dated (TxnDate) and its VAT period are the source timestamp's day "
        "in this zone. Default: derived from the company's country in QuickBooks (or the "
        "UTC offset of QuickBooks' timestamps); `check` shows the zone in use.",
    ),
    th.Property(
        "shipping_item",
        th.StringType,
        default="Shipping",
        title="Shipping item",
        description="Id or name of the Service item of shipping lines.",
    ),
    th.Property(
        "adjustment_item",
        th.StringType,
        default="Adjustment",
        title="Adjustment item",
        description="Id or name of the item of credit memo adjustment lines.",
    ),
    th.Property(
        "discount_account",
        th.StringType,
        title="Discount account",
        description="Id or name of the account of discount lines. Default: the company's "
        "default discount account (Preferences.SalesFormsPrefs.DefaultDiscountAccount).",
    ),
    th.Property(
        "refund_account",
        th.StringType,
        title="Refund account",
        description="Id or name of the account refunds are paid from (a Bank or Other "
        "Current Asset account): a credit memo of an invoice that is paid at the source is "
        "written as a RefundReceipt paid from it. Default: the company's Undeposited Funds "
        "account, else its first Bank account.",
    ),
    th.Property(
        "deposit_account",
        th.StringType,
        title="Deposit account of payments",
        description="Id or name of the Bank or Other Current Asset account the payments of "
        "paid invoices are deposited to. Default: the company's Undeposited Funds account.",
    ),
    th.Property(
        "payment_method",
        th.StringType,
        title="Payment method",
        description="Name (or Id) of the QuickBooks payment method of the payments of paid "
        "invoices; created when missing (like the shipping item; `create_missing_items` false "
        "to opt out). Empty: payments carry no method.",
    ),
    th.Property(
        "payment_method_map",
        th.ObjectType(additional_properties=th.StringType),
        title="Payment method per source code",
        description='Source payment method code → QuickBooks payment method name, e.g. '
        '{"banktransfer": "Virement", "checkmo": "Chèque"}; used when an invoice record '
        "carries a `payment_method` code the map knows, else `payment_method`.",
    ),
    th.Property(
        "create_missing_items",
        th.BooleanType,
        default=True,
        title="Create missing shipping/adjustment items",
        description="Create the `shipping_item` and `adjustment_item` Service items (on the "
        "service income account), and the `payment_method`, when QuickBooks has none of that "
        "name; false: a missing one stops the run until a person creates it.",
    ),
    th.Property(
        "dry_run",
        th.BooleanType,
        default=False,
        title="Dry run",
        description="Map, validate and look up, but write nothing to QuickBooks or state.",
    ),
    th.Property("max_requests_per_minute", th.IntegerType, default=500),
    th.Property("max_requests_per_second", th.IntegerType, default=10),
    th.Property("max_batch_requests_per_minute", th.IntegerType, default=40),
    th.Property("max_concurrent_requests", th.IntegerType, default=10),
    th.Property(
        "shared_rate_limit",
        th.BooleanType,
        default=True,
        title="Share QuickBooks' limits between processes",
        description="Count the requests of every process writing to this company together "
        "(a file per company beside the token store, so feeds started at the same minute stay "
        "within QuickBooks' limits). Turn off only if nothing else writes to the company.",
    ),
    th.Property(
        "rate_limit_time_scale",
        th.NumberType,
        default=1,
        title="Rate-limit time scale",
        description="Compresses the rate limiter's windows (10: a minute lasts 6 s). Only for "
        "emulators that compress time the same way (benchmarks); leave at 1 for QuickBooks.",
    ),
    th.Property(
        "reconcile_format",
        th.StringType,
        default="text",
        allowed_values=list(RECONCILE_FORMATS),
        title="Reconcile report format",
        description="Only for the `reconcile` job (target-quickbooks-reconcile): `text` (summary, "
                    "then tables) or `json` (the whole report as one document).",
    ),
    th.Property(
        "reconcile_report_path",
        th.StringType,
        title="Reconcile report file",
        description="Only for the `reconcile` job: also write the report to this file "
                    "(relative to the project root); the log always shows it.",
    ),
    th.Property(
        "batch_size",
        th.IntegerType,
        default=DEFAULT_BATCH_SIZE,
        title="Records per sink batch",
    ),
    th.Property(
        "state_interval_seconds",
        th.IntegerType,
        default=DEFAULT_STATE_INTERVAL,
        title="Seconds between progress states",
        description="Emit a progress state (ID map and pending records so far) at most this "
                    "often; 0 emits one after every written batch. The final state, and the "
                    "state before stopping on an error or signal, are always emitted.",
    ),
    th.Property(
        "progress_interval_seconds",
        th.IntegerType,
        default=DEFAULT_PROGRESS_INTERVAL,
        title="Seconds between progress lines",
        description="Log how many records of each stream were written of those received so "
                    "far, and whether the run waits for QuickBooks' limits, this often; 0 "
                    "turns the line off.",
    ),
).to_dict()


def tax_code_table(config: Mapping[str, Any]) -> dict[str, str]:
    """``tax_code_map`` as ``{normalised rate: tax code}``.

    Undoes Meltano's dot-nesting of keys (``{"5": {"5": "x"}}`` → ``"5.5"``) and
    accepts a decimal comma (``"5,5"``), so every way a user can write a rate
    reaches the same key as the records' ``tax_percent``.
    """
    from target_quickbooks.mappers.money import rate_key  # noqa: PLC0415 (no cycle at import)

    table: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        else:
            table[rate_key(prefix.replace(",", "."))] = str(value)

    walk("", config.get("tax_code_map") or {})
    return table
