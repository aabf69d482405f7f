"""`authorize` tells the browser the outcome only after Intuit accepted (or refused) the code.

Against the QuickBooks emulator's OAuth server, over real sockets: the consent
page redirects to the command's loopback port; the page answered there says
whether the company is connected, and with a wrong client secret it says the
exchange failed, as the terminal does, with the cause (invalid_client) and the fix.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from quickbooks_emulator import QuickBooksEmulator

REALM = "9130350000000001"
ADMIN = str(Path(sys.executable).parent / "target-quickbooks-admin")
WRONG_SECRET = "not-the-apps-secret-0000"


@pytest.fixture
def qbo() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator() as emu:
        yield emu


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(qbo: QuickBooksEmulator, tmp_path: Path, secret: str,
           redirect: str) -> subprocess.Popen[str]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "client_id": "demo-client-id", "client_secret": secret,
        "oauth_discovery_url": qbo.discovery_url, "api_url": qbo.api_url,
        "token_store_path": str(tmp_path / "tokens.json"),
    }))
    return subprocess.Popen(
        [ADMIN, "authorize", "--config", str(config), "--no-browser",
         "--redirect-uri", redirect, "--timeout", "30"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _browser(proc: subprocess.Popen[str]) -> requests.Response:
    """The operator's browser: consent page, then Intuit's redirect to the loopback port."""
    assert proc.stdout is not None
    proc.stdout.readline()  # "Open this URL ..."
    consent = proc.stdout.readline().strip()
    answer = requests.get(consent, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return requests.get(answer.headers["Location"], timeout=30)


def test_the_page_says_connected_once_the_tokens_are_stored(
    qbo: QuickBooksEmulator, tmp_path: Path
) -> None:
    proc = _start(qbo, tmp_path, "demo-client-secret", f"http://localhost:{_free_port()}/cb")
    page = _browser(proc)
    # Answered after the exchange: the token is already in the store.
    assert (tmp_path / "tokens.json").exists()
    assert page.status_code == 200
    assert "QuickBooks connected" in page.text and REALM in page.text
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"QuickBooks company {REALM} connected." in out
    stored = json.loads((tmp_path / "tokens.json").read_text())["realms"][REALM]
    assert stored["refresh_token"] not in out + err + page.text


def test_a_wrong_client_secret_fails_on_the_page_and_in_the_terminal(
    qbo: QuickBooksEmulator, tmp_path: Path
) -> None:
    proc = _start(qbo, tmp_path, WRONG_SECRET, f"http://localhost:{_free_port()}/cb")
    page = _browser(proc)
    assert page.status_code == 400
    assert "QuickBooks authorization failed" in page.text
    assert "invalid_client" in page.text and "client_secret" in page.text
    assert "received" not in page.text
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    last = err.strip().splitlines()[-1]
    assert "authorization failed" in last and "invalid_client" in last
    assert "Fix:" in last and "meltano config set target-quickbooks client_secret" in last
    assert WRONG_SECRET not in out + err + page.text
    assert not (tmp_path / "tokens.json").exists()


def test_a_pasted_redirect_with_a_wrong_secret_names_the_cause_and_the_fix(
    qbo: QuickBooksEmulator, tmp_path: Path
) -> None:
    redirect = "https://books.example.com/quickbooks/callback"
    proc = _start(qbo, tmp_path, WRONG_SECRET, redirect)
    assert proc.stdout is not None
    proc.stdout.readline()
    consent = proc.stdout.readline().strip()
    landed = requests.get(consent, allow_redirects=False, timeout=10).headers["Location"]
    assert "paste here the URL" in proc.stdout.readline()
    _out, err = proc.communicate(landed + "\n", timeout=30)
    assert proc.returncode == 1
    assert "invalid_client" in err and "Keys & credentials" in err
    assert WRONG_SECRET not in err
