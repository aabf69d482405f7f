"""Start the QuickBooks emulator as a real process and hand out public clients for it.

Why: this suite judges the emulator with clients nobody here wrote (python-quickbooks
0.9.12 and intuit-oauth 1.2.7, installed in .conformance-venv), over real sockets on
loopback, exactly as they talk to Intuit. Every expected answer in the tests cites the
public source it comes from, never the emulator's own output.

``QBO_EMULATOR_SRC`` (optional) points at another ``emulators/`` folder: run the suite
against an older emulator to see which cases failed before a fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks.client import QuickBooks

# requests-oauthlib refuses plain http; the emulator listens on loopback without TLS.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
REPO = Path(__file__).resolve().parents[2]
EMULATOR_SRC = Path(os.environ.get("QBO_EMULATOR_SRC") or REPO / "emulators")
CLIENT_ID = "conformance-client"
CLIENT_SECRET = "conformance-secret"
REDIRECT_URI = "http://localhost:8000/callback"
START_TIMEOUT = 20.0


@dataclass
class Emulator:
    """One emulator process (one company) and how to reach it."""

    url: str
    realm_id: str
    process: subprocess.Popen[str]
    clients: list[QuickBooks] = field(default_factory=list)

    @property
    def discovery_url(self) -> str:
        """The OpenID discovery document, given to ``AuthClient`` as its environment."""
        return self.url + "/.well-known/openid_configuration"

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the emulator's test controls (only to set up a case, never to judge it)."""
        response = requests.request(method, f"{self.url}/_emulator/{path}",
                                    data=json.dumps(body or {}), timeout=10)
        response.raise_for_status()
        return response.json()

    def refresh_token(self) -> str:
        """The newest refresh token (rotation made the previous ones useless)."""
        return str(self.admin("GET", "refresh-token")["refresh_token"])

    def auth_client(self) -> AuthClient:
        """intuit-oauth's client, pointed at this emulator's discovery document."""
        return AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, self.discovery_url)

    def qb(self) -> QuickBooks:
        """A python-quickbooks client with a fresh access token (one refresh)."""
        client = QuickBooks(auth_client=self.auth_client(), refresh_token=self.refresh_token(),
                            company_id=self.realm_id, minorversion=75)
        client.api_url_v3 = self.url + "/v3"
        return client


def _start(*args: str) -> Emulator:
    realm = "9130350000000001"  # one company per process
    command = [sys.executable, "-m", "quickbooks_emulator", "--host", "127.0.0.1",
               "--port", "0", "--realm-id", realm, "--client-id", CLIENT_ID,
               "--client-secret", CLIENT_SECRET, "--initial-refresh-token", "RT-conformance",
               "--per-minute", "none", "--per-second", "none", "--batch-per-minute", "none",
               "--max-concurrent", "none", *args]
    env = {**os.environ, "PYTHONPATH": str(EMULATOR_SRC)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline()  # "QuickBooks emulator listening on http://..."
    if " listening on " not in line:
        process.kill()
        _, err = process.communicate(timeout=START_TIMEOUT)
        raise RuntimeError(f"emulator did not start ({command}): {line}{err}")
    return Emulator(line.rsplit(" ", 1)[1].strip(), realm, process)


def _stop(emulator: Emulator) -> None:
    emulator.process.terminate()
    try:
        emulator.process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        emulator.process.kill()


@pytest.fixture(scope="session")
def us_company() -> Iterator[Emulator]:
    """A US company, like the sandboxes python-quickbooks' integration tests run on."""
    emulator = _start("--country", "US")
    yield emulator
    _stop(emulator)


@pytest.fixture(scope="session")
def fr_company() -> Iterator[Emulator]:
    """A French company with its defaults (so: answering in French)."""
    emulator = _start("--country", "FR")
    yield emulator
    _stop(emulator)


@pytest.fixture(scope="session")
def multicurrency_company() -> Iterator[Emulator]:
    """A French company with multicurrency turned on."""
    emulator = _start("--country", "FR", "--multicurrency")
    yield emulator
    _stop(emulator)


@pytest.fixture(scope="session")
def us_qb(us_company: Emulator) -> QuickBooks:
    """One python-quickbooks client on the US company."""
    return us_company.qb()


@pytest.fixture(scope="session")
def fr_qb(fr_company: Emulator) -> QuickBooks:
    """One python-quickbooks client on the French company."""
    return fr_company.qb()


@pytest.fixture
def unique() -> str:
    """A name no other case uses (cases share one company per session)."""
    return uuid.uuid4().hex[:10]
