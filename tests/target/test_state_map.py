"""State: loading the ID map from the first STATE message, merging it back, realm scoping."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout
from decimal import Decimal

from singer_sdk import Tap
from singer_sdk import typing as th
from target_quickbooks.state import BOOKMARK, MapEntry, SyncState, json_safe, without_entry

REALM = "9130350000000001"


def entry(**extra):
    value = {"realm_id": REALM, "v": 1, "items": {"SKU-1": "101:3:abcd1234"},
             "customers": {"42": "58:0:deadbeef"}, "invoices": {"1001": "130"},
             "credit_memos": {}, "suffixed": ["SKU-9"], "products": {"SKU-1": ["created", "x"]},
             "pending": {}, "results": {}, "last_run": None}
    value.update(extra)
    return value


def test_first_state_message_with_entry_is_loaded_once():
    state = SyncState(REALM)
    assert not state.load_state_message({"bookmarks": {"products": {"replication_key": "x"}}})
    assert state.load_state_message({"bookmarks": {BOOKMARK: entry()}})
    assert state.get("items", "SKU-1") == MapEntry("101", "3", "abcd1234")
    assert state.get("customers", "42") == MapEntry("58", "0", "deadbeef")
    assert state.get("invoices", "1001") == MapEntry("130")
    assert state.suffixed == {"SKU-9"}
    later = entry(items={"SKU-1": "999:9:00000000"})
    assert not state.load_state_message({"bookmarks": {BOOKMARK: later}})
    assert state.get("items", "SKU-1").id == "101"


def test_map_of_another_realm_is_not_used_but_kept():
    state = SyncState(REALM)
    assert not state.load_state_message({"bookmarks": {BOOKMARK: entry(realm_id="123")}})
    assert state.get("items", "SKU-1") is None
    merged = state.merged_into({"bookmarks": {BOOKMARK: entry(realm_id="123")}})
    assert merged["bookmarks"][BOOKMARK]["realm_id"] == REALM
    assert merged["bookmarks"][BOOKMARK]["items"] == {}
    assert merged["bookmarks"][BOOKMARK]["other_realms"]["123"] == entry(realm_id="123")


def test_switching_realm_and_back_restores_the_first_realms_map_and_pending():
    """Review F9: a realm switch threw away the other realm's ID map and pending records."""
    pending = {"invoices": {"9": {"status": "deferred", "reason": "r", "record": {"id": "9"}}}}
    first = entry(realm_id="123", pending=pending)
    other = SyncState(REALM)
    assert not other.load_state_message({"bookmarks": {BOOKMARK: first}})
    other.put("items", "SKU-7", MapEntry("7", "0", "aaaa0000"))
    emitted = json.loads(json.dumps(other.merged_into({})))
    back = SyncState("123")
    assert back.load_state_message(emitted)
    assert back.get("items", "SKU-1") == MapEntry("101", "3", "abcd1234")
    assert back.get("items", "SKU-7") is None
    assert back.pending_of("invoices") == pending["invoices"]
    ours = back.to_bookmark()
    assert ours["realm_id"] == "123"
    assert ours["other_realms"][REALM]["items"] == {"SKU-7": "7:0:aaaa0000"}
    assert "other_realms" not in ours["other_realms"][REALM]
    again = SyncState(REALM)
    assert again.load_state_message(json.loads(json.dumps(back.merged_into({}))))
    assert again.get("items", "SKU-7") == MapEntry("7", "0", "aaaa0000")
    assert set(again.to_bookmark()["other_realms"]) == {"123"}


def test_product_status_is_kept_only_when_not_synced():
    state = SyncState(REALM)
    state.set_product_status("SKU-1", "rejected")
    state.set_product_status("SKU-2", "created")
    assert set(state.to_bookmark()["products"]) == {"SKU-1"}
    state.set_product_status("SKU-1", "unchanged")
    assert state.to_bookmark()["products"] == {}
    loaded = SyncState(REALM)
    loaded.load_state_message({"bookmarks": {BOOKMARK: entry(
        products={"A": ["created", "x"], "B": ["skipped", "y"]})}})
    assert loaded.products == {"B": ["skipped", "y"]}


def test_merge_keeps_tap_bookmarks_and_replaces_only_our_entry():
    state = SyncState(REALM)
    state.load_state_message({"bookmarks": {BOOKMARK: entry()}})
    state.put("items", "SKU-2", MapEntry("102", "0", "11112222"))
    state.put("invoices", "1002", MapEntry("131", "0", "25.00/58/abcd0123"))
    tap_state = {"bookmarks": {"products": {"replication_key_value": "2026-03-01"},
                               BOOKMARK: entry()}}
    merged = state.merged_into(tap_state)
    assert merged["bookmarks"]["products"] == {"replication_key_value": "2026-03-01"}
    ours = merged["bookmarks"][BOOKMARK]
    assert ours["items"] == {"SKU-1": "101:3:abcd1234", "SKU-2": "102:0:11112222"}
    # Documents keep Id:SyncToken:fingerprint (drift.py); entries of older states stay "Id".
    assert ours["invoices"] == {"1001": "130", "1002": "131:0:25.00/58/abcd0123"}
    assert tap_state["bookmarks"][BOOKMARK]["items"] == {"SKU-1": "101:3:abcd1234"}
    round_trip = SyncState(REALM)
    assert round_trip.load_state_message(json.loads(json.dumps(merged)))
    assert round_trip.to_bookmark() == ours


def test_pending_records_round_trip_exactly():
    state = SyncState(REALM)
    record = {"id": "1", "grand_total": Decimal("12.30"), "items": [{"qty": Decimal("1")}]}
    state.add_pending("invoices", "1", record, status="deferred", reason="customer missing")
    state.add_pending("invoices", "1", record, status="rejected", reason="bad",
                      code="6000", detail="Detail", intuit_tid="tid", hint="fix it")
    pending = state.to_bookmark()["pending"]["invoices"]["1"]
    assert pending["attempts"] == 2
    assert pending["record"] == {"id": "1", "grand_total": "12.30", "items": [{"qty": "1"}]}
    assert pending["code"] == "6000"
    assert pending["intuit_tid"] == "tid"
    assert json.loads(json.dumps(state.to_bookmark())) == state.to_bookmark()
    state.drop_pending("invoices", "1")
    assert state.pending_count() == 0
    assert "invoices" not in state.to_bookmark()["pending"]


def test_json_safe():
    value = {"a": Decimal("1.10"), "b": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
             "c": (1, 2)}
    assert json_safe(value) == {"a": "1.10", "b": "2026-01-01T00:00:00+00:00", "c": [1, 2]}


class _EmptyTap(Tap):
    """A singer-sdk tap with no streams, to check how taps pass bookmarks through."""

    name = "tap-empty"
    config_jsonschema = th.PropertiesList().to_dict()

    def discover_streams(self):
        return []


def test_singer_sdk_tap_re_emits_our_bookmark_before_records():
    """The whole mechanism rests on this: a tap re-emits every bookmarks entry."""
    tap = _EmptyTap(config={}, state={"bookmarks": {BOOKMARK: entry()}})
    out = io.StringIO()
    with redirect_stdout(out):
        tap.sync_all()
    messages = [json.loads(line) for line in out.getvalue().splitlines()]
    assert messages[0]["type"] == "STATE"
    assert messages[0]["value"]["bookmarks"][BOOKMARK] == entry()


def test_incoming_states_are_kept_without_the_old_map() -> None:
    big = {"realm_id": "1", "items": {f"SKU-{n}": f"{n}:0:abcd" for n in range(1000)}}
    value = {"bookmarks": {"products": {"replication_key_value": "x"}, BOOKMARK: big}}
    stripped = without_entry(value)
    assert stripped == {"bookmarks": {"products": {"replication_key_value": "x"}}}
    assert BOOKMARK in value["bookmarks"]  # the message itself is not changed
    assert without_entry({"bookmarks": {}}) == {"bookmarks": {}}
