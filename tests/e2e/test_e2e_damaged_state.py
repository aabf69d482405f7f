"""A hand-damaged state through real `meltano run`: a clear stop, nothing written, state kept.

Issue 10 §8. The operator damages the target's entry with `meltano state set --force`
(here: a customer's QuickBooks Id written as a number, the kind of slip a hand edit
makes). The next run must exit non-zero with the field and the repair in its last
log lines, no Python traceback, no request to QuickBooks, and `meltano state get`
must still return the damaged state, so the person can repair it as the message says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from quickbooks_emulator import QuickBooksEmulator

from tests.harness import FEED_STATE_IDS, MeltanoProject

pytestmark = pytest.mark.e2e

FEED = "export-customers"
FIELD = 'bookmarks["target-quickbooks"].customers["C-1"]'


def test_a_damaged_state_stops_the_run_naming_the_field_and_the_fix(
    project: MeltanoProject, qbo_emulator: QuickBooksEmulator, tmp_path: Path
) -> None:
    state_id = FEED_STATE_IDS[FEED]
    entry = {"realm_id": qbo_emulator.realm_id, "v": 1, "items": {}, "invoices": {},
             "credit_memos": {}, "customers": {"C-1": 58, "C-2": "59:0:abcdef12"},
             "pending": {}, "results": {}}
    damaged = {"singer_state": {"bookmarks": {"target-quickbooks": entry}}}
    project.meltano("state", "set", "--force", state_id, json.dumps(damaged))
    assert project.state(FEED) == damaged
    qbo_emulator.reset_stats()

    customers_before = qbo_emulator.entities("Customer")
    proc = project.run(FEED, check=False)

    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output
    last = "\n".join(proc.stderr.strip().splitlines()[-15:])
    assert f'{FIELD} is a number (58), expected a string ("Id:SyncToken:hash")' in last, last
    assert f"meltano state edit {state_id}" in last, last
    assert f"meltano state clear --force {state_id}" in last, last
    assert "before writing anything to QuickBooks" in last, last
    stats = qbo_emulator.stats()
    assert stats["requests"] == 0, stats
    assert qbo_emulator.entities("Customer") == customers_before
    assert project.state(FEED) == damaged

    # The repair the message names works: `meltano state edit`, delete the key, save.
    editor = tmp_path / "delete-the-key.py"
    editor.write_text(
        "import json, sys\n"
        "state = json.load(open(sys.argv[1]))\n"
        "del state['singer_state']['bookmarks']['target-quickbooks']['customers']['C-1']\n"
        "json.dump(state, open(sys.argv[1], 'w'))\n")
    project.extra_env["EDITOR"] = f"{sys.executable} {editor}"
    project.meltano("state", "edit", "--force", state_id)
    project.run(FEED)
    assert qbo_emulator.entities("Customer")
