"""The QuickBooks emulator without its limits, and the JSON API client most emulator tests use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from quickbooks_emulator import QuickBooksEmulator

from tests.emulators.test_quickbooks_emulator_company import Api


@pytest.fixture
def qbo() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator(per_minute=None, per_second=None, batch_per_minute=None,
                            max_concurrent=None) as emulator:
        yield emulator


@pytest.fixture
def api(qbo: QuickBooksEmulator) -> Api:
    return Api(qbo)
