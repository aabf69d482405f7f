"""Normalisation: exact decimals, ISO 8601 UTC timestamps, string ids, tolerant records."""

from __future__ import annotations

import contextlib
import io
from decimal import Decimal

import pytest
from tap_fakes import CONFIG, PATHS, invoice, product, run_sync
from tap_myfulfillment.normalize import RecordFormatError, conform, to_decimal, to_utc_iso
from tap_myfulfillment.schemas import PRODUCT
from tap_myfulfillment.tap import TapMyFulfillment

PRODUCTS = PATHS["products"]


def test_decimal_strings_survive_the_message_writer_exactly(api, capsys):
    api.data[PRODUCTS] = [product(1, "2026-03-01 10:00:00", price="0.1000", cost="0.2000")]

    result = run_sync()

    record = result.records("products")[0]
    assert isinstance(record["price"], Decimal)
    assert record["price"] + record["cost"] == Decimal("0.3")
    assert str(record["price"] + record["cost"]) == "0.3000"
    assert float(record["price"]) + float(record["cost"]) != 0.3  # what floats would do


def test_raw_output_line_writes_the_decimal_digits(api):
    api.data[PRODUCTS] = [product(1, "2026-03-01 10:00:00", price="12.9000", qty="0.1000")]
    tap = TapMyFulfillment(config=CONFIG, parse_env_config=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap.sync_all()
    line = next(x for x in out.getvalue().splitlines() if '"type":"RECORD"' in x)
    assert '"price":12.9000' in line
    assert '"qty":0.1000' in line
    assert '"updated_at":"2026-03-01T10:00:00+00:00"' in line


def test_timestamps_become_iso_utc(api):
    api.data[PRODUCTS] = [product(1, "2026-03-01 10:00:00", created_at="2025-12-31 23:59:59")]

    record = run_sync().records("products")[0]

    assert record["updated_at"] == "2026-03-01T10:00:00+00:00"
    assert record["created_at"] == "2025-12-31T23:59:59+00:00"


def test_ids_and_flags_stay_strings_and_empty_numbers_become_null(api):
    api.data[PRODUCTS] = [
        product(7, "2026-03-01 10:00:00", id=7, status=1, discontinued="0", cost="", weight=None)
    ]

    record = run_sync().records("products")[0]

    assert record["id"] == "7"
    assert record["status"] == "1"
    assert record["discontinued"] == "0"
    assert record["cost"] is None
    assert record["weight"] is None


def test_unknown_fields_are_tolerated_and_missing_optional_fields_are_fine(api):
    minimal = {"sku": "MIN-1", "updated_at": "2026-03-01 10:00:00", "brand_new_field": {"x": 1}}
    api.data[PRODUCTS] = [minimal]

    record = run_sync().records("products")[0]

    assert record["sku"] == "MIN-1"
    assert "brand_new_field" not in record
    assert "price" not in record


def test_nested_amounts_and_addresses_are_normalised(api):
    api.data[PATHS["invoices"]] = [invoice(3, "2026-03-01 10:00:00", customer_id=42)]

    record = run_sync().records("invoices")[0]

    assert record["items"][0]["row_total"] == Decimal("10.0000")
    assert record["grand_total"] == Decimal("12.0000")
    assert record["customer_id"] == "42"
    assert record["customer_key"] == "42"
    assert record["billing_address"]["street"] == ["12 rue de la Paix"]


def test_bad_timestamp_is_a_clear_error():
    with pytest.raises(RecordFormatError, match=r"x\.updated_at: 'yesterday' is not a timestamp"):
        to_utc_iso("yesterday", where="x.updated_at")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01 10:00:00", "2026-03-01T10:00:00+00:00"),
        ("2026-03-01T10:00:00Z", "2026-03-01T10:00:00+00:00"),
        ("2026-03-01T12:00:00+02:00", "2026-03-01T10:00:00+00:00"),
        ("", None),
        (None, None),
    ],
)
def test_to_utc_iso(raw, expected):
    assert to_utc_iso(raw, where="t") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.9000", Decimal("12.9000")), ("", None), ("  ", None), (None, None), (3, 3)],
)
def test_to_decimal(raw, expected):
    assert to_decimal(raw, where="t") == expected


def test_conform_keeps_unknown_nested_fields_for_the_sdk_to_report():
    value = conform(
        {"sku": "A", "price": "1.50", "extra": "kept"}, PRODUCT, where="products record"
    )
    assert value == {"sku": "A", "price": Decimal("1.50"), "extra": "kept"}
