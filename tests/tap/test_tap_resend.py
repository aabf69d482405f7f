"""The tap sends again the documents the target lists under ``resend`` (deleted in QuickBooks).

Against the myFulfillment emulator over real sockets: the documents come out by id,
before the incremental records, and the stream's bookmark does not move back.
"""

from __future__ import annotations

import typing as t

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from tap_fakes import run_sync
from tap_myfulfillment.foreign_state import ForeignBookmark, member_text, split_state_text
from tap_myfulfillment.resend import resend_ids
from tap_myfulfillment.streams import STREAM_NAMES

TARGET = "target-quickbooks"


@pytest.fixture
def shop() -> t.Iterator[MyFulfillmentEmulator]:
    with MyFulfillmentEmulator(dataset="demo") as emu:
        yield emu


def _config(emu: MyFulfillmentEmulator) -> dict[str, t.Any]:
    return {"base_url": emu.url, "username": "demo", "password": "demo-password"}


def test_resend_is_read_from_the_target_entry_without_its_maps():
    text = ('{"bookmarks": {"invoices": {"replication_key_value": "2026-03-01T00:00:00+00:00"}, '
            '"target-quickbooks": {"items": {"A\\"}": "1:0:x"}, "resend": '
            '{"invoices": ["7", 8], "credit_memos": []}, "pending": {}}}}')
    _own, foreign = split_state_text(text, STREAM_NAMES)
    assert resend_ids(foreign) == {"invoices": ["7", "8"], "credit_memos": []}
    assert resend_ids({}) == {}
    assert resend_ids({TARGET: ForeignBookmark.of('{"items": {}}')}) == {}
    assert resend_ids({TARGET: ForeignBookmark.of('{"resend": "nonsense"}')}) == {}
    assert member_text(ForeignBookmark.of("[1, 2]"), "resend") is None


def test_listed_documents_are_sent_again_and_the_bookmark_stays(shop):
    first = run_sync(_config(shop))
    bookmark = first.state["bookmarks"]["invoices"]
    invoices = sorted(shop.store.invoices(), key=lambda doc: str(doc["updated_at"]))
    wanted = [str(invoices[0]["id"]), str(invoices[1]["id"])]
    state = {"bookmarks": {**first.state["bookmarks"],
                           TARGET: {"items": {}, "resend": {"invoices": [*wanted, "nope"]}}}}

    again = run_sync(_config(shop), state=state)

    assert [r["id"] for r in again.records("invoices")] == wanted
    assert again.records("credit_memos") == []
    assert again.state["bookmarks"]["invoices"] == bookmark
    full = {str(r["id"]): r for r in first.records("invoices")}
    assert again.records("invoices")[0] == full[wanted[0]]


def test_no_resend_no_extra_request(shop):
    first = run_sync(_config(shop))
    shop.reset_stats()
    run_sync(_config(shop), state=first.state)
    quiet = shop.stats()
    shop.reset_stats()
    state = {"bookmarks": {**first.state["bookmarks"], TARGET: {"resend": {}}}}
    run_sync(_config(shop), state=state)
    assert shop.stats() == quiet
