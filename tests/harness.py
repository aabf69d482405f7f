"""Runs the real Meltano project against the bundled emulators.

Shared by the end-to-end tests and `make demo`: both need the same thing — the
two emulators on free loopback ports, and `meltano` pointed at them through
the plugins' namespace env vars (which also reach every inherited plugin),
with a private system database (state) and token store so that runs never
touch a developer's own `.meltano/meltano.db` or `.secrets/`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MELTANO = str(VENV_BIN / "meltano")

#: Where a feed's state lives: Meltano's default state id for `meltano run`.
FEED_STATE_IDS = {
    "create-products": "dev:tap-myfulfillment--products-to-target-quickbooks--create-products",
    "update-products": "dev:tap-myfulfillment--products-to-target-quickbooks--update-products",
    "export-customers": "dev:tap-myfulfillment--customers-to-target-quickbooks",
    "export-invoices": "dev:tap-myfulfillment--invoices-to-target-quickbooks",
    "export-credit-memos": "dev:tap-myfulfillment--credit-memos-to-target-quickbooks",
}


def bookable_invoices(mf: t.Any) -> list[dict]:
    """The emulator's invoices QuickBooks should hold: canceled ones are never booked."""
    return [inv for inv in mf.store.invoices() if inv.get("state") != "canceled"]


def memo_entity(mf: t.Any, memo: dict) -> str:
    """The QuickBooks entity of a source credit memo: RefundReceipt when its invoice is paid.

    target-quickbooks books a credit memo of a paid invoice as a RefundReceipt (money
    returned) and any other as a CreditMemo (its README, "Credit memos of paid invoices").
    """
    states = {str(inv["id"]): inv.get("state") for inv in mf.store.invoices()}
    return "RefundReceipt" if states.get(str(memo.get("invoice_id"))) == "paid" else "CreditMemo"


def memos_by_entity(mf: t.Any) -> dict[str, list[dict]]:
    """The emulator's credit memos by the QuickBooks entity that books them."""
    found: dict[str, list[dict]] = {"CreditMemo": [], "RefundReceipt": []}
    for memo in mf.store.credit_memos():
        found[memo_entity(mf, memo)].append(memo)
    return found


@dataclass
class MeltanoProject:
    """The repository's Meltano project, wired to running emulators."""

    workdir: Path
    mf_url: str
    qbo_api_url: str
    qbo_discovery_url: str
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def token_store(self) -> Path:
        """The token store this project's runs share."""
        return self.workdir / "secrets" / "quickbooks-tokens.json"

    def env(self) -> dict[str, str]:
        """Environment for every `meltano` call of this project."""
        env = dict(os.environ)
        env.update(
            {
                "MELTANO_ENVIRONMENT": "dev",
                "MELTANO_DATABASE_URI": f"sqlite:///{self.workdir / 'meltano.db'}",
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
                "TAP_MYFULFILLMENT_BASE_URL": self.mf_url,
                "TARGET_QUICKBOOKS_API_URL": self.qbo_api_url,
                "TARGET_QUICKBOOKS_OAUTH_DISCOVERY_URL": self.qbo_discovery_url,
                "TARGET_QUICKBOOKS_TOKEN_STORE_PATH": str(self.token_store),
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            }
        )
        env.update(self.extra_env)
        return env

    def meltano(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run `meltano <args>` in the project root; raise with its output on failure."""
        proc = subprocess.run(
            [MELTANO, *args],
            cwd=PROJECT_ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            msg = (
                f"meltano {' '.join(args)} exited {proc.returncode}\n"
                f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-12000:]}"
            )
            raise AssertionError(msg)
        return proc

    def run(self, *jobs_or_blocks: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`meltano run` one or more jobs or `tap target` blocks."""
        return self.meltano("run", *jobs_or_blocks, check=check)

    def stored_states(self) -> dict[str, tuple[str | None, str | None]]:
        """Every row of Meltano's state table: state id → (partial, completed), as stored.

        One read of the project's system database instead of a `meltano state get`
        process per state id (each costs seconds): for tests that prove a run changed
        no state at all, and stored none of its own.
        """
        with sqlite3.connect(self.workdir / "meltano.db") as db:
            rows = db.execute("SELECT state_id, partial_state, completed_state FROM state")
            return {state_id: (partial, completed) for state_id, partial, completed in rows}

    def state(self, feed_or_state_id: str) -> dict:
        """The stored Meltano state of a feed (`meltano state get`), `{}` when none."""
        state_id = FEED_STATE_IDS.get(feed_or_state_id, feed_or_state_id)
        proc = self.meltano("state", "get", state_id, check=False)
        if proc.returncode != 0:
            return {}
        text = proc.stdout.strip()
        return json.loads(text) if text else {}
