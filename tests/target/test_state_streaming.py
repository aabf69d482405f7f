"""The ID map outside the Python heap: SQLite map, streamed STATE lines, through the target."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
import simplejson
from singer_sdk.singerlib.json import serialize_json
from singer_sdk.testing import target_sync_test
from target_quickbooks.idmap import CHUNK, MAPS, IdMap
from target_quickbooks.state import BOOKMARK, MapEntry, SyncState
from target_quickbooks.state_json import StateMapReader, decode_state_line, write_state_line
from target_quickbooks.target import TargetQuickBooks
from test_target_fakes import CONFIG, REALM, FakeQuickBooks, record, schema, state_message

#: Keys that sort differently as bytes, as code points and as naive text, and need escapes.
AWKWARD = ["b", "a", "A", "Z-é", "Z-€", "ω", "😀", 'quo"te', "back\\slash", "tab\tkey", "a:b",
           "10", "9", "", "ctrl\u0001"]


def collect(into: dict[str, dict[str, str]]):
    def sink(kind: str, pairs: list[tuple[str, str]]) -> None:
        assert len(pairs) <= CHUNK
        into.setdefault(kind, {}).update(pairs)
    return sink


# IdMap


def test_idmap_set_get_delete_count_and_sorted_streaming():
    idmap = IdMap()
    for n, key in enumerate(AWKWARD):
        idmap.set("items", key, f"{n}:0:abc")
    idmap.set("customers", "a", "7:1:x")
    assert idmap.get("items", 'quo"te') == f"{AWKWARD.index('quo' + chr(34) + 'te')}:0:abc"
    assert idmap.get("items", "missing") is None
    assert idmap.get("customers", "b") is None
    assert idmap.count("items") == len(AWKWARD)
    # Same order as sorted() on str: the state is written sorted, as before.
    assert [key for key, _ in idmap.items("items")] == sorted(AWKWARD)
    idmap.set("items", "a", "replaced")
    assert idmap.get("items", "a") == "replaced"
    assert idmap.count("items") == len(AWKWARD)
    assert idmap.delete("items", "a")
    assert not idmap.delete("items", "a")
    assert idmap.count("items") == len(AWKWARD) - 1
    assert idmap.as_dict("customers") == {"a": "7:1:x"}


def test_idmap_streams_more_than_one_chunk_and_copies_independently():
    size = CHUNK * 2 + 17
    idmap = IdMap.from_dicts({"items": {f"SKU-{n:06d}": str(n) for n in range(size)}})
    assert idmap.count("items") == size
    keys = [key for key, _ in idmap.items("items")]
    assert keys == sorted(keys) and len(keys) == size == len(set(keys))
    twin = idmap.copy()
    twin.set("items", "SKU-000000", "changed")
    twin.delete("items", "SKU-000001")
    assert idmap.get("items", "SKU-000000") == "0"
    assert idmap.get("items", "SKU-000001") == "1"
    assert twin.count("items") == size - 1


def test_load_rolls_back_a_failed_chunk():
    idmap = IdMap()

    def pairs():
        yield ("a", "1")
        raise RuntimeError("broken input")

    with pytest.raises(RuntimeError):
        idmap.load("items", pairs())
    assert idmap.count("items") == 0
    assert idmap.load("items", [("a", "1"), ("b", "2")]) == 2


# Reading STATE lines


def state_line(entry: dict, *, indent: int | None = None, **bookmarks: object) -> str:
    value = {"bookmarks": {"products": {"replication_key_value": "2026-03-01T00:00:00+00:00",
                                        "price": Decimal("1.10")}, **bookmarks,
                           BOOKMARK: entry},
             "currently_syncing": None}
    return simplejson.dumps({"type": "STATE", "value": value}, indent=indent,
                            use_decimal=True) + "\n"


def big_entry() -> dict:
    return {"realm_id": REALM, "v": 1,
            "items": {key: f"{n}:0:{n:08x}" for n, key in enumerate(AWKWARD)},
            "customers": {}, "invoices": {"1001": "130", "1002": "131"},
            "credit_memos": {"CM-1": "140"}, "payments": {"invoice:1001": "150:0:x"},
            "suffixed": ["b"],
            "pending": {"invoices": {"9": {"status": "deferred", "record": {"x": 1.5}}}},
            "results": {"products": {"created": 1}}, "last_run": None}


@pytest.mark.parametrize("indent", [None, 2])
def test_decoded_line_equals_json_loads_with_maps_streamed(indent):
    line = state_line(big_entry(), indent=indent)
    streamed: dict[str, dict[str, str]] = {}
    message = decode_state_line(line, collect(streamed))
    expected = json.loads(line, parse_float=Decimal)
    entry = expected["value"]["bookmarks"][BOOKMARK]
    for kind in MAPS:
        assert streamed.get(kind, {}) == entry.pop(kind)
    assert message == expected
    # Floats elsewhere stay exact, as singer-sdk reads them.
    assert message["value"]["bookmarks"]["products"]["price"] == Decimal("1.10")
    assert message["value"]["bookmarks"][BOOKMARK]["pending"]["invoices"]["9"]["record"] == {
        "x": Decimal("1.5")}


def test_without_sink_the_maps_are_skipped():
    line = state_line(big_entry())
    message = decode_state_line(line, None)
    assert message is not None
    assert not set(MAPS) & set(message["value"]["bookmarks"][BOOKMARK])


@pytest.mark.parametrize("line", [
    '{"type": "STATE", "value": {"bookmarks": {"target-quickbooks": {"items": {"a": }}}}}\n',
    '{"type": "STATE", "value": {"bookmarks": {"target-quickbooks": {"items": {"a": "1",}}}}}\n',
    '{"type": "STATE", "value": {"bookmarks": {"target-quickbooks": {"items": {"a" "1"}}}}}\n',
    '{"type": "STATE", "value": {"bookmarks": {"target-quickbooks": {}}}} trailing\n',
    '{"type": "STATE", "value": {"bookmarks": {"target-quickbooks": {"items": {"a": "1"}',
    '["target-quickbooks"]\n',
])
def test_anything_unexpected_falls_back_to_the_plain_parser(line):
    assert decode_state_line(line, collect({})) is None


def test_reader_loads_only_while_wanted_and_hands_the_maps_over_once():
    reader = StateMapReader()
    line = state_line(big_entry())
    message = reader.deserialize_json(line)
    maps = reader.take_maps()
    assert maps is not None and maps.count("items") == len(AWKWARD)
    assert reader.take_maps() is None
    assert "items" not in message["value"]["bookmarks"][BOOKMARK]
    reader.want_maps = lambda: False
    reader.deserialize_json(line)
    assert reader.take_maps() is None
    # A line the streaming reader does not handle is read by singer-sdk's parser.
    plain = ('{"type": "STATE", "value": {"bookmarks": {"target-quickbooks": {"items": {"a": "1"},'
             ' "items": {"a": "2"}}}}}')
    assert reader.deserialize_json(plain)["value"]["bookmarks"][BOOKMARK]["items"] == {"a": "2"}
    assert reader.take_maps() is None
    record_line = json.dumps({"type": "RECORD", "stream": "products",
                              "record": {"name": "target-quickbooks", "price": 1.25}})
    assert reader.deserialize_json(record_line)["record"]["price"] == Decimal("1.25")


# Writing STATE lines


def test_written_line_is_the_merged_state_and_streams_every_map():
    state = SyncState(REALM)
    assert state.load_state_message({"bookmarks": {BOOKMARK: big_entry()}})
    for n in range(CHUNK + 5):
        state.put("items", f"SKU-{n:05d}", MapEntry(str(n), "0", "cafe0000"))
    state.put("customers", 'Dupont "Jr"', MapEntry("58", "1", "deadbeef"))
    tap_state = {"bookmarks": {"products": {"replication_key_value": "x"},
                               BOOKMARK: {"items": {"stale": "1"}}},
                 "price": Decimal("0.30")}
    out = io.StringIO()
    state.write_merged(out, tap_state)
    text = out.getvalue()
    assert text.endswith("}\n") and text.count("\n") == 1
    assert json.loads(text, parse_float=Decimal) == json.loads(
        serialize_json(state.merged_into(tap_state)), parse_float=Decimal)
    written = json.loads(text)["bookmarks"][BOOKMARK]
    assert list(written["items"]) == sorted(written["items"])
    assert written["customers"] == {'Dupont "Jr"': "58:1:deadbeef"}
    assert "stale" not in written["items"]
    # And it reads back through the streaming reader into the same state.
    again = SyncState(REALM)
    reader = StateMapReader()
    message = reader.deserialize_json(serialize_json({"type": "STATE", "value": json.loads(text)}))
    assert again.load_state_message(message["value"], reader.take_maps())
    assert again.to_bookmark() == state.to_bookmark()


def test_maps_are_placed_whatever_the_entry_order():
    entry = {"credit_memos": None, "realm_id": "1", "items": None}
    maps = {"items": [("a", "1")], "credit_memos": [("c", "3")]}
    out = io.StringIO()
    write_state_line(out, {"bookmarks": {}}, entry, lambda kind: iter(maps[kind]))
    assert json.loads(out.getvalue()) == {"bookmarks": {BOOKMARK: {
        "credit_memos": {"c": "3"}, "realm_id": "1", "items": {"a": "1"}}}}


def test_mapped_sku_skipped_by_the_create_feed_keeps_no_status():
    state = SyncState(REALM)
    state.put("items", "SKU-1", MapEntry("1", "0", "x"))
    state.set_product_status("SKU-1", "skipped")
    state.set_product_status("SKU-2", "skipped")  # not in QuickBooks: worth reporting
    assert set(state.to_bookmark()["products"]) == {"SKU-2"}


# Through the target


def run(messages, **config):
    target = TargetQuickBooks(config={**CONFIG, **config}, client=FakeQuickBooks())
    lines = "".join(serialize_json(m) + "\n" for m in messages)
    stdout, _ = target_sync_test(target, io.StringIO(lines))
    return target, [json.loads(line) for line in stdout.read().splitlines() if line.strip()]


def test_target_streams_the_incoming_map_and_writes_it_back():
    entry = {"realm_id": REALM, "v": 1,
             "items": {f"SKU-{n:05d}": f"{n}:0:00000000" for n in range(3 * CHUNK)},
             "customers": {}, "invoices": {}, "credit_memos": {}}
    tap_state = {"bookmarks": {"products": {"replication_key_value": "r1"}, BOOKMARK: entry}}
    later = {"bookmarks": {"products": {"replication_key_value": "r2"},
                           BOOKMARK: {**entry, "items": {"SKU-00000": "999:9:99999999"}}}}
    target, states = run([state_message(tap_state), schema("products"),
                          record("products", {"sku": "NEW-1", "name": "New", "type": "simple",
                                              "price": Decimal("3.00")}),
                          state_message(later)])
    # The map lives in SQLite, not in the state dicts the SDK keeps.
    assert BOOKMARK not in target._latest_state["bookmarks"]
    assert target.sync_state.idmap.count("items") == 3 * CHUNK + 1
    final = states[-1]
    assert final["bookmarks"]["products"] == {"replication_key_value": "r2"}
    items = final["bookmarks"][BOOKMARK]["items"]
    assert len(items) == 3 * CHUNK + 1
    assert items["SKU-00000"] == "0:0:00000000"  # the tap's later copy is not read
    assert items["NEW-1"].split(":")[0]


def test_dry_run_emits_the_entry_as_it_came():
    entry = {"realm_id": REALM, "v": 1, "items": {"SKU-1": "5:0:00000000"},
             "customers": {}, "invoices": {}, "credit_memos": {}}
    incoming = {"bookmarks": {"products": {"replication_key_value": "r1"}, BOOKMARK: entry}}
    target, states = run([state_message(incoming), schema("products"),
                          record("products", {"sku": "NEW-1", "name": "New", "type": "simple",
                                              "price": Decimal("3.00")}),
                          state_message({"bookmarks": {"products": {
                              "replication_key_value": "r2"}}})], dry_run=True)
    final = states[-1]
    assert final["bookmarks"]["products"] == {"replication_key_value": "r1"}
    assert final["bookmarks"][BOOKMARK]["items"] == {"SKU-1": "5:0:00000000"}
    assert target.sync_state.idmap.count("items") == 1


def test_streamed_map_of_another_realm_is_kept_whole_and_restored():
    reader = StateMapReader()
    other = {**big_entry(), "realm_id": "123"}
    message = reader.deserialize_json(state_line(other))
    state = SyncState(REALM)
    assert not state.load_state_message(message["value"], reader.take_maps())
    assert state.idmap.count("items") == 0
    kept = state.to_bookmark()["other_realms"]["123"]
    assert kept["items"] == other["items"] and kept["invoices"] == other["invoices"]
    assert kept["pending"] == other["pending"]
    out = io.StringIO()
    state.write_merged(out, {"bookmarks": {}})
    # Configured for realm 123 again: its map comes back from other_realms.
    back = SyncState("123")
    reader = StateMapReader()
    message = reader.deserialize_json(serialize_json({"type": "STATE",
                                                      "value": json.loads(out.getvalue())}))
    assert back.load_state_message(message["value"], reader.take_maps())
    assert back.idmap.as_dict("items") == other["items"]
    assert back.to_bookmark()["other_realms"][REALM]["items"] == {}


# An entry that arrives after records were written (a tap that sends its first STATE late)


def test_late_entry_is_merged_this_runs_outcomes_win():
    state = SyncState(REALM)
    state.put("items", "NEW", MapEntry("7", "0", "aaaa"))
    state.put("items", "BOTH", MapEntry("8", "1", "bbbb"))
    state.add_pending("products", "REJ-NOW", {"sku": "REJ-NOW"}, status="rejected",
                      reason="bad")
    state.set_product_status("REJ-NOW", "rejected")
    older = {"realm_id": REALM, "v": 1,
             "items": {"BOTH": "3:0:old", "OLD": "4:0:old", "REJ-THEN": "5:0:x"},
             "customers": {"42": "58:0:c"}, "invoices": {}, "credit_memos": {},
             "suffixed": ["OLD"], "voided": ["9"],
             "products": {"BOTH": ["rejected", "t"], "OLD-REJ": ["rejected", "t"]},
             "pending": {"products": {"BOTH": {"status": "rejected", "record": {}},
                                      "OLD-REJ": {"status": "rejected", "record": {}}},
                         "invoices": {"100": {"status": "deferred", "record": {}}}}}
    assert state.load_state_message({"bookmarks": {BOOKMARK: older}})
    items = state.idmap.as_dict("items")
    assert items == {"NEW": "7:0:aaaa", "BOTH": "8:1:bbbb", "OLD": "4:0:old",
                     "REJ-THEN": "5:0:x"}
    assert state.idmap.as_dict("customers") == {"42": "58:0:c"}
    assert state.suffixed == {"OLD"} and state.voided == {"9"}
    assert set(state.pending["products"]) == {"REJ-NOW", "OLD-REJ"}  # BOTH was written now
    assert set(state.pending["invoices"]) == {"100"}
    assert set(state.products) == {"REJ-NOW", "OLD-REJ"}
    # Later copies of the entry are still ignored.
    assert not state.load_state_message({"bookmarks": {BOOKMARK: older}})


def test_target_merges_an_entry_sent_after_a_written_batch():
    written = {"sku": "NEW-1", "name": "New", "type": "simple", "price": Decimal("3.00")}
    more = {"sku": "NEW-2", "name": "Newer", "type": "simple", "price": Decimal("4.00")}
    older = {"realm_id": REALM, "v": 1, "items": {"OLD-1": "5:0:00000000"},
             "customers": {}, "invoices": {}, "credit_memos": {},
             "pending": {"products": {"OLD-2": {
                 "status": "deferred", "reason": "x", "since": "t", "attempts": 1,
                 "record": {"sku": "OLD-2", "name": "Old", "type": "simple", "price": "5"}}}}}
    _, states = run([schema("products"), record("products", written),
                     record("products", more),
                     state_message({"bookmarks": {"products": {"replication_key_value": "r"},
                                                  BOOKMARK: older}})], batch_size=1)
    final = states[-1]["bookmarks"][BOOKMARK]
    assert set(final["items"]) == {"OLD-1", "NEW-1", "NEW-2"}
    assert final["items"]["OLD-1"] == "5:0:00000000"
    # The products stream was already retried this run: kept for the next one, not lost.
    assert final["pending"]["products"]["OLD-2"]["attempts"] == 1


@pytest.mark.parametrize("line", [
    '{"type":"STATE","value":{"bookmarks":{"target-quickbooks":'
    '{"items":{"a":"1"},"items":{"b":"2"}}}}}',
    '{"type":"STATE","value":{"bookmarks":{"target-quickbooks":{"items":{"a":"1"}},'
    '"target-quickbooks":{"items":{"b":"2"}}}}}',
    '{"type":"STATE","value":{"bookmarks":{"target-quickbooks":{"items":{"a":"1"}}}},'
    '"value":{"bookmarks":{"target-quickbooks":{"items":{"b":"2"}}}}}',
])
def test_repeated_keys_on_the_entry_path_are_left_to_the_plain_parser(line):
    """json.loads keeps the last copy; the streamed maps could only be the union."""
    assert decode_state_line(line, collect({})) is None
    reader = StateMapReader()
    message = reader.deserialize_json(line)
    assert reader.take_maps() is None
    assert message["value"]["bookmarks"][BOOKMARK]["items"] == {"b": "2"}


def test_any_python_string_is_a_key_lone_surrogates_included():
    keys = ["\ud800", "a\udfffb", "\U0001f600", "\ue000", "\ud7ff", "\x00"]
    idmap = IdMap()
    for n, key in enumerate(keys):
        idmap.set("items", key, f"{n}:0:x")
    assert [key for key, _ in idmap.items("items")] == sorted(keys)
    assert idmap.get("items", "\ud800") == "0:0:x"
    state = SyncState(REALM)
    state.idmap = idmap
    out = io.StringIO()
    state.write_merged(out, {})
    again = SyncState(REALM)
    reader = StateMapReader()
    message = reader.deserialize_json(serialize_json({"type": "STATE",
                                                      "value": json.loads(out.getvalue())}))
    assert again.load_state_message(message["value"], reader.take_maps())
    assert again.idmap.as_dict("items") == idmap.as_dict("items")


def test_no_message_from_the_tap_emits_no_state():
    """A tap that failed at start: Meltano must keep the state it has."""
    _, states = run([])
    assert states == []
    _, states = run([schema("products")])
    assert states == []


def test_early_marks_stay_out_of_memory_and_are_cleared_after_the_merge():
    state = SyncState(REALM)
    state.put("items", "A", MapEntry("1", "0", "x"))
    assert state.idmap.is_marked("items", "A")
    assert state.load_state_message({"bookmarks": {BOOKMARK: {"realm_id": REALM,
                                                              "items": {"B": "2:0:y"}}}})
    assert not state.idmap.is_marked("items", "A")
    state.put("items", "C", MapEntry("3", "0", "z"))  # after loading: not marked
    assert not state.idmap.is_marked("items", "C")
    assert state.idmap.as_dict("items") == {"A": "1:0:x", "B": "2:0:y", "C": "3:0:z"}


def test_late_entry_does_not_bring_back_what_this_run_forgot():
    state = SyncState(REALM)
    state.put("items", "GONE", MapEntry("9", "0", "x"))
    state.forget("items", "GONE")  # deleted in QuickBooks, found this run
    assert state.load_state_message({"bookmarks": {BOOKMARK: {
        "realm_id": REALM, "items": {"GONE": "9:0:x", "KEPT": "10:0:y"}}}})
    assert state.idmap.as_dict("items") == {"KEPT": "10:0:y"}
