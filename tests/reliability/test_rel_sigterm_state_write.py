"""SIGTERM while a state line is being written: the line is finished, then the run stops.

States are written a chunk at a time (the ID map is streamed from SQLite), so a
termination signal can arrive in the middle of one. Meltano discards a cut last
line, which would lose every write confirmed since the previous state. The
target holds the signal until the line is whole, then stops with 128+15.

The target runs in a child process (its signal handler ends the process) whose
stdout sends SIGTERM to the process itself half-way through the first state line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
ITEMS = 5_000

CHILD = textwrap.dedent(f"""
    import io, json, os, signal, sys
    from singer_sdk.singerlib.json import serialize_json
    from target_quickbooks.target import TargetQuickBooks
    from test_target_fakes import CONFIG, REALM, FakeQuickBooks, record, schema

    class SignalHalfWay:
        '''stdout that sends SIGTERM to this process once a line is half written.'''

        def __init__(self, real):
            self.real, self.written, self.fired = real, 0, False

        def write(self, text):
            self.real.write(text)
            self.written += len(text)
            if not self.fired and self.written > 40_000:
                self.fired = True
                os.kill(os.getpid(), signal.SIGTERM)
            return len(text)

        def flush(self):
            self.real.flush()

    entry = {{"realm_id": REALM, "v": 1,
              "items": {{f"SKU-{{n:05d}}": f"{{n}}:0:00000000" for n in range({ITEMS})}},
              "customers": {{}}, "invoices": {{}}, "credit_memos": {{}}}}
    lines = [
        {{"type": "STATE", "value": {{"bookmarks": {{"products": {{"replication_key_value": "r1"}},
                                                "target-quickbooks": entry}}}}}},
        schema("products"),
        record("products", {{"sku": "NEW-1", "name": "New", "type": "simple",
                             "price": "3.00"}}),
    ]
    text = "".join(serialize_json(line) + "\\n" for line in lines)
    target = TargetQuickBooks(config={{**CONFIG, "state_interval_seconds": 0}},
                              client=FakeQuickBooks())
    sys.stdout = SignalHalfWay(sys.stdout)
    target.listen(io.StringIO(text))
""")


def test_sigterm_while_a_state_line_is_written_finishes_the_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(TESTS / "target"), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                           env=env, cwd=tmp_path, timeout=120, check=False)
    assert child.returncode == 128 + signal.SIGTERM, child.stderr[-3000:]
    assert "Interrupted (SIGTERM, signal 15)" in child.stderr.rstrip().splitlines()[-1]
    assert child.stdout.endswith("\n")
    states = [json.loads(line) for line in child.stdout.splitlines()]  # every line whole
    assert states
    items = states[-1]["bookmarks"]["target-quickbooks"]["items"]
    assert len(items) == ITEMS + 1  # the old map and the write confirmed this run
    assert items["NEW-1"].split(":")[0]
