"""Stream set, dependency order, schemas, settings, and the derived customers stream."""

from __future__ import annotations

import json

import pytest
from tap_fakes import CONFIG, PATHS, address, invoice, order, run_sync
from tap_myfulfillment.streams import STREAM_NAMES, STREAM_TYPES
from tap_myfulfillment.tap import TapMyFulfillment

ORDERS = PATHS["orders"]
ORDERED = ["products", "orders", "customers", "invoices", "credit_memos"]


def test_streams_keep_dependency_order_not_alphabetical():
    assert [t.name for t in STREAM_TYPES] == list(STREAM_NAMES) == ORDERED
    tap = TapMyFulfillment(config=CONFIG, parse_env_config=False)
    assert list(tap.streams) == ORDERED
    # The SDK's own loader sorts by name; the tap must undo that.
    assert [s.name for s in tap.load_streams()] == sorted(ORDERED)
    catalog = json.loads(json.dumps(tap.catalog_dict))
    assert [s["tap_stream_id"] for s in catalog["streams"]] == ORDERED


def test_sync_emits_streams_in_dependency_order(api):
    api.data[ORDERS] = [order(1, "2026-03-01 10:00:00")]
    api.data[PATHS["invoices"]] = [invoice(1, "2026-03-01 10:00:00")]

    assert run_sync().stream_order() == ORDERED


def test_keys_and_replication_keys():
    tap = TapMyFulfillment(config=CONFIG, parse_env_config=False)
    keys = {name: list(stream.primary_keys) for name, stream in tap.streams.items()}
    assert keys == {
        "products": ["sku"],
        "orders": ["id"],
        "customers": ["customer_key"],
        "invoices": ["id"],
        "credit_memos": ["id"],
    }
    assert {s.replication_key for s in tap.streams.values()} == {"updated_at"}
    assert all(s.is_sorted for s in tap.streams.values())


def test_settings_schema():
    props = TapMyFulfillment.config_jsonschema["properties"]
    assert list(props)[:5] == ["base_url", "username", "password", "start_date", "page_size"]
    assert props["page_size"]["default"] == 100
    assert props["start_date"]["format"] == "date-time"
    assert set(TapMyFulfillment.config_jsonschema["required"]) == {
        "base_url",
        "username",
        "password",
    }
    assert all(props[name].get("title") and props[name].get("description") for name in props)


def test_capabilities_include_the_required_ones():
    caps = {str(c) for c in TapMyFulfillment.capabilities}
    assert {"about", "discover", "catalog", "state", "stream-maps"} <= caps


def test_customers_one_per_customer_from_latest_order(api):
    api.data[ORDERS] = [
        order(1, "2026-03-01 09:00:00", customer_id="77", billing_address=address(city="Lyon")),
        order(2, "2026-03-01 11:00:00", customer_id="77", billing_address=address(city="Nantes")),
        order(3, "2026-03-01 10:00:00", customer_id="78"),
    ]

    customers = run_sync().records("customers")

    assert [c["customer_key"] for c in customers] == ["78", "77"]
    latest = customers[1]
    assert latest["billing_address"]["city"] == "Nantes"
    assert latest["updated_at"] == "2026-03-01T11:00:00+00:00"
    assert latest["customer_id"] == "77"
    assert "_order_id" not in latest
    assert latest["phone"] == "0102030405"
    assert latest["email"] == "client2@example.fr"
    assert set(latest) >= {
        "customer_key",
        "customer_id",
        "email",
        "firstname",
        "lastname",
        "company",
        "phone",
        "billing_address",
        "currency",
        "updated_at",
    }


def test_guest_customers_are_keyed_by_lower_cased_email(api):
    api.data[ORDERS] = [
        order(1, "2026-03-01 09:00:00", customer_id=None, customer_email="Anne@Example.FR"),
        order(
            2,
            "2026-03-01 10:00:00",
            customer_id="0",
            customer_email="anne@example.fr",
            billing_address=address(company="ACME SARL"),
        ),
    ]

    result = run_sync()

    customers = result.records("customers")
    assert [c["customer_key"] for c in customers] == ["guest:anne@example.fr"]
    assert customers[0]["customer_id"] is None
    assert customers[0]["company"] == "ACME SARL"
    assert {o["customer_key"] for o in result.records("orders")} == {"guest:anne@example.fr"}


def test_documents_carry_the_same_customer_key(api):
    api.data[PATHS["invoices"]] = [invoice(1, "2026-03-01 10:00:00", customer_email="X@Y.fr")]
    api.data[PATHS["credit_memos"]] = [
        invoice(
            2,
            "2026-03-01 10:00:00",
            customer_id="12",
            invoice_id="1",
            adjustment_positive="1.5000",
            adjustment_negative="",
        )
    ]

    result = run_sync()

    assert result.records("invoices")[0]["customer_key"] == "guest:x@y.fr"
    memo = result.records("credit_memos")[0]
    assert memo["customer_key"] == "12"
    assert memo["invoice_id"] == "1"
    assert str(memo["adjustment_positive"]) == "1.5000"
    assert memo["adjustment_negative"] is None
    assert {"customer_firstname", "customer_lastname", "customer_email", "billing_address"} <= set(
        memo
    )


def test_customer_re_emitted_when_a_new_order_arrives_in_the_bookmark_second(api):
    api.data[ORDERS] = [order(1, "2026-03-01 10:00:00", customer_id="5")]
    first = run_sync()
    assert len(first.records("customers")) == 1

    api.data[ORDERS].append(
        order(2, "2026-03-01 10:00:00", customer_id="5", billing_address=address(city="Brest"))
    )
    second = run_sync(state=first.state)

    customers = second.records("customers")
    assert [c["customer_key"] for c in customers] == ["5"]
    assert customers[0]["billing_address"]["city"] == "Brest"
    assert run_sync(state=second.state).records("customers") == []


@pytest.mark.parametrize("ignored_sorts", [set(), {"id"}], ids=["tie-by-id", "tie-unsorted"])
def test_customer_with_two_orders_in_the_bookmark_second_is_not_re_emitted(api, ignored_sorts):
    # Only the kept order's id is stored at the bookmark; on a rerun the other order
    # of the same second must not slip out as the customer's "latest" data.
    api.ignored_sorts = ignored_sorts
    api.data[ORDERS] = [
        order(1, "2026-03-01 10:00:00", customer_id="42", customer_lastname="OLD"),
        order(2, "2026-03-01 10:00:00", customer_id="42", customer_lastname="NEW"),
    ]
    first = run_sync()
    assert len(first.records("customers")) == 1

    second = run_sync(state=first.state)

    assert second.records("customers") == []
    assert second.state["bookmarks"]["customers"] == first.state["bookmarks"]["customers"]


def test_customer_takes_the_highest_order_id_within_one_second(api):
    # sorts[id]=desc breaks ties, so "latest order" is well defined within a second.
    api.data[ORDERS] = [
        order(1, "2026-03-01 10:00:00", customer_id="42", customer_lastname="OLD"),
        order(2, "2026-03-01 10:00:00", customer_id="42", customer_lastname="NEW"),
    ]

    result = run_sync()

    assert [c["lastname"] for c in result.records("customers")] == ["NEW"]
