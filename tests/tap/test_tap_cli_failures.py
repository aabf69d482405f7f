"""A tap that cannot log in or reach the server ends with the cause and the fix.

Each case runs the tap's command line as a user would, against the myFulfillment
emulator (its real 401 and 404 answers) or a port where nothing listens, and
checks the last line of stderr: it names the cause and the setting to fix, and
no traceback is printed. Connection failures are retried first (8 tries by
default, about a minute); those cases run the same CLI with no wait between
tries, through a two-line launcher.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import requests
from myfulfillment_emulator import MyFulfillmentEmulator
from tap_fakes import BASE_URL, run_sync
from tap_myfulfillment.errors import BaseUrlError
from tap_myfulfillment.failures import explain

TAP_EXE = str(Path(sys.executable).parent / "tap-myfulfillment")
#: The tap's CLI without waits between retries (the retry count stays the default).
FAST_CLI = (
    "import sys; from tap_myfulfillment.client import MyFulfillmentStream as S; "
    "S.retry_base_seconds = 0.0; from tap_myfulfillment.tap import TapMyFulfillment as T; "
    "T.cli()"
)


@pytest.fixture(scope="module")
def emulator() -> t.Iterator[MyFulfillmentEmulator]:
    with MyFulfillmentEmulator(dataset="demo") as emu:
        yield emu


def run_cli(tmp_path: Path, config: dict[str, t.Any], *, fast: bool = False
            ) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    command = [sys.executable, "-c", FAST_CLI] if fast else [TAP_EXE]
    return subprocess.run([*command, "--config", str(path)], capture_output=True, text=True,
                          timeout=120, check=False)


def last_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert '"RECORD"' not in proc.stdout
    return proc.stderr.rstrip("\n").splitlines()[-1]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_wrong_password_names_the_credentials_and_the_fix(
    emulator: MyFulfillmentEmulator, tmp_path: Path
) -> None:
    proc = run_cli(tmp_path, {"base_url": emulator.url, "username": "demo",
                              "password": "not-the-password"})

    line = last_line(proc)
    assert line.startswith("Error: tap-myfulfillment stopped: myFulfillment refused the login "
                           "of user 'demo' (HTTP 401: Invalid credentials.)"), line
    assert "wrong username or password" in line
    assert "Fix: check the `username` and `password` settings" in line
    assert "meltano config set tap-myfulfillment password" in line
    assert "not-the-password" not in proc.stderr


def test_base_url_without_api_names_the_right_value(
    emulator: MyFulfillmentEmulator, tmp_path: Path
) -> None:
    root = emulator.url.removesuffix("/api")
    proc = run_cli(tmp_path, {"base_url": root, "username": "demo",
                              "password": "demo-password"})

    line = last_line(proc)
    assert f"`base_url` {root} is not the myFulfillment API root" in line, line
    assert "answered HTTP 404 (The route auth/token could not be found.)" in line
    assert f"probably {root}/api" in line
    assert f"meltano config set tap-myfulfillment base_url {root}/api" in line


def test_connection_refused_names_host_port_and_fix(tmp_path: Path) -> None:
    port = closed_port()
    proc = run_cli(tmp_path, {"base_url": f"http://127.0.0.1:{port}/api", "username": "demo",
                              "password": "demo-password"}, fast=True)

    line = last_line(proc)
    assert line == (
        f"Error: tap-myfulfillment stopped: cannot reach myFulfillment at "
        f"http://127.0.0.1:{port}: connection refused, nothing listens on 127.0.0.1 port "
        f"{port}, after 8 tries. Fix: check the host and port in `base_url`, and that the "
        "server is up"
    )


def test_unknown_host_names_dns_and_fix(tmp_path: Path) -> None:
    # ``.invalid`` never resolves (RFC 6761), with or without a network.
    proc = run_cli(tmp_path, {"base_url": "http://myfulfillment.invalid/api",
                              "username": "demo", "password": "demo-password"}, fast=True)

    line = last_line(proc)
    assert "cannot reach myFulfillment at http://myfulfillment.invalid" in line, line
    assert "the host name 'myfulfillment.invalid' cannot be resolved (DNS)" in line
    assert "Fix: check the host in `base_url`" in line


def test_debug_log_level_still_shows_the_traceback(
    emulator: MyFulfillmentEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAP_MYFULFILLMENT_LOGLEVEL", "debug")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"base_url": emulator.url, "username": "demo",
                                "password": "wrong"}))
    proc = subprocess.run([TAP_EXE, "--config", str(path)], capture_output=True, text=True,
                          timeout=120, check=False)

    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1].startswith("Error: tap-myfulfillment stopped")


def test_a_web_page_at_the_login_path_is_a_base_url_error(api: t.Any, requests_mock: t.Any
                                                          ) -> None:
    # Without /api a real server's login path can redirect to the web application's page.
    requests_mock.post(f"{BASE_URL}/auth/token", status_code=200,
                       headers={"Content-Type": "text/html; charset=UTF-8"},
                       text="<!DOCTYPE html><html><body>Login</body></html>")

    with pytest.raises(BaseUrlError) as info:
        run_sync()

    message = str(info.value)
    assert "answered a web page (HTML)" in message
    assert "ending in /api" in message


def test_an_error_nobody_can_fix_by_settings_keeps_its_traceback() -> None:
    assert explain(TypeError("a bug"), tries=8) is None
    assert explain(KeyError("x"), tries=8) is None


def test_urls_in_messages_never_carry_credentials() -> None:
    error = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused"))
    error.request = requests.Request("GET", "http://user:secret@127.0.0.1:9/api/x").prepare()

    message = explain(error, tries=1) or ""

    assert "secret" not in message
    assert "connection refused" in message


def test_a_closed_output_ends_the_tap_quietly(emulator: MyFulfillmentEmulator,
                                              tmp_path: Path) -> None:
    # The reader (a target that stopped) goes away after the first bytes.
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"base_url": emulator.url, "username": "demo",
                                "password": "demo-password"}))
    tap = subprocess.Popen([TAP_EXE, "--config", str(path)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    assert tap.stdout is not None
    tap.stdout.read(100)
    tap.stdout.close()
    _, err = tap.communicate(timeout=120)

    assert tap.returncode == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err, err[-3000:]
    assert err.rstrip().splitlines()[-1] == (
        "tap-myfulfillment stopped: its output was closed (the target stopped first). "
        "Nothing is lost: the next run reads again from the bookmarks the target saved.")
