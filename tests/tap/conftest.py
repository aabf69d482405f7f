"""Fixtures shared by the tap tests."""

from __future__ import annotations

import pytest
import requests_mock as rm
from tap_fakes import FakeApi
from tap_myfulfillment.client import MyFulfillmentStream


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real waiting between retries in tests."""
    monkeypatch.setattr(MyFulfillmentStream, "retry_base_seconds", 0.0)


@pytest.fixture
def api(requests_mock: rm.Mocker) -> FakeApi:
    """The fake myFulfillment API, with no data yet."""
    return FakeApi(requests_mock).install()
