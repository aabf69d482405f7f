"""One malformed source record never blocks a stream (issue 10, point 9).

The record is passed on, marked in ``normalization_errors`` (the contract with the
target: ``[{"field", "reason", "value"}]``), with the fields the tap could not
normalise set to a schema-valid value; the records after it flow and the
bookmark moves past it.
"""

from __future__ import annotations

import typing as t

import jsonschema
import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from tap_fakes import CONFIG, PATHS, address, invoice, order, product, run_sync
from tap_myfulfillment.normalize import RecordFormatError
from tap_myfulfillment.tap import TapMyFulfillment

T1, T2, T3 = "2026-03-01 10:00:00", "2026-03-01 11:00:00", "2026-03-01 12:00:00"


def _schemas() -> dict[str, dict[str, t.Any]]:
    tap = TapMyFulfillment(config=CONFIG, parse_env_config=False)
    return {name: stream.schema for name, stream in tap.streams.items()}


def _assert_schema_valid(result: t.Any, *streams: str) -> None:
    """Each record passes the validation a singer-sdk target applies (Draft 2020-12)."""
    schemas = _schemas()
    for stream in streams:
        validator = jsonschema.Draft202012Validator(schemas[stream])
        for record in result.records(stream):
            validator.validate(record)


def test_guest_order_without_email_is_emitted_marked_with_its_customer(api):
    api.data[PATHS["orders"]] = [
        order(1, T1),
        order(2, T2, customer_id=None, customer_email=""),
        order(3, T3),
    ]

    result = run_sync()

    orders = result.records("orders")
    assert [o["id"] for o in orders] == ["1", "2", "3"]
    bad = orders[1]
    assert bad["customer_key"] == "unidentified:order:2"
    assert bad["normalization_errors"] == [
        {
            "field": "customer_email",
            "reason": (
                "neither `customer_id` nor `customer_email` is set, so the customer cannot "
                "be identified; add the customer's email to the document in myFulfillment"
            ),
            "value": "",
        }
    ]
    assert "normalization_errors" not in orders[0]
    customers = result.records("customers")
    assert [c["customer_key"] for c in customers] == ["501", "unidentified:order:2", "503"]
    marked = customers[1]
    assert marked["customer_id"] is None
    # The order it was built from: the target drops the placeholder's pending entry
    # once that order names its customer.
    assert [c["order_id"] for c in customers] == ["1", "2", "3"]
    assert marked["email"] is None
    assert [p["field"] for p in marked["normalization_errors"]] == ["email"]
    assert result.state["bookmarks"]["customers"]["replication_key_value"].startswith(
        "2026-03-01T12:00:00"
    )
    _assert_schema_valid(result, "orders", "customers")


def test_unparseable_amounts_become_null_and_are_named_with_their_path(api):
    bad = invoice(2, T2, grand_total="12,00 EUR")
    bad["items"][0]["price"] = "dix euros"
    api.data[PATHS["invoices"]] = [invoice(1, T1), bad, invoice(3, T3)]

    result = run_sync()

    invoices = result.records("invoices")
    assert [i["id"] for i in invoices] == ["1", "2", "3"]
    marked = invoices[1]
    assert marked["grand_total"] is None
    assert marked["items"][0]["price"] is None
    assert marked["items"][0]["row_total"] == 10  # the rest of the line is kept
    errors = {p["field"]: p for p in marked["normalization_errors"]}
    assert set(errors) == {"grand_total", "items[0].price"}
    assert errors["grand_total"]["value"] == "12,00 EUR"
    assert "is not a decimal number" in errors["grand_total"]["reason"]
    assert errors["items[0].price"]["value"] == "dix euros"
    assert result.state["bookmarks"]["invoices"]["replication_key_value"].startswith(
        "2026-03-01T12:00:00"
    )
    _assert_schema_valid(result, "invoices")


def test_missing_required_fields_are_present_as_null_and_marked(api):
    memo = invoice(1, T1, invoice_id="9", increment_id="", created_at="yesterday")
    del memo["grand_total"]
    api.data[PATHS["credit_memos"]] = [memo]

    result = run_sync()

    (record,) = result.records("credit_memos")
    assert record["increment_id"] is None
    assert record["grand_total"] is None
    assert record["created_at"] is None
    assert {p["field"]: p["value"] for p in record["normalization_errors"]} == {
        "created_at": "yesterday",
        "increment_id": "",
        "grand_total": None,
    }
    _assert_schema_valid(result, "credit_memos")


def test_wrong_shapes_are_marked_not_passed_through(api):
    api.data[PATHS["invoices"]] = [
        invoice(1, T1, items="see attached", billing_address=address(street={"line": 1}),
                currency=["EUR"]),
    ]

    result = run_sync()

    (record,) = result.records("invoices")
    assert record["items"] is None
    assert record["billing_address"]["street"] is None
    assert record["currency"] is None
    assert {p["field"] for p in record["normalization_errors"]} == {
        "items", "billing_address.street", "currency"}
    _assert_schema_valid(result, "invoices")


def test_bad_product_price_is_marked_and_the_catalog_flows(api):
    api.data[PATHS["products"]] = [product(1, T1, price="12,90 EUR"), product(2, T2)]

    result = run_sync()

    first, second = result.records("products")
    assert first["price"] is None
    assert first["normalization_errors"] == [
        {
            "field": "price",
            "reason": "'12,90 EUR' is not a decimal number; fix the value in myFulfillment",
            "value": "12,90 EUR",
        }
    ]
    assert "normalization_errors" not in second
    _assert_schema_valid(result, "products")


def test_unreadable_updated_at_still_stops_the_stream_with_a_clear_message(api):
    api.data[PATHS["products"]] = [product(1, "last tuesday")]

    with pytest.raises(RecordFormatError, match=r"products record sku='SKU-000001', field "
                       r"updated_at: 'last tuesday' is not a timestamp.*bookmark"):
        run_sync()


def test_malformed_order_of_the_emulator_flows_over_real_sockets():
    with MyFulfillmentEmulator(dataset="demo") as emu:
        config = {"base_url": emu.url, "username": "demo", "password": "demo-password"}
        first = run_sync(config)
        bad = emu.store.add_order(
            increment_id="BAD-1", customer_email=None, customer_id=None,
            items=[{"sku": emu.store.products()[0]["sku"], "qty_ordered": 1}],
        )
        # The store keeps its records as given: a bad amount goes in as the API would send it.
        emu.store.find("orders", "BAD-1")["grand_total"] = "n/a"  # type: ignore[index]
        good = emu.store.add_order(
            increment_id="GOOD-1", customer_email="after@example.fr",
            items=[{"sku": emu.store.products()[0]["sku"], "qty_ordered": 1}],
        )

        second = run_sync(config, state=first.state)

        assert [o["increment_id"] for o in second.records("orders")] == ["BAD-1", "GOOD-1"]
        marked = second.records("orders")[0]
        assert {p["field"] for p in marked["normalization_errors"]} == {
            "customer_email", "grand_total"}
        keys = [c["customer_key"] for c in second.records("customers")]
        assert keys == [f"unidentified:order:{bad['id']}", "guest:after@example.fr"]
        assert [p["field"] for p in second.records("customers")[0]["normalization_errors"]] == [
            "email"]
        assert good["id"] != bad["id"]
        assert run_sync(config, state=second.state).records("orders") == []
