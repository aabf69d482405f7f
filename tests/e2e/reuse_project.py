"""target-quickbooks in somebody else's Meltano project: the `reuse-jsonl` documented block.

Run by tests/e2e/test_e2e_documented_commands.py (doc-test id ``reuse-jsonl``, in
target-quickbooks/README.md). A new project made by the pinned Meltano's `meltano
init`, with a copy of this repository's target at ``myfulfillment-quickbooks/`` (what
a clone or git submodule gives the user), adds the target from
``target-quickbooks/plugin.yml`` and ``tap-jsonl`` (PyPI) from the example's
definition, and loads three flat JSONL exports, whose nested fields are built by
``stream_maps``, into a bare QuickBooks company (the emulator), twice: the first
run creates the items, customers and invoices; the second, over the same exports
written again, creates and changes nothing and says ``unchanged``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from quickbooks_emulator import QuickBooksEmulator

from tests.docs.doc_blocks import block
from tests.harness import PROJECT_ROOT, VENV_BIN

REALM = "9130350000000001"
#: The log line of a record its stream's schema does not describe (sinks.py).
SCHEMA_WARNING = "match the stream's schema"
EXAMPLE = Path("target-quickbooks") / "examples" / "jsonl"


def _copy_repository(dest: Path) -> None:
    """What the user's clone holds that the definitions use: the target and its pins."""
    shutil.copytree(PROJECT_ROOT / "target-quickbooks", dest / "target-quickbooks",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    (dest / "plugins").mkdir()
    shutil.copy(PROJECT_ROOT / "plugins" / "constraints.txt", dest / "plugins")


def new_project(parent: Path, env: dict[str, str]) -> Path:
    """`meltano init` a project and put the repository in it as myfulfillment-quickbooks/."""
    subprocess.run([str(VENV_BIN / "meltano"), "init", "my-books", "--no-usage-stats"],
                   cwd=parent, env=env, check=True, capture_output=True, timeout=300)
    root = parent / "my-books"
    _copy_repository(root / "myfulfillment-quickbooks")
    return root


def project_env(base: dict[str, str], qbo: QuickBooksEmulator, secrets: Path) -> dict[str, str]:
    """The user's shell: the project's own system database, the emulator's URLs and keys."""
    env = {k: v for k, v in base.items()
           if not k.startswith(("TAP_", "TARGET_QUICKBOOKS_", "MELTANO_DATABASE_URI"))}
    env.update({
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "TARGET_QUICKBOOKS_API_URL": qbo.api_url,
        "TARGET_QUICKBOOKS_OAUTH_DISCOVERY_URL": qbo.discovery_url,
        "TARGET_QUICKBOOKS_TOKEN_STORE_PATH": str(secrets / "tokens.json"),
        "TARGET_QUICKBOOKS_CLIENT_ID": "demo-client-id",
        "TARGET_QUICKBOOKS_CLIENT_SECRET": "demo-client-secret",
        "TARGET_QUICKBOOKS_REFRESH_TOKEN": "demo-refresh-token",
        "TARGET_QUICKBOOKS_REALM_ID": REALM,
        "PATH": f"{VENV_BIN}{os.pathsep}{base.get('PATH', '')}",
    })
    return env


def snapshot(qbo: QuickBooksEmulator) -> dict[str, dict[str, str]]:
    """Every Item, Customer and Invoice: Id → SyncToken (a write changes one or the other)."""
    return {entity: {str(obj["Id"]): str(obj.get("SyncToken")) for obj in qbo.entities(entity)}
            for entity in ("Item", "Customer", "Invoice")}


def results_row(output: str, stream: str) -> dict[str, int]:
    """The target's end-of-run table row of one stream (the last one in the output)."""
    rows = re.findall(rf"target-quickbooks {stream}" + r"\s+(\d+)" * 6, output)
    assert rows, f"no results row for {stream} in the output"
    names = ("created", "updated", "unchanged", "deferred", "rejected", "skipped")
    return dict(zip(names, map(int, rows[-1]), strict=True))


def _assert_first_run(qbo: QuickBooksEmulator, output: str) -> None:
    items = {item["Name"]: item for item in qbo.entities("Item")}
    assert {item.get("Sku") for item in items.values()} >= {"MUG-1", "TEA-1", "WRAP"}
    assert items["Stoneware mug"]["Type"] == "Inventory"
    assert items["Gift wrapping"]["Type"] == "Service"
    assert "Shipping" in items  # a bare company has none: the first shipping line made it
    customers = {c["Id"]: c for c in qbo.entities("Customer")}
    assert sorted(c["DisplayName"] for c in customers.values()) == [
        "Ada Lovelace (#1001)", "Alan Turing (#1002)"]
    assert {c["BillAddr"]["City"] for c in customers.values()} == {"Lyon", "Nantes"}
    invoices = {inv["DocNumber"]: inv for inv in qbo.entities("Invoice")}
    assert set(invoices) == {"INV-1001", "INV-1002", "INV-1003"}
    # The invoices feed has its own state: it found each customer by the DisplayName its
    # customer_key/customer_id and names give, not by an ID map entry.
    owner = {number: customers[inv["CustomerRef"]["value"]]["DisplayName"]
             for number, inv in invoices.items()}
    assert owner == {"INV-1001": "Ada Lovelace (#1001)", "INV-1002": "Ada Lovelace (#1001)",
                     "INV-1003": "Alan Turing (#1002)"}
    first = [line for line in invoices["INV-1001"]["Line"]
             if line.get("DetailType") == "SalesItemLineDetail"]
    assert [(items_by_id(qbo)[line["SalesItemLineDetail"]["ItemRef"]["value"]],
             line["SalesItemLineDetail"].get("Qty"), line["Amount"]) for line in first] == [
        ("MUG-1", 2, 25.0), ("TEA-1", 1, 8.0), ("Shipping", None, 5.0)]
    assert invoices["INV-1001"]["TotalAmt"] == 45.6
    for stream, count in (("products", 3), ("customers", 2), ("invoices", 3)):
        assert results_row(output, stream)["created"] == count


def items_by_id(qbo: QuickBooksEmulator) -> dict[str, str]:
    """Item Id → its Sku (its Name for the items the target made, e.g. Shipping)."""
    return {str(i["Id"]): i.get("Sku") or i["Name"] for i in qbo.entities("Item")}


def reuse_jsonl(doc: Any) -> None:
    """The documented block in a new project, then the same job again: nothing new."""
    qbo = QuickBooksEmulator(bare=True).start()
    try:
        parent = doc.root.parent
        env = project_env(doc.env, qbo, parent / "my-books-secrets")
        root = new_project(parent, env)
        user = dataclasses.replace(doc, root=root, env=env, qbo=qbo)
        first = user.run(block("reuse-jsonl"))
        output = first.stdout + first.stderr
        assert "All checks passed." in first.stdout
        assert SCHEMA_WARNING not in output
        _assert_first_run(qbo, output)

        # The exports are written again, unchanged: the tap reads them again (its
        # bookmark is the files' time) and the target finds everything in its ID map.
        before = snapshot(qbo)
        for path in (root / "data").glob("*.jsonl"):
            stat = path.stat()
            os.utime(path, (stat.st_atime + 120, stat.st_mtime + 120))
        again = subprocess.run([str(VENV_BIN / "meltano"), "run", "jsonl-to-quickbooks"],
                               cwd=root, env=env, capture_output=True, text=True, timeout=600,
                               check=False)
        output = again.stdout + again.stderr
        assert again.returncode == 0, output[-6000:]
        assert snapshot(qbo) == before
        assert results_row(output, "products") == {**_zero(), "unchanged": 3}
        assert results_row(output, "customers") == {**_zero(), "unchanged": 2}
        assert results_row(output, "invoices") == {**_zero(), "unchanged": 3}
        assert SCHEMA_WARNING not in output
    finally:
        qbo.stop()


def _zero() -> dict[str, int]:
    return dict.fromkeys(("created", "updated", "unchanged", "deferred", "rejected",
                          "skipped"), 0)
