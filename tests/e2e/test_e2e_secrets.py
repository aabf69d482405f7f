"""Secrets never reach logs, errors or state, even with debug logging on."""

from __future__ import annotations

import json

import pytest
from quickbooks_emulator import QuickBooksEmulator

from tests.harness import FEED_STATE_IDS, MeltanoProject

pytestmark = pytest.mark.e2e


def test_debug_run_leaks_no_secret(
    project: MeltanoProject, qbo_emulator: QuickBooksEmulator
) -> None:
    proc = project.meltano("--log-level=debug", "run", "sync-all")
    output = proc.stdout + proc.stderr
    states = json.dumps([project.state(state_id) for state_id in FEED_STATE_IDS])

    secrets = {
        "myFulfillment password": "demo-password",
        "client secret": "demo-client-secret",
        "initial refresh token": "demo-refresh-token",
        "rotated refresh token": qbo_emulator.current_refresh_token(),
    }
    secrets.update(
        {f"issued token {n}": token for n, token in enumerate(qbo_emulator.issued_tokens())}
    )
    assert len(secrets) > 4, "the run must have obtained at least one access token"
    for what, value in secrets.items():
        assert value not in output, f"{what} leaked into the logs"
        assert value not in states, f"{what} leaked into Meltano state"

    # The rotated refresh token is in the token store, and only there, mode 0600.
    store = project.token_store
    assert qbo_emulator.current_refresh_token() in store.read_text()
    assert store.stat().st_mode & 0o777 == 0o600
