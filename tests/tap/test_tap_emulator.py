"""The tap against the myFulfillment emulator over real sockets."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from singer_sdk.exceptions import RetriableAPIError
from tap_fakes import SyncResult, run_sync
from tap_myfulfillment.client import MyFulfillmentStream
from tap_myfulfillment.errors import MyFulfillmentAuthError
from tap_myfulfillment.streams import InvoicesStream

STREAMS = ["products", "orders", "customers", "invoices", "credit_memos"]


def _config(emu: MyFulfillmentEmulator, **extra: t.Any) -> dict[str, t.Any]:
    return {"base_url": emu.url, "username": "demo", "password": "demo-password", **extra}


def _counts(result: SyncResult) -> dict[str, int]:
    return {name: len(result.records(name)) for name in STREAMS}


def _expected_customer_keys(orders: list[dict[str, t.Any]]) -> set[str]:
    return {
        str(o["customer_id"]) if o.get("customer_id") else "guest:" + o["customer_email"].lower()
        for o in orders
    }


@pytest.fixture(scope="module")
def demo() -> t.Iterator[MyFulfillmentEmulator]:
    """The deterministic demo shop, shared by the read-only tests of this module."""
    with MyFulfillmentEmulator(dataset="demo") as emu:
        yield emu


@pytest.fixture
def fresh() -> t.Iterator[MyFulfillmentEmulator]:
    """A private demo shop for tests that change data or inject faults."""
    with MyFulfillmentEmulator(dataset="demo") as emu:
        yield emu


def test_full_sync_matches_the_emulator_data(demo):
    store = demo.store

    result = run_sync(_config(demo))

    assert result.stream_order() == STREAMS
    assert _counts(result) == {
        "products": len(store.products()),
        "orders": len(store.orders()),
        "customers": len(_expected_customer_keys(store.orders())),
        "invoices": len(store.invoices()),
        "credit_memos": len(store.credit_memos()),
    }
    assert {r["sku"] for r in result.records("products")} == {p["sku"] for p in store.products()}
    assert {r["customer_key"] for r in result.records("customers")} == _expected_customer_keys(
        store.orders()
    )
    # Every document's customer is in the customers stream.
    keys = {r["customer_key"] for r in result.records("customers")}
    assert {r["customer_key"] for r in result.records("invoices")} <= keys
    assert {r["customer_key"] for r in result.records("credit_memos")} <= keys
    for stream in STREAMS:
        stamps = [r["updated_at"] for r in result.records(stream)]
        assert stamps == sorted(stamps), stream


def test_amounts_arrive_exact_and_reconcile(demo):
    result = run_sync(_config(demo))

    for invoice in result.records("invoices"):
        lines = sum(item["row_total"] for item in invoice["items"])
        total = (
            lines
            + invoice["shipping_amount"]
            + invoice["tax_amount"]
            + invoice["shipping_tax_amount"]
            - invoice["discount_amount"]
        )
        assert total == invoice["grand_total"], invoice["increment_id"]


def test_second_run_with_final_state_emits_nothing(demo):
    first = run_sync(_config(demo))
    demo.reset_stats()

    second = run_sync(_config(demo), state=first.state)

    assert _counts(second) == dict.fromkeys(STREAMS, 0)
    by_path = demo.stats()["by_path"]
    assert by_path["/catalog-product/products"] == 1
    assert by_path["/sales/orders"] == 2  # orders + customers
    assert by_path["/sales/invoices"] == 1
    assert by_path["/sales/creditmemos"] == 1


def test_touching_two_products_emits_exactly_those_with_one_page_and_one_sort_check():
    with MyFulfillmentEmulator(dataset="scale:2000") as emu:
        first = run_sync(_config(emu))
        assert len(first.records("products")) == 2000
        # Pages of 100 overlapping by 2: offsets 0, 98, ..., 1960.
        assert emu.stats()["by_path"]["/catalog-product/products"] == 21
        skus = [p["sku"] for p in emu.store.products()[300:1501:1200]]
        for sku in skus:
            emu.store.touch_product(sku, price="19.9900")
        emu.reset_stats()

        second = run_sync(_config(emu), state=first.state)

        assert [r["sku"] for r in second.records("products")] == skus
        assert all(str(r["price"]) == "19.9900" for r in second.records("products"))
        # One page, then one record in ascending order to check the server sorts.
        assert emu.stats()["by_path"]["/catalog-product/products"] == 2
        assert emu.stats()["logins"] == 1


def test_token_expiring_mid_run_triggers_one_new_login(fresh, monkeypatch):
    # Expire every token just before the invoices stream starts reading.
    original = InvoicesStream.get_records

    def expire_then_read(self, context):
        fresh.expire_tokens()
        return original(self, context)

    monkeypatch.setattr(InvoicesStream, "get_records", expire_then_read)

    result = run_sync(_config(fresh))

    assert _counts(result)["invoices"] == len(fresh.store.invoices())
    assert fresh.stats()["logins"] == 2


@pytest.mark.parametrize("status", [400, 429, 500, 502, 503, 504])
def test_injected_faults_are_retried(fresh, status):
    fresh.inject_fault(status, path_prefix="/catalog-product", count=2)

    result = run_sync(_config(fresh))

    assert len(result.records("products")) == len(fresh.store.products())
    assert fresh.stats()["faults"] == 2


def test_rate_limited_emulator_is_waited_out_with_backoff(monkeypatch):
    # 2 requests per emulated minute, emulated time 300x faster (a window is 0.2 s):
    # login + products fill the first window, so orders is answered 400 "Too Many
    # Attempts." unless the machine takes 0.2 s for three loopback calls; the backoff
    # (0.02 s, 0.04 s, ...) then outlasts each window.
    monkeypatch.setattr(MyFulfillmentStream, "retry_base_seconds", 0.02)
    with MyFulfillmentEmulator(dataset="demo", rate_limit_per_minute=2, time_scale=300) as emu:
        result = run_sync(_config(emu))

        assert _counts(result) == {
            "products": len(emu.store.products()),
            "orders": len(emu.store.orders()),
            "customers": len(_expected_customer_keys(emu.store.orders())),
            "invoices": len(emu.store.invoices()),
            "credit_memos": len(emu.store.credit_memos()),
        }
        assert emu.stats()["rate_limited"] >= 1


def test_rate_limit_that_never_clears_fails_with_the_server_message(monkeypatch):
    monkeypatch.setattr(MyFulfillmentStream, "retry_max_tries", 3)
    with MyFulfillmentEmulator(dataset="demo", rate_limit_per_minute=1) as emu:
        with pytest.raises(RetriableAPIError, match=r"400.*Too Many Attempts"):
            run_sync(_config(emu))
        assert emu.stats()["rate_limited"] == 3


def test_wrong_password_against_the_emulator(demo):
    with pytest.raises(MyFulfillmentAuthError, match="`password`"):
        run_sync(_config(demo, password="not-it"))


def test_console_script_syncs_and_resumes_from_state(demo, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(_config(demo)))
    script = Path(sys.executable).with_name("tap-myfulfillment")

    def run(*extra: str) -> list[dict[str, t.Any]]:
        done = subprocess.run(
            [str(script), "--config", str(config), *extra],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert "demo-password" not in done.stderr
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]

    first = run()
    schemas = [m["stream"] for m in first if m["type"] == "SCHEMA"]
    # No catalog: `orders` is off by default (target-quickbooks does not take it).
    assert schemas == [name for name in STREAMS if name != "orders"]
    assert sum(m["type"] == "RECORD" for m in first) > 0
    state = tmp_path / "state.json"
    state.write_text(json.dumps(next(m for m in reversed(first) if m["type"] == "STATE")["value"]))

    second = run("--state", str(state))

    assert [m for m in second if m["type"] == "RECORD"] == []
