"""Fixtures for end-to-end runs: both emulators in-process, the real Meltano project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator

from tests.harness import MeltanoProject


@pytest.fixture
def mf_emulator() -> Iterator[MyFulfillmentEmulator]:
    emu = MyFulfillmentEmulator(dataset="demo").start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def qbo_emulator() -> Iterator[QuickBooksEmulator]:
    # The demo company: a customer the accountant made inactive buys again in the shop.
    emu = QuickBooksEmulator(dataset="demo").start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def project(
    tmp_path: Path, mf_emulator: MyFulfillmentEmulator, qbo_emulator: QuickBooksEmulator
) -> MeltanoProject:
    return MeltanoProject(
        workdir=tmp_path,
        mf_url=mf_emulator.url,
        qbo_api_url=qbo_emulator.api_url,
        qbo_discovery_url=qbo_emulator.discovery_url,
    )
