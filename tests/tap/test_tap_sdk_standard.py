"""singer-sdk's standard tap test suite, run against the emulator over real sockets."""

from __future__ import annotations

import typing as t

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from singer_sdk.testing import get_tap_test_class
from tap_myfulfillment.streams import STREAM_NAMES
from tap_myfulfillment.tap import TapMyFulfillment

from tests.tap.tap_fakes import only

# The suite builds its runner at import time; the module fixture below points this
# (shared, mutable) config at the emulator before the runner first syncs.
SUITE_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9/api",
    "username": "demo",
    "password": "demo-password",
}


@pytest.fixture(scope="module", autouse=True)
def emulator() -> t.Iterator[MyFulfillmentEmulator]:
    with MyFulfillmentEmulator(dataset="demo") as emu:
        SUITE_CONFIG["base_url"] = emu.url
        yield emu


StandardTapTests = get_tap_test_class(
    TapMyFulfillment,
    config=SUITE_CONFIG,
    parse_env_config=False,
    # Every stream, `orders` too (off without a catalog), so the suite covers all five.
    catalog=only(*STREAM_NAMES),
)


class TestTapMyFulfillmentStandard(StandardTapTests):
    """The SDK's tap, stream and attribute tests."""


def test_suite_config_points_at_the_emulator(emulator):
    assert SUITE_CONFIG["base_url"] == emulator.url
