"""A damaged target entry in the state stops the run naming the field and the repair.

Issue 10 §8. Each case puts a value of the wrong type in one field of an otherwise
valid entry, and the run must stop before writing anything or emitting a state,
naming that field's JSON path, through both ways a STATE line is read: the
streaming reader (maps checked as they stream) and singer-sdk's plain parser (the
fallback). Both must give the same problems.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from singer_sdk.singerlib.json import serialize_json
from target_quickbooks import state_json
from target_quickbooks.admin.cli import main as admin_main
from target_quickbooks.admin.report import ReportError, build_report
from target_quickbooks.idmap import CHUNK
from target_quickbooks.state import BOOKMARK, SyncState
from target_quickbooks.state_check import StateDamagedError
from target_quickbooks.state_json import StateMapReader
from target_quickbooks.target import TargetQuickBooks
from test_target_fakes import CONFIG, REALM, FakeQuickBooks, record, schema

ROOT = 'bookmarks["target-quickbooks"]'
PENDING = {"status": "rejected", "reason": "QuickBooks refused it", "code": "6000",
           "detail": "Business Validation Error", "intuit_tid": "tid-1", "hint": "Fix it",
           "field": "currency", "since": "2026-01-01T00:00:00+00:00", "attempts": 2,
           "record": {"entity_id": "INV-9", "increment_id": "FA-9"}}


def valid_entry() -> dict[str, Any]:
    """An entry with every field the target writes, each holding something."""
    return {
        "realm_id": REALM, "v": 1,
        "items": {"SKU-1": "1:0:abcdef12"}, "customers": {"C-1": "2:0:abcdef12"},
        "invoices": {"INV-1": "3"}, "credit_memos": {"CM-1": "4"},
        "suffixed": ["SKU-1"], "voided": ["INV-1"],
        "refs": {"income_account:Sales": {"value": "79", "name": "Sales"}},
        "products": {"SKU-2": ["rejected", "2026-01-01T00:00:00+00:00"]},
        "pending": {"invoices": {"INV-9": copy.deepcopy(PENDING)}},
        "results": {"products": {"created": 1, "unchanged": 0}},
        "last_run": "2026-01-01T00:00:00+00:00",
        "refunded": {"INV-1": {"CM-1": "12.50"}},
        "other_realms": {"123": {"realm_id": "123", "v": 1, "items": {"X": "9:0:z"},
                                 "pending": {}, "results": {}}},
    }


Change = Callable[[dict[str, Any]], None]


def setter(*path: str, value: Any) -> Change:
    def change(entry: dict[str, Any]) -> None:
        target = entry
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def deleter(*path: str) -> Change:
    def change(entry: dict[str, Any]) -> None:
        target = entry
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


P = f'{ROOT}.pending["invoices"]["INV-9"]'
OTHER = f'{ROOT}.other_realms["123"]'
#: (change, path named, what the message says was found)
CASES: list[tuple[Change, str, str]] = [
    (setter("realm_id", value=9130350000000001), f"{ROOT}.realm_id", "a number"),
    (deleter("realm_id"), f"{ROOT}.realm_id", "missing"),
    (setter("v", value="1"), f"{ROOT}.v", "a string"),
    (setter("v", value=True), f"{ROOT}.v", "true"),
    # The ID maps: the whole map, and one entry.
    (setter("items", value="SKU-1"), f"{ROOT}.items", "a string"),
    (setter("items", value=[["SKU-1", "1:0:abcdef12"]]), f"{ROOT}.items", "a list"),
    (setter("items", "SKU-1", value=1), f'{ROOT}.items["SKU-1"]', "a number"),
    (setter("items", "SKU-1", value=None), f'{ROOT}.items["SKU-1"]', "null"),
    (setter("items", "SKU-1", value={"Id": "1"}), f'{ROOT}.items["SKU-1"]', "an object"),
    (setter("customers", value=[]), f"{ROOT}.customers", "a list"),
    (setter("customers", "C-1", value=["2", "0"]), f'{ROOT}.customers["C-1"]', "a list"),
    (setter("invoices", "INV-1", value=3), f'{ROOT}.invoices["INV-1"]', "a number"),
    (setter("invoices", value=None), f"{ROOT}.invoices", "null"),
    (setter("credit_memos", "CM-1", value=False), f'{ROOT}.credit_memos["CM-1"]', "false"),
    (setter("credit_memos", value=4), f"{ROOT}.credit_memos", "a number"),
    # Lists of keys.
    (setter("suffixed", value="SKU-1"), f"{ROOT}.suffixed", "a string"),
    (setter("suffixed", value={"SKU-1": True}), f"{ROOT}.suffixed", "an object"),
    (setter("suffixed", value=[1]), f"{ROOT}.suffixed[0]", "a number"),
    (setter("voided", value={"INV-1": True}), f"{ROOT}.voided", "an object"),
    (setter("voided", value=["INV-1", None]), f"{ROOT}.voided[1]", "null"),
    # Credit memos counted against their invoice.
    (setter("refunded", value=["CM-1"]), f"{ROOT}.refunded", "a list"),
    (setter("refunded", "INV-1", value="12.50"), f'{ROOT}.refunded["INV-1"]', "a string"),
    (setter("refunded", "INV-1", "CM-1", value=12.5), f'{ROOT}.refunded["INV-1"]["CM-1"]',
     "a number"),
    # Account references.
    (setter("refs", value=[]), f"{ROOT}.refs", "a list"),
    (setter("refs", "income_account:Sales", value="79"),
     f'{ROOT}.refs["income_account:Sales"]', "a string"),
    (setter("refs", "income_account:Sales", "value", value=79),
     f'{ROOT}.refs["income_account:Sales"]["value"]', "a number"),
    # Product statuses.
    (setter("products", value=["SKU-2"]), f"{ROOT}.products", "a list"),
    (setter("products", "SKU-2", value="rejected"), f'{ROOT}.products["SKU-2"]', "a string"),
    (setter("products", "SKU-2", value=["rejected", 5]), f'{ROOT}.products["SKU-2"][1]',
     "a number"),
    # Pending records: the map, a stream, a record, each field.
    (setter("pending", value="none"), f"{ROOT}.pending", "a string"),
    (setter("pending", "invoices", value=[PENDING]), f'{ROOT}.pending["invoices"]', "a list"),
    (setter("pending", "invoices", "INV-9", value="rejected"), P, "a string"),
    (setter("pending", "invoices", "INV-9", "status", value=1), f"{P}.status", "a number"),
    (setter("pending", "invoices", "INV-9", "reason", value=None), f"{P}.reason", "null"),
    (setter("pending", "invoices", "INV-9", "since", value=20260101), f"{P}.since", "a number"),
    (setter("pending", "invoices", "INV-9", "attempts", value="3"), f"{P}.attempts", "a string"),
    (setter("pending", "invoices", "INV-9", "attempts", value=2.5), f"{P}.attempts", "a number"),
    (setter("pending", "invoices", "INV-9", "record", value="INV-9"), f"{P}.record", "a string"),
    (setter("pending", "invoices", "INV-9", "record", value=[]), f"{P}.record", "a list"),
    (setter("pending", "invoices", "INV-9", "code", value=6000), f"{P}.code", "a number"),
    (setter("pending", "invoices", "INV-9", "detail", value={}), f"{P}.detail", "an object"),
    (setter("pending", "invoices", "INV-9", "intuit_tid", value=1), f"{P}.intuit_tid",
     "a number"),
    (setter("pending", "invoices", "INV-9", "hint", value=["a"]), f"{P}.hint", "a list"),
    (setter("pending", "invoices", "INV-9", "field", value=True), f"{P}.field", "true"),
    # Results and the last run.
    (setter("results", value=[]), f"{ROOT}.results", "a list"),
    (setter("results", "products", value=3), f'{ROOT}.results["products"]', "a number"),
    (setter("results", "products", "created", value="1"),
     f'{ROOT}.results["products"]["created"]', "a string"),
    (setter("last_run", value=1767225600), f"{ROOT}.last_run", "a number"),
    # Other realms' entries follow the same rules.
    (setter("other_realms", value=[]), f"{ROOT}.other_realms", "a list"),
    (setter("other_realms", "123", value="gone"), OTHER, "a string"),
    (setter("other_realms", "123", "items", "X", value=9), f'{OTHER}.items["X"]', "a number"),
    (setter("other_realms", "123", "items", value=[]), f"{OTHER}.items", "a list"),
    (setter("other_realms", "123", "pending", value=1), f"{OTHER}.pending", "a number"),
    (setter("other_realms", "123", "realm_id", value=123), f"{OTHER}.realm_id", "a number"),
]
IDS = [f"{path.replace(ROOT, '')}={found}" for _, path, found in CASES]


def damaged(change: Change) -> dict[str, Any]:
    entry = valid_entry()
    change(entry)
    return entry


def lines_with(entry: Any) -> str:
    """A tap's output: its state carrying ``entry``, then a record (never to be written)."""
    state = {"bookmarks": {"products": {"replication_key_value": "r1"}, BOOKMARK: entry}}
    messages = [{"type": "STATE", "value": state}, schema("products"),
                record("products", {"sku": "NEW-1", "name": "Nouveau", "type": "virtual"})]
    return "".join(serialize_json(m) + "\n" for m in messages)


def run_damaged(entry: Any, capsys: pytest.CaptureFixture[str]) -> StateDamagedError:
    """Run the target in process on ``entry``; it must stop with nothing written or emitted."""
    fake = FakeQuickBooks()
    target = TargetQuickBooks(config=CONFIG, client=fake)
    capsys.readouterr()
    with pytest.raises(StateDamagedError) as raised:
        target.listen(io.StringIO(lines_with(entry)))
    assert capsys.readouterr().out == ""  # no STATE: Meltano keeps the stored one
    assert fake.calls == []
    return raised.value


@pytest.fixture
def plain_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line goes to singer-sdk's parser (the streaming reader's fallback)."""
    monkeypatch.setattr(state_json, "decode_state_line", lambda *args, **kwargs: None)


@pytest.fixture
def streaming_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The streaming reader must read STATE lines itself (no fallback building the maps)."""
    parent = StateMapReader.__mro__[1]
    original = parent.deserialize_json

    def refuse(self: Any, line: str) -> dict:
        assert BOOKMARK not in line, "fell back to the plain parser"
        return original(self, line)

    monkeypatch.setattr(parent, "deserialize_json", refuse)


def problems_of(error: StateDamagedError) -> list[str]:
    return sorted(problem.describe() for problem in error.problems.first)


@pytest.mark.parametrize(("change", "path", "found"), CASES, ids=IDS)
def test_each_damaged_field_is_named_by_the_streaming_reader(
    change: Change, path: str, found: str, capsys: pytest.CaptureFixture[str],
    streaming_only: None,
) -> None:
    error = run_damaged(damaged(change), capsys)
    assert [p.path for p in error.problems.first] == [path]
    assert f"{path} is {found}" in str(error)
    assert "Fix: " in str(error)


@pytest.mark.parametrize(("change", "path", "found"), CASES, ids=IDS)
def test_each_damaged_field_is_named_by_the_plain_parser_the_same_way(
    change: Change, path: str, found: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    streamed = run_damaged(damaged(change), capsys)
    monkeypatch.setattr(state_json, "decode_state_line", lambda *args, **kwargs: None)
    plain = run_damaged(damaged(change), capsys)
    assert problems_of(plain) == problems_of(streamed)
    assert f"{path} is {found}" in str(plain)


@pytest.mark.parametrize("entry", ["oops", ["a"], 7, None])
def test_an_entry_that_is_not_an_object_is_named(
    entry: Any, capsys: pytest.CaptureFixture[str], plain_parser: None,
) -> None:
    error = run_damaged(entry, capsys)
    assert [p.path for p in error.problems.first] == [ROOT]
    assert 'delete the key "target-quickbooks"' in str(error)


def test_the_valid_entry_loads(capsys: pytest.CaptureFixture[str]) -> None:
    """The base of every case is valid: each case fails for its one change only."""
    state = SyncState(REALM)
    assert state.load_state_message({"bookmarks": {BOOKMARK: valid_entry()}})
    assert state.pending_count() == 1 and state.get("items", "SKU-1") is not None


def test_a_bad_pair_deep_in_a_large_map_is_found_while_streaming(
    capsys: pytest.CaptureFixture[str], streaming_only: None,
) -> None:
    entry = valid_entry()
    entry["items"] = {f"SKU-{n:06d}": f"{n}:0:abcdef12" for n in range(3 * CHUNK)}
    entry["items"]["SKU-002500"] = 2500
    entry["items"]["SKU-002999"] = {"Id": "2999"}
    entry["customers"]["C-2"] = 7
    error = run_damaged(entry, capsys)
    assert [p.path for p in error.problems.first] == [
        f'{ROOT}.items["SKU-002500"]', f'{ROOT}.items["SKU-002999"]', f'{ROOT}.customers["C-2"]']


def test_many_problems_are_counted_and_only_the_first_listed(
    capsys: pytest.CaptureFixture[str], streaming_only: None,
) -> None:
    entry = valid_entry()
    entry["items"] = {f"SKU-{n:06d}": n for n in range(2 * CHUNK)}
    error = run_damaged(entry, capsys)
    assert error.problems.count == 2 * CHUNK
    assert len(error.problems.first) == 10
    assert f"and {2 * CHUNK - 10} more" in str(error)


def test_later_copies_of_the_entry_are_not_read_again(capsys: pytest.CaptureFixture[str]) -> None:
    """The tap repeats the entry it was given in each STATE; only the first is read."""
    good = {"bookmarks": {BOOKMARK: {**valid_entry(), "pending": {}}}}
    bad = {"bookmarks": {BOOKMARK: damaged(setter("items", "SKU-1", value=1))}}
    target = TargetQuickBooks(config=CONFIG, client=FakeQuickBooks())
    lines = "".join(serialize_json({"type": "STATE", "value": v}) + "\n" for v in (good, bad))
    target.listen(io.StringIO(lines))
    assert target.sync_state.get("items", "SKU-1") is not None


def test_the_command_line_shows_the_message_and_repair_without_a_traceback(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**CONFIG, "api_url": "http://127.0.0.1:9/v3"}))
    entry = damaged(setter("pending", "invoices", "INV-9", "attempts", value="3"))
    env = {**os.environ, "MELTANO_ENVIRONMENT": "dev",
           "MELTANO_EXTRACTOR_NAME": "tap-myfulfillment--invoices",
           "MELTANO_LOADER_NAME": "target-quickbooks"}
    proc = subprocess.run([str(Path(sys.executable).parent / "target-quickbooks"), "--config",
                           str(config)], input=lines_with(entry), capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert f'{P}.attempts is a string ("3"), expected a whole number' in proc.stderr
    sid = "dev:tap-myfulfillment--invoices-to-target-quickbooks"
    assert f"`meltano state edit {sid}`" in proc.stderr
    assert f"`meltano state clear --force {sid}`" in proc.stderr
    assert "before writing anything to QuickBooks" in proc.stderr


# report


def test_report_names_the_state_id_field_and_repair(tmp_path: Path) -> None:
    good = {"singer_state": {"bookmarks": {BOOKMARK: valid_entry()}}}
    bad = {"singer_state": {"bookmarks": {BOOKMARK: damaged(setter("results", value=[]))}}}
    assert build_report({"dev:good": good}).feeds
    with pytest.raises(ReportError, match=r"dev:bad.*\n.*\.results is a list"):
        build_report({"dev:good": good, "dev:bad": bad})
    files = []
    for name, state in (("good", good), ("bad", bad)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(state))
        files += ["--state-file", str(path)]
    result = CliRunner().invoke(admin_main, ["report", *files])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{ROOT}.results is a list" in result.output
    assert "`meltano state edit bad`" in result.output
    assert "run stopped" not in result.output


@pytest.mark.parametrize("entry", ["oops", []])
def test_report_on_an_entry_that_is_not_an_object(entry: Any) -> None:
    with pytest.raises(ReportError, match=r"`meltano state clear --force dev:x`"):
        build_report({"dev:x": {"singer_state": {"bookmarks": {BOOKMARK: entry}}}})


def test_a_late_damaged_entry_after_writes_emits_no_state_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A tap that sends its first STATE after records: what was written is said, not lost."""
    fake = FakeQuickBooks()
    target = TargetQuickBooks(config={**CONFIG, "batch_size": 1}, client=fake)
    product = {"sku": "NEW-1", "name": "Nouveau", "type": "virtual"}
    bad = {"bookmarks": {BOOKMARK: damaged(setter("items", "SKU-1", value=1))}}
    messages = [schema("products"), record("products", product),
                record("products", {**product, "sku": "NEW-2", "name": "Autre"}),
                {"type": "STATE", "value": bad}]
    capsys.readouterr()
    with pytest.raises(StateDamagedError) as raised:
        target.listen(io.StringIO("".join(serialize_json(m) + "\n" for m in messages)))
    assert capsys.readouterr().out == ""
    assert fake.calls  # the first batch was written before the state arrived
    assert raised.value.wrote_before
    assert "found there again by the next run" in raised.value.message()
