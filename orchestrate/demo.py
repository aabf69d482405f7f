"""`make demo`: the whole pipeline, end to end, on the bundled emulators.

Starts both emulators as real processes on free loopback ports, checks the
QuickBooks connection, runs every feed in dependency order through real
`meltano run`, prints the report, then changes the source and runs the hourly
and daily product feeds to show that only the changes flow. The emulators are
stopped at the end, even on failure. State lives in `.demo/` and is wiped at
start, because the emulators start from their seed data every time.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import PROJECT_ROOT, VENV_BIN, MeltanoProject

DEMO_DIR = PROJECT_ROOT / ".demo"
#: How to see the report and the state again (the README's "demo-again" block).
AGAIN = """To see this report and the feeds' state again (from the repository's root):
  source .venv/bin/activate
  export MELTANO_DATABASE_URI=sqlite:///$PWD/.demo/meltano.db
  meltano invoke target-quickbooks:report
  meltano state list
  meltano state get dev:tap-myfulfillment--invoices-to-target-quickbooks"""
FEEDS = ["create-products", "update-products", "export-customers", "export-invoices",
         "export-credit-memos"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(stack: ExitStack, command: list[str], log: Path) -> subprocess.Popen[str]:
    """Start an emulator process and wait for its 'listening on' line."""
    out = log.open("w")
    stack.callback(out.close)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=out, text=True)

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    stack.callback(stop)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        msg = f"{command[0]} did not start; see {log}"
        raise RuntimeError(msg)
    return proc


def _admin(url: str, path: str, payload: dict | None = None) -> dict:
    """Call an emulator's admin endpoint: GET without a payload, POST with one."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback emulator
        url + path, data=data, method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
    return json.loads(body) if body else {}


def _banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def _show(proc: subprocess.CompletedProcess[str]) -> None:
    print(proc.stdout, end="", flush=True)


def main() -> int:
    """Run the demo; return the process exit code."""
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    mf_port, qbo_port = _free_port(), _free_port()
    mf_root = f"http://127.0.0.1:{mf_port}"
    qbo_root = f"http://127.0.0.1:{qbo_port}"
    with ExitStack() as stack:
        _banner("Starting the emulators")
        _start(stack, [str(VENV_BIN / "myfulfillment-emulator"), "--port", str(mf_port)],
               DEMO_DIR / "myfulfillment-emulator.log")
        _start(stack, [str(VENV_BIN / "quickbooks-emulator"), "--port", str(qbo_port),
                       "--dataset", "demo"],
               DEMO_DIR / "quickbooks-emulator.log")
        print(f"myFulfillment: {mf_root}/api   QuickBooks: {qbo_root}/v3")
        project = MeltanoProject(
            workdir=DEMO_DIR,
            mf_url=f"{mf_root}/api",
            qbo_api_url=f"{qbo_root}/v3",
            qbo_discovery_url=f"{qbo_root}/.well-known/openid_configuration",
        )

        _banner("meltano invoke target-quickbooks:check")
        _show(project.meltano("invoke", "target-quickbooks:check"))

        for feed in FEEDS:
            _banner(f"meltano run {feed}")
            started = time.monotonic()
            project.run(feed)
            print(f"{feed}: done in {time.monotonic() - started:.1f} s")

        _banner("What QuickBooks now holds (emulator)")
        for entity in ["Item", "Customer", "Invoice", "CreditMemo", "RefundReceipt"]:
            rows = _admin(qbo_root, f"/_emulator/entities/{entity}")
            print(f"{entity:<11} {len(rows)}")

        _banner("meltano invoke target-quickbooks:report")
        _show(project.meltano("invoke", "target-quickbooks:report"))

        _banner("A change in myFulfillment: 2 prices change, 1 new product")
        _admin(mf_root, "/_emulator/products/1005266-1005727", {"price": "24.9000"})
        _admin(mf_root, "/_emulator/products/FEEL-A1-POD3", {"price": "11.5000"})
        _admin(mf_root, "/_emulator/products", {
            "sku": "DEMO-NEW-1", "name": "Coffret découverte ’Ω’", "type": "virtual",
            "price": "19.9000", "cost": "7.0000", "qty": "0.0000", "status": "1",
        })
        _admin(mf_root, "/_emulator/reset-stats", {})
        _admin(qbo_root, "/_emulator/reset-stats", {})

        _banner("meltano run create-products (hourly)  +  update-products (daily)")
        project.run("create-products")
        project.run("update-products")
        products = _admin(mf_root, "/_emulator/stats")
        writes = _admin(qbo_root, "/_emulator/stats")
        print("myFulfillment list requests:", json.dumps(products.get("by_path", products)))
        print("QuickBooks requests:", json.dumps(writes.get("by_kind", writes)))

        _banner("meltano invoke target-quickbooks:report")
        _show(project.meltano("invoke", "target-quickbooks:report"))
    _banner("Emulators stopped; demo state kept in .demo/")
    print(AGAIN, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
