"""Without a catalog the tap emits exactly the streams target-quickbooks writes."""

from __future__ import annotations

import typing as t

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from tap_myfulfillment.tap import TapMyFulfillment

from tests.tap.tap_fakes import CONFIG, run_sync

#: What target-quickbooks accepts (it refuses any other stream).
TARGET_STREAMS = ["products", "customers", "invoices", "credit_memos"]


@pytest.fixture
def demo() -> t.Iterator[MyFulfillmentEmulator]:
    with MyFulfillmentEmulator(dataset="demo") as emu:
        yield emu


def test_no_catalog_emits_only_what_the_target_writes(demo: MyFulfillmentEmulator) -> None:
    config = {"base_url": demo.url, "username": "demo", "password": "demo-password"}
    result = run_sync(config, no_catalog=True)
    assert result.stream_order() == TARGET_STREAMS


def test_discovery_marks_orders_off_by_default_and_a_catalog_can_select_it() -> None:
    catalog = TapMyFulfillment(config=CONFIG, parse_env_config=False).catalog_dict
    roots = {entry["tap_stream_id"]: next(m["metadata"] for m in entry["metadata"]
                                         if m["breadcrumb"] == [])
             for entry in catalog["streams"]}
    assert roots["orders"]["selected-by-default"] is False
    assert all(roots[name]["selected-by-default"] is True for name in TARGET_STREAMS)
