"""Other plugins' bookmarks (the target's ID map) pass through the tap once, as text."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest
from click.testing import CliRunner
from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib.encoding.simple import StateMessage
from singer_sdk.singerlib.json import deserialize_json
from tap_fakes import CONFIG, PATHS, product, run_sync
from tap_myfulfillment.foreign_state import (
    ForeignBookmark,
    PassThroughWriter,
    split_state,
    split_state_text,
)
from tap_myfulfillment.streams import STREAM_NAMES
from tap_myfulfillment.tap import TapMyFulfillment

PRODUCTS = PATHS["products"]
TARGET = "target-quickbooks"


def target_entry(items: int = 3) -> dict[str, t.Any]:
    """A target-quickbooks entry with awkward JSON: brackets and quotes inside strings."""
    return {
        "realm_id": "9130350000000001", "v": 1,
        "items": {f"SKU-{n:06d}": f"{900_000 + n}:0:0000abcd" for n in range(items)},
        "customers": {'Dupont "Jeanne" {x}': "58:1:ffff0000"},
        "invoices": {}, "credit_memos": {},
        "suffixed": ["SKU-]1[", "é\\\"}"],
        "pending": {"products": {"SKU-9": {"status": "rejected", "attempts": 2,
                                           "detail": "Name [x] {y} \"z\"\n", "ok": None,
                                           "record": {"price": 12.9, "flags": [True, False]}}}},
    }


def _messages(text: str) -> list[dict[str, t.Any]]:
    """Singer lines as plain JSON (floats as floats, to compare with the entries)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _as_target_reads_it(value: t.Any) -> t.Any:
    """A value as a Singer reader parses it (numbers with a fraction as Decimal)."""
    return deserialize_json(json.dumps(value))


def _carrying(messages: list[dict[str, t.Any]], name: str = TARGET) -> list[int]:
    """Indexes of the STATE messages carrying the bookmark ``name``."""
    return [i for i, m in enumerate(messages)
            if m["type"] == "STATE" and name in (m["value"].get("bookmarks") or {})]


def _first_record(messages: list[dict[str, t.Any]]) -> int:
    return next(i for i, m in enumerate(messages) if m["type"] == "RECORD")


def _last_state(messages: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    return [m["value"] for m in messages if m["type"] == "STATE"][-1]


def _run_cli(tmp_path: Path, state_text: str | None) -> list[dict[str, t.Any]]:
    """Run the tap's real command line (``--config``, ``--state`` files), in process."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG), encoding="utf-8")
    args = ["--config", str(config)]
    if state_text is not None:
        state = tmp_path / "state.json"
        state.write_text(state_text, encoding="utf-8")
        args += ["--state", str(state)]
    result = CliRunner().invoke(TapMyFulfillment.cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return _messages(result.stdout)


# ------------------------------------------------------------------- the scan of the file


@pytest.mark.parametrize("indent", [None, 2])
def test_the_state_file_is_split_into_own_text_and_foreign_spans(indent):
    own = {"products": {"replication_key_value": "2026-03-01T10:00:00+00:00",
                        "emitted_at_bookmark": ["SKU-1"]},
           "orders": {"replication_key_value": "2026-03-01T09:00:00+00:00"}}
    state = {"bookmarks": {"products": own["products"], TARGET: target_entry(),
                           "orders": own["orders"], "other-plugin": [1, "]", {"a": None}],
                           "scalar-plugin": 12.5},
             "note": "kept"}
    text = json.dumps(state, indent=indent, ensure_ascii=False)

    own_text, foreign = split_state_text(text, STREAM_NAMES)

    assert json.loads(own_text) == {"bookmarks": own, "note": "kept"}
    assert set(foreign) == {TARGET, "other-plugin", "scalar-plugin"}
    for name, bookmark in foreign.items():
        joined = "".join(bookmark.pieces())
        assert "\n" not in joined
        assert json.loads(joined) == state["bookmarks"][name]
        assert bookmark.text is text  # a span of the file's text, not a copy


def test_a_large_foreign_entry_is_written_in_slices_that_rejoin_exactly():
    entry = target_entry(items=30_000)
    text = json.dumps({"bookmarks": {TARGET: entry}}, indent=2)

    _, foreign = split_state_text(text, STREAM_NAMES)

    pieces = list(foreign[TARGET].pieces())
    assert len(pieces) > 1
    assert json.loads("".join(pieces)) == entry


@pytest.mark.parametrize("text", [
    "",
    "[]",
    '{"bookmarks": {"target-quickbooks": {"items": {"a": "b"}}',  # never closes
    '{"bookmarks": {"target-quickbooks": {"items": "unterminated}}}',
    '{"bookmarks": {"target-quickbooks": [}]}}',  # mismatched closer
    '{"bookmarks": {"target-quickbooks" {}}}',  # no colon
    '{"bookmarks": [], "x": 1}',
    '{"bookmarks": {"products": {}}}',  # nothing foreign
])
def test_what_the_scan_cannot_follow_is_left_to_the_sdk_parser(text):
    assert split_state_text(text, STREAM_NAMES) == (text, {})


def test_a_malformed_state_file_fails_as_it_did_before(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG), encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text('{"bookmarks": {"target-quickbooks": {"items": ', encoding="utf-8")

    result = CliRunner().invoke(TapMyFulfillment.cli,
                                ["--config", str(config), "--state", str(state)])

    assert result.exit_code != 0
    assert isinstance(result.exception, ValueError)  # the JSON parser's error


def test_a_state_dict_is_split_without_changing_it():
    state = {"bookmarks": {"products": {"replication_key_value": "x"}, TARGET: target_entry()}}

    own, foreign = split_state(state, STREAM_NAMES)

    assert own == {"bookmarks": {"products": {"replication_key_value": "x"}}}
    assert json.loads("".join(foreign[TARGET].pieces())) == target_entry()
    assert TARGET in state["bookmarks"]


# ------------------------------------------------------------------------ the tap's output


def test_foreign_entry_reaches_output_once_before_the_first_record_cli(api, tmp_path):
    api.data[PRODUCTS] = [product(i, f"2026-03-01 10:00:0{i}") for i in range(1, 4)]
    entry = target_entry(items=500)
    own = {"products": {"replication_key_value": "2026-01-01T00:00:00+00:00"}}
    state_text = json.dumps({"bookmarks": {**own, TARGET: entry}}, indent=2)  # as Meltano

    messages = _run_cli(tmp_path, state_text)

    carrying = _carrying(messages)
    assert len(carrying) == 1
    first = messages[carrying[0]]["value"]["bookmarks"]
    assert carrying[0] < _first_record(messages)
    assert first[TARGET] == entry  # the same JSON value
    assert first["products"]["replication_key_value"] == "2026-01-01T00:00:00+00:00"
    assert messages[0]["type"] == "STATE"
    assert len([r for r in messages if r["type"] == "RECORD"]) == 3
    last = _last_state(messages)["bookmarks"]
    assert TARGET not in last
    assert last["products"]["replication_key_value"] == "2026-03-01T10:00:03+00:00"


def test_entry_alone_in_state_is_written_before_any_other_message(api, tmp_path):
    api.data[PRODUCTS] = [product(1, "2026-03-01 10:00:00")]
    entry = target_entry()

    messages = _run_cli(tmp_path, json.dumps({"bookmarks": {TARGET: entry}}))

    assert _carrying(messages) == [0]
    assert messages[0]["value"] == {"bookmarks": {TARGET: entry}}
    assert _last_state(messages)["bookmarks"]["products"]["replication_key_value"] == (
        "2026-03-01T10:00:00+00:00")


def test_without_foreign_entries_the_output_is_the_sdks(api, tmp_path):
    api.data[PRODUCTS] = [product(1, "2026-03-01 10:00:00")]
    state = {"bookmarks": {"products": {"replication_key_value": "2026-01-01T00:00:00+00:00"}}}

    messages = _run_cli(tmp_path, json.dumps(state))

    assert messages[0] == {"type": "STATE", "value": state}
    assert not _carrying(messages)


def test_incremental_run_with_own_and_foreign_bookmarks(api, tmp_path):
    api.data[PRODUCTS] = [product(i, f"2026-03-01 10:00:{i:02d}") for i in range(1, 31)]
    first = _run_cli(tmp_path, None)
    assert len([m for m in first if m["type"] == "RECORD"
                and m["stream"] == "products"]) == 30
    state = _last_state(first)
    api.data[PRODUCTS][4]["updated_at"] = "2026-03-02 08:00:00"  # product 5 changes
    api.data[PRODUCTS][4]["price"] = "99.0000"
    entry = target_entry(items=30)
    state_text = json.dumps({"bookmarks": {**state["bookmarks"], TARGET: entry}}, indent=2)

    second = _run_cli(tmp_path, state_text)

    records = [m["record"] for m in second if m["type"] == "RECORD"]
    assert [r["sku"] for r in records] == ["SKU-000005"]
    assert len(_carrying(second)) == 1
    assert second[_carrying(second)[0]]["value"]["bookmarks"][TARGET] == entry
    own = _last_state(second)["bookmarks"]
    assert own["products"]["replication_key_value"] == "2026-03-02T08:00:00+00:00"
    # The third run resumes from the second run's own bookmarks: nothing new.
    third = _run_cli(tmp_path, json.dumps({"bookmarks": {**own, TARGET: entry}}))
    assert [m for m in third if m["type"] == "RECORD"] == []


def test_state_given_as_dict_passes_the_entry_once(api):
    api.data[PRODUCTS] = [product(i, f"2026-03-01 10:00:0{i}") for i in range(1, 4)]
    entry = target_entry()

    result = run_sync(state={"bookmarks": {TARGET: entry, "products": {}}})

    carrying = _carrying(result.messages)
    assert len(carrying) == 1
    assert carrying[0] < _first_record(result.messages)
    assert result.messages[carrying[0]]["value"]["bookmarks"][TARGET] == (
        _as_target_reads_it(entry))
    assert TARGET not in result.state["bookmarks"]
    assert result.state["bookmarks"]["products"]["replication_key_value"] == (
        "2026-03-01T10:00:03+00:00")


def test_own_bookmarks_round_trip_unchanged_through_the_tap(api):
    api.data[PRODUCTS] = []
    own = {"products": {"replication_key_value": "2026-03-01T10:00:00+00:00",
                        "emitted_at_bookmark": ["SKU-000001", "SKU-000002"]}}

    result = run_sync(state={"bookmarks": {**own, TARGET: target_entry()}})

    assert result.state["bookmarks"]["products"] == own["products"]
    assert result.messages[0]["value"]["bookmarks"] == {
        **own, TARGET: _as_target_reads_it(target_entry())}


def test_a_caller_supplied_writer_gets_the_entry_in_the_state_as_before(api):
    api.data[PRODUCTS] = [product(1, "2026-03-01 10:00:00")]
    tap = TapMyFulfillment(config=CONFIG, parse_env_config=False,
                           state={"bookmarks": {TARGET: target_entry()}},
                           message_writer=SingerWriter())

    assert not isinstance(tap.message_writer, PassThroughWriter)
    assert tap.state["bookmarks"][TARGET] == _as_target_reads_it(target_entry())


def test_pending_bookmarks_are_written_once_then_messages_pass_unchanged(capsys):
    writer = PassThroughWriter()
    writer.pass_through({"a-plugin": ForeignBookmark.of('{"k": [1, 2]}')})

    writer.write_message(StateMessage(value={"bookmarks": {"products": {"v": 1}}}))
    writer.write_message(StateMessage(value={"bookmarks": {"products": {"v": 2}}}))

    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"type": "STATE", "value": {"bookmarks": {"products": {"v": 1},
                                                  "a-plugin": {"k": [1, 2]}}}},
        {"type": "STATE", "value": {"bookmarks": {"products": {"v": 2}}}},
    ]


def test_a_run_that_writes_nothing_still_passes_the_entry_on(api, tmp_path):
    """No stream selected, no own bookmarks: the SDK writes no message at all."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG), encoding="utf-8")
    discovered = CliRunner().invoke(TapMyFulfillment.cli, ["--config", str(config),
                                                           "--discover"])
    catalog = json.loads(discovered.stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if not entry["breadcrumb"]:
                entry["metadata"]["selected"] = False
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(catalog), encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"bookmarks": {TARGET: target_entry()}}, indent=2),
                     encoding="utf-8")
    result = CliRunner().invoke(TapMyFulfillment.cli, [
        "--config", str(config), "--catalog", str(catalog_path), "--state", str(state)],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    messages = _messages(result.stdout)
    assert not [m for m in messages if m["type"] == "RECORD"]
    assert _carrying(messages) == [len(messages) - 1]
    assert messages[-1]["value"] == {"bookmarks": {TARGET: target_entry()}}
