"""A stream whose schema does not describe its records: one warning per field, not per record.

The usual cause is a field built by ``stream_maps`` (typed string by the SDK). The
records are still checked against the record contract and written; the log names
the field and the fix once, never the records' values (customer addresses).
"""

from __future__ import annotations

import copy
import logging

import pytest
from test_target_documents import run
from test_target_fakes import SCHEMAS, FakeQuickBooks, record, schema

ADDRESSES = [
    {"street": [f"{n} rue des Lilas"], "city": "Lyon", "postcode": "69003", "country_id": "FR"}
    for n in (1, 2, 3)
]


def customers(*, billing_address_type: dict) -> list[dict]:
    header = schema("customers")
    header["schema"] = copy.deepcopy(SCHEMAS["customers"][0])
    header["schema"]["properties"]["billing_address"] = billing_address_type
    return [header, *(record("customers", {
        "customer_key": str(40 + n), "customer_id": str(40 + n), "firstname": "Ada",
        "lastname": f"Lovelace {n}", "billing_address": address})
        for n, address in enumerate(ADDRESSES))]


def schema_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and "match the stream's schema" in r.getMessage()]


def test_a_field_typed_string_by_stream_maps_warns_once_and_is_written(
        caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeQuickBooks()
    with caplog.at_level(logging.INFO):
        run(fake, customers(billing_address_type={"type": ["string", "null"]}))
    assert len(fake.entities("Customer")) == 3
    assert [c["BillAddr"]["City"] for c in fake.entities("Customer")] == ["Lyon"] * 3
    first, summary = schema_warnings(caplog)
    assert "customers records do not match the stream's schema at $.billing_address" in first
    assert "the record holds object" in first and "`schema` extra" in first
    assert summary.startswith("3 customers record(s) did not match the stream's schema at "
                              "$.billing_address")
    assert "rue des Lilas" not in caplog.text  # the values stay out of the log


def test_a_typed_nested_field_logs_no_schema_warning(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeQuickBooks()
    typed = SCHEMAS["customers"][0]["properties"]["billing_address"]
    with caplog.at_level(logging.INFO):
        run(fake, customers(billing_address_type=typed))
    assert len(fake.entities("Customer")) == 3
    assert schema_warnings(caplog) == []
