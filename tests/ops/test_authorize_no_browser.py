"""`authorize --no-browser` on a headless server: print the URL, paste back the redirect."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from quickbooks_emulator import QuickBooksEmulator

REALM = "9130350000000001"
ADMIN = str(Path(sys.executable).parent / "target-quickbooks-admin")


@pytest.fixture
def qbo() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator() as emu:
        yield emu


def _config(qbo: QuickBooksEmulator, tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({
        "client_id": "demo-client-id", "client_secret": "demo-client-secret",
        "oauth_discovery_url": qbo.discovery_url, "api_url": qbo.api_url,
        "token_store_path": str(tmp_path / "tokens.json"),
    }))
    return path


def _start(config: Path, redirect: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ADMIN, "authorize", "--config", str(config), "--no-browser",
         "--redirect-uri", redirect, "--timeout", "30"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _consent_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    proc.stdout.readline()  # "Open this URL ..."
    return proc.stdout.readline().strip()


def test_pasted_redirect_url_authorizes_without_any_local_listener(
    qbo: QuickBooksEmulator, tmp_path: Path
) -> None:
    # A production app's redirect URI: https, not on this machine, nothing listens.
    redirect = "https://books.example.com/quickbooks/callback"
    proc = _start(_config(qbo, tmp_path), redirect)
    consent = _consent_url(proc)
    assert consent.startswith(qbo.url)
    # The operator's browser, elsewhere: Intuit's consent page redirects it.
    answer = requests.get(consent, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    landed = answer.headers["Location"]
    assert landed.startswith(redirect + "?")
    # Read the prompt through the same buffered reader as the URL: communicate() reads
    # the pipe's descriptor, so a line already buffered by readline() would not reach it.
    assert proc.stdout is not None
    assert "paste here the URL" in proc.stdout.readline()
    out, err = proc.communicate(f"\n{landed}\n", timeout=30)
    assert proc.returncode == 0, err
    assert f"realm_id: {REALM}" in out
    stored = json.loads((tmp_path / "tokens.json").read_text())["realms"][REALM]
    assert stored["refresh_token"] == qbo.current_refresh_token()
    assert stored["refresh_token"] not in out + err


def test_pasted_url_with_another_state_is_refused(qbo: QuickBooksEmulator, tmp_path: Path) -> None:
    redirect = "https://books.example.com/quickbooks/callback"
    proc = _start(_config(qbo, tmp_path), redirect)
    consent = _consent_url(proc)
    landed = requests.get(consent, allow_redirects=False, timeout=10).headers["Location"]
    forged = landed.replace("state=", "state=x")
    _out, err = proc.communicate(forged + "\n", timeout=30)
    assert proc.returncode == 1
    assert "state does not match" in err
    assert not (tmp_path / "tokens.json").exists()


def test_pasted_denial_names_intuits_error(qbo: QuickBooksEmulator, tmp_path: Path) -> None:
    redirect = "https://books.example.com/quickbooks/callback"
    proc = _start(_config(qbo, tmp_path), redirect)
    consent = _consent_url(proc)
    state = consent.split("state=")[1].split("&")[0]
    _out, err = proc.communicate(f"{redirect}?error=access_denied&state={state}\n", timeout=30)
    assert proc.returncode == 1
    assert "access_denied" in err
