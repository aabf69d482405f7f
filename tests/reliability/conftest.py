"""Fixtures of the reliability tests: recorded tap output and emulators."""

from __future__ import annotations

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from reliability_kit import record_tap_messages


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The real tap's output for the demo dataset (products, customers, documents)."""
    with MyFulfillmentEmulator(dataset="demo") as mf:
        return record_tap_messages(mf.url, tmp_path_factory.mktemp("tap"))
