"""Every documented shell block, run as written against the emulators.

Each block marked ``<!-- doc-test: <id> -->`` in the documents (see
tests/docs/doc_blocks.py) is run here by the runner of that id, with bash
(``-e -o pipefail``: any failing command fails the test), in a throwaway copy
of the Meltano project whose installed plugins are the repository's. The
emulators stand in for both services through the plugins' namespace
environment variables (URLs and secrets), which win over what a block writes
with ``meltano config set``; every other value (accounts, tax codes, ...) is
the block's own, so a documented recipe that QuickBooks would refuse fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator

from tests.docs.doc_blocks import DocBlock, block
from tests.e2e.reuse_project import reuse_jsonl
from tests.harness import PROJECT_ROOT, VENV_BIN, bookable_invoices, memos_by_entity

pytestmark = pytest.mark.e2e

REALM = "9130350000000001"

#: The target settings the dev environment gives (meltano.yml), for the plain pipe.
TARGET_SETTINGS = {
    "client_id": "demo-client-id", "client_secret": "demo-client-secret",
    "refresh_token": "demo-refresh-token", "realm_id": REALM,
    "income_account": "Sales of Product Income", "service_income_account": "Services",
    "expense_account": "Cost of Goods Sold", "asset_account": "Inventory Asset",
    "discount_account": "Discounts given",
    "tax_code_map": {"20": "3", "10": "4", "5.5": "5", "0": "6"}, "tax_code": "6",
}


@dataclass
class Doc:
    """A throwaway Meltano project wired to the emulators."""

    root: Path
    env: dict[str, str]
    mf: MyFulfillmentEmulator
    qbo: QuickBooksEmulator

    def run(self, doc_block: DocBlock, *, check: bool = True,
            timeout: float = 420) -> subprocess.CompletedProcess[str]:
        """Run a block as written; raise with its output when a command fails."""
        # Files, not pipes: a process the block leaves in the background (an
        # emulator) would hold a pipe open after the block is done.
        out_path, err_path = self.root / ".block.out", self.root / ".block.err"
        with out_path.open("w") as out_file, err_path.open("w") as err_file:
            proc = subprocess.Popen(
                ["bash", "-e", "-o", "pipefail", "-c", doc_block.text], cwd=self.root,
                env=self.env, stdin=subprocess.DEVNULL, stdout=out_file, stderr=err_file,
                text=True, start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            finally:
                _kill_group(proc)
        out, err = out_path.read_text(), err_path.read_text()
        if check and proc.returncode != 0:
            msg = (f"{doc_block.where} exited {proc.returncode}\n--- block ---\n{doc_block.text}"
                   f"--- stdout ---\n{out[-6000:]}\n--- stderr ---\n{err[-12000:]}")
            raise AssertionError(msg)
        return subprocess.CompletedProcess(doc_block.text, proc.returncode or 0, out, err)

    def meltano(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(VENV_BIN / "meltano"), *args], cwd=self.root,
                              env={**self.env, **env}, capture_output=True, text=True,
                              check=True, timeout=420)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Stop whatever the block left running in the background (an emulator)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def _copy_project(root: Path) -> None:
    """The Meltano project, with the plugins this checkout installed (`make install`)."""
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "meltano.yml", root / "meltano.yml")
    shutil.copytree(PROJECT_ROOT / "plugins", root / "plugins")
    shutil.copytree(PROJECT_ROOT / "orchestrate" / "cron", root / "orchestrate" / "cron")
    for name in ("tap-myfulfillment", "target-quickbooks", "emulators", ".venv"):
        (root / name).symlink_to(PROJECT_ROOT / name)
    (root / ".meltano").mkdir()
    for kind in ("extractors", "loaders"):
        (root / ".meltano" / kind).symlink_to(PROJECT_ROOT / ".meltano" / kind)


@pytest.fixture
def doc(tmp_path: Path, mf_emulator: MyFulfillmentEmulator,
        qbo_emulator: QuickBooksEmulator) -> Doc:
    root = tmp_path / "project"
    _copy_project(root)
    env = dict(os.environ)
    for name in [k for k in env if k.startswith(("TAP_MYFULFILLMENT_", "TARGET_QUICKBOOKS_"))]:
        del env[name]
    env.update({
        "MELTANO_ENVIRONMENT": "dev",
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "TAP_MYFULFILLMENT_BASE_URL": mf_emulator.url,
        "TARGET_QUICKBOOKS_API_URL": qbo_emulator.api_url,
        "TARGET_QUICKBOOKS_OAUTH_DISCOVERY_URL": qbo_emulator.discovery_url,
        "TARGET_QUICKBOOKS_TOKEN_STORE_PATH": str(tmp_path / "secrets" / "tokens.json"),
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    })
    return Doc(root, env, mf_emulator, qbo_emulator)


RUNNERS: dict[str, Callable[[Doc], None]] = {}


def runs(test_id: str) -> Callable[[Callable[[Doc], None]], Callable[[Doc], None]]:
    def register(fn: Callable[[Doc], None]) -> Callable[[Doc], None]:
        RUNNERS[test_id] = fn
        return fn
    return register


def _count(doc: Doc, entity: str) -> int:
    return len(doc.qbo.entities(entity))


def _all_invoices_booked(doc: Doc) -> None:
    assert _count(doc, "Invoice") == len(bookable_invoices(doc.mf))


def _all_memos_booked(doc: Doc) -> None:
    """Credit memos of paid invoices are RefundReceipts, the others CreditMemos."""
    expected = memos_by_entity(doc.mf)
    assert expected["RefundReceipt"]  # the demo's memos refund paid invoices
    for entity, memos in expected.items():
        assert _count(doc, entity) == len(memos), entity


# docs/reconcile.md


@runs("reconcile")
def _reconcile(doc: Doc) -> None:
    doc.meltano("run", "sync-all")
    result = doc.run(block("reconcile"))
    # First the text report (its verdict first), then JSON into the configured file.
    assert "RECONCILE: all matches" in result.stderr + result.stdout
    report = json.loads((doc.root / "output" / "reconcile.json").read_text())
    assert report["differences"] == []
    assert report["documents_source"] == len(doc.mf.store.invoices()) + len(
        doc.mf.store.credit_memos())


# README.md


@runs("feeds")
def _feeds(doc: Doc) -> None:
    result = doc.run(block("feeds"))
    assert "All checks passed." in result.stdout
    assert "create-products-hourly" in result.stdout
    assert _count(doc, "Item") >= len(doc.mf.store.products())


@runs("demo-again")
def _demo_again(doc: Doc) -> None:
    # What `make demo` leaves behind: feeds run with their state in .demo/meltano.db.
    demo_db = f"sqlite:///{doc.root / '.demo' / 'meltano.db'}"
    (doc.root / ".demo").mkdir()
    doc.meltano("run", "export-invoices", MELTANO_DATABASE_URI=demo_db)
    # A newcomer's shell after `make demo`: no meltano on the PATH until the block says so.
    doc.env["PATH"] = doc.env["PATH"].replace(f"{VENV_BIN}{os.pathsep}", "", 1)
    demo_block = block("demo-again")
    result = doc.run(demo_block)
    assert result.stdout.startswith("Summary")
    assert re.search(r"^export-invoices\s+20\d\d-", result.stdout, re.MULTILINE)
    assert "dev:tap-myfulfillment--invoices-to-target-quickbooks" in result.stdout
    assert '"target-quickbooks"' in result.stdout  # the feed's state, with the target's part
    # The demo prints the same commands at its end.
    demo = (PROJECT_ROOT / "orchestrate" / "demo.py").read_text()
    assert all(line in demo for line in demo_block.text.strip().splitlines())


@runs("report-filters")
def _report_filters(doc: Doc) -> None:
    doc.meltano("run", "create-products")
    doc.mf.store.touch_product("FEEL-A1-POD3", price="11.5000")
    doc.meltano("run", "update-products")
    result = doc.run(block("report-filters"))
    out = result.stdout
    assert out.count("Summary") == 2
    assert "Environment: QuickBooks sandbox, realm " + REALM in out
    assert "Filters: --status deferred,rejected" in out
    assert "Filters: --sku FEEL-* --feed update-products" in out
    filtered = out.split("Filters: --sku FEEL-* --feed update-products", 1)[1]
    rows = [line.split() for line in filtered.split("Last run per stream")[0].splitlines()
            if line.startswith("FEEL-")]
    assert ["FEEL-A1-POD3", "updated", "update-products"] == [rows[0][0], *rows[0][2:4]]
    assert all(row[3] == "update-products" for row in rows)
    report = json.loads((doc.root / "report.json").read_text())
    skus = {product["sku"].removesuffix("_deleted") for product in doc.mf.store.products()}
    assert {row["sku"] for row in report["products"]} == skus
    assert {row["feed"] for row in report["products"]} == {"create-products", "update-products"}


@runs("real-configuration")
def _real_configuration(doc: Doc) -> None:
    # The placeholders ('...', ABC..., 9130...) stand for the real values; the
    # namespace env vars below give the emulators' and win over them.
    browser = doc.root / "browser.sh"
    # The "browser": follows Intuit's consent redirect to authorize's loopback port.
    browser.write_text(f"#!/bin/sh\n{VENV_BIN}/python -c "
                       "'import requests, sys; requests.get(sys.argv[1], timeout=30)' \"$1\"\n")
    browser.chmod(0o755)
    doc.env.update({
        "BROWSER": str(browser),
        "TAP_MYFULFILLMENT_USERNAME": "demo", "TAP_MYFULFILLMENT_PASSWORD": "demo-password",
        "TARGET_QUICKBOOKS_CLIENT_ID": "demo-client-id",
        "TARGET_QUICKBOOKS_CLIENT_SECRET": "demo-client-secret",
        "TARGET_QUICKBOOKS_REALM_ID": REALM,
    })
    result = doc.run(block("real-configuration"))
    assert f"realm_id: {REALM}" in result.stdout + result.stderr
    assert "All checks passed." in result.stdout
    _all_invoices_booked(doc)
    _all_memos_booked(doc)
    env_file = (doc.root / ".env").read_text()
    assert "TAP_MYFULFILLMENT_PASSWORD=" in env_file  # the secret went to .env
    assert "TARGET_QUICKBOOKS_CLIENT_SECRET=" in env_file
    written = (doc.root / "meltano.yml").read_text()
    original = (PROJECT_ROOT / "meltano.yml").read_text()
    assert written.count("password:") == original.count("password:")  # not in meltano.yml


@runs("dry-run")
def _dry_run(doc: Doc) -> None:
    before = {e: _count(doc, e) for e in ("Item", "Customer", "Invoice", "CreditMemo",
                                          "RefundReceipt")}
    result = doc.run(block("dry-run"))
    log = result.stdout + result.stderr
    assert log.count("DRY RUN: nothing written") >= 5  # the four feeds of sync-all, then one
    assert {e: _count(doc, e) for e in before} == before
    assert "what a real run would write" in log
    # Each write is named: items by SKU and Name, invoices by DocNumber.
    sku = doc.mf.store.products()[0]["sku"].removesuffix("_deleted")
    assert re.search(rf"Item\s+{re.escape(sku)}\s+\S.*\screate", log), sku
    assert re.search(r"Customer\s+\S+\s+\S.*\screate", log)
    # No customer was created, so a first sync's invoices would wait for them.
    assert "Deferred invoices record" in log
    # Turned off again: a real run writes.
    assert "dry_run: false" in (doc.root / "meltano.yml").read_text()


@runs("cron")
def _cron(doc: Doc) -> None:
    doc.run(block("cron"))
    assert _count(doc, "Customer") > 0
    assert (doc.root / ".meltano" / "run" / "feed-locks" / "export-customers.lock").exists()


@runs("singer-pipe")
def _singer_pipe(doc: Doc) -> None:
    (doc.root / "tap.json").write_text(json.dumps(
        {"base_url": doc.mf.url, "username": "demo", "password": "demo-password"}))
    (doc.root / "target.json").write_text(json.dumps(
        {**TARGET_SETTINGS, "api_url": doc.qbo.api_url,
         "oauth_discovery_url": doc.qbo.discovery_url,
         "token_store_path": str(doc.root / "tokens.json")}))
    doc.run(block("singer-pipe"))
    skus = {item["Sku"] for item in doc.qbo.entities("Item") if item.get("Sku")}
    # A deleted product (<sku>_deleted) is its SKU's one item, made inactive.
    assert skus == {product["sku"].removesuffix("_deleted") for product in doc.mf.store.products()}
    _all_invoices_booked(doc)
    _all_memos_booked(doc)
    state = json.loads((doc.root / "state.json").read_text().splitlines()[-1])
    assert state["bookmarks"]["target-quickbooks"]


# docs/go-live.md


@runs("authorize-no-browser")
def _authorize_no_browser(doc: Doc) -> None:
    doc.env["MELTANO_ENVIRONMENT"] = "prod"
    doc.env.update({"TARGET_QUICKBOOKS_CLIENT_ID": "demo-client-id",
                    "TARGET_QUICKBOOKS_CLIENT_SECRET": "demo-client-secret"})
    proc = subprocess.Popen(
        ["bash", "-e", "-o", "pipefail", "-c", block("authorize-no-browser").text],
        cwd=doc.root, env=doc.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        consent = ""
        for line in proc.stdout:
            if line.startswith(doc.qbo.url):
                consent = line.strip()
                break
        assert consent, "authorize printed no consent URL"
        # The operator's browser, on another machine: it lands on the redirect URI.
        landed = requests.get(consent, allow_redirects=False, timeout=10).headers["Location"]
        assert landed.startswith("https://books.example.com/quickbooks/callback?")
        out, err = proc.communicate(landed + "\n", timeout=120)
    finally:
        _kill_group(proc)
    assert proc.returncode == 0, err
    assert f"realm_id: {REALM}" in out
    assert json.loads(Path(doc.env["TARGET_QUICKBOOKS_TOKEN_STORE_PATH"]).read_text())["realms"]


# tap-myfulfillment/README.md


@runs("tap-about")
def _tap_about(doc: Doc) -> None:
    result = doc.run(block("tap-about"))
    assert "tap-myfulfillment" in result.stdout


@runs("tap-catalog-state")
def _tap_catalog_state(doc: Doc) -> None:
    (doc.root / "config.json").write_text(json.dumps(
        {"base_url": doc.mf.url, "username": "demo", "password": "demo-password"}))
    result = doc.run(block("tap-catalog-state"))
    records = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert not [m for m in records if m["type"] == "RECORD"]  # the state says all was read
    first = (doc.root / "out.singer").read_text().splitlines()
    assert sum('"type":"RECORD"' in x.replace(" ", "") for x in first) > 0


@runs("tap-emulator")
def _tap_emulator(doc: Doc) -> None:
    doc.run(block("tap-emulator"))
    streams = {json.loads(x)["stream"] for x in (doc.root / "out.singer").read_text().splitlines()
               if '"SCHEMA"' in x}
    assert streams == {"products", "customers", "invoices", "credit_memos"}


# target-quickbooks/README.md: a new Meltano project adds the target from plugin.yml


RUNNERS["reuse-jsonl"] = reuse_jsonl


@pytest.mark.parametrize("test_id", sorted(RUNNERS))
def test_documented_block(test_id: str, doc: Doc) -> None:
    RUNNERS[test_id](doc)
