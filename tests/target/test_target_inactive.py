"""Documents whose item or customer is inactive in QuickBooks, over HTTP against the emulator.

QuickBooks refuses a transaction that references an inactive Item or Customer (2500);
the target makes them active for the write and inactive again right after, saving the
intent in the state first (``writer/inactive.py``).
"""

from __future__ import annotations

import io
import json
import logging
from contextlib import redirect_stdout
from decimal import Decimal
from typing import Any

import pytest
from quickbooks_emulator import QuickBooksEmulator
from singer_sdk.singerlib.json import serialize_json
from target_quickbooks.qbo import BatchOperation
from target_quickbooks.state import BOOKMARK
from target_quickbooks.target import RecordsRejectedError, TargetQuickBooks, build_client
from test_target_fakes import (
    CONFIG,
    REALM,
    FakeQuickBooks,
    fault,
    record,
    schema,
    state_message,
)

D = Decimal

PRODUCTS = [
    {"sku": "LIVE-1", "name": "Produit actif", "type": "simple", "price": D("10.00"),
     "qty": D("5"), "status": "1"},
    {"sku": "DIS-1", "name": "Produit désactivé", "type": "simple", "price": D("10.00"),
     "qty": D("5"), "status": "0"},
    {"sku": "GONE-1_deleted", "name": "Produit supprimé", "type": "virtual",
     "price": D("20.00"), "status": "0"},
]
CUSTOMER = {"customer_key": "42", "customer_id": "42", "firstname": "Camille",
            "lastname": "Martin", "email": "camille@example.fr"}


def line(sku: str, price: str, qty: str = "1") -> dict[str, Any]:
    total = D(price) * D(qty)
    return {"sku": sku, "name": sku, "qty": D(qty), "price": D(price), "tax_percent": D("20"),
            "tax_amount": total * D("0.2"), "row_total": total}


def document(doc_id: str, number: str, *lines: dict[str, Any]) -> dict[str, Any]:
    subtotal = sum((item["row_total"] for item in lines), D(0))
    tax = sum((item["tax_amount"] for item in lines), D(0))
    return {"id": doc_id, "increment_id": number, "customer_key": "42",
            "customer_firstname": "Camille", "customer_lastname": "Martin",
            "created_at": "2026-03-01T10:00:00+00:00", "items": list(lines),
            "subtotal": subtotal, "tax_amount": tax, "shipping_amount": D(0),
            "shipping_tax_amount": D(0), "discount_amount": D(0),
            "grand_total": subtotal + tax}


INVOICE = document("5001", "FA-5001", line("LIVE-1", "10.00"), line("DIS-1", "10.00", "2"),
                   line("GONE-1", "20.00"))
MEMO = document("7001", "AV-7001", line("DIS-1", "10.00"))


@pytest.fixture
def emu():
    with QuickBooksEmulator(per_second=None, per_minute=None, batch_per_minute=None) as qbo:
        yield qbo


def settings(emu, tmp_path) -> dict[str, Any]:
    return {**CONFIG, "api_url": emu.api_url, "oauth_discovery_url": emu.discovery_url,
            "token_store_path": str(tmp_path / "tokens.json"), "max_requests_per_second": 100}


def messages(*, state: dict | None = None, products=PRODUCTS, invoices=(INVOICE,),
             memos=(MEMO,)) -> list[dict]:
    tap_state = state or {"bookmarks": {}}
    return [
        state_message(tap_state),
        schema("products"), *(record("products", p) for p in products),
        schema("customers"), record("customers", CUSTOMER),
        schema("invoices"), *(record("invoices", i) for i in invoices),
        schema("credit_memos"), *(record("credit_memos", m) for m in memos),
    ]


def run_target(config: dict, msgs: list[dict], client: Any = None, *,
               expect_rejected: bool = False) -> tuple[TargetQuickBooks, list[dict]]:
    """Run the target in process; return it and every STATE it emitted, in order."""
    target = TargetQuickBooks(config=config, client=client)
    out = io.StringIO()
    with redirect_stdout(out):
        target.process_lines(io.StringIO("".join(serialize_json(m) + "\n" for m in msgs)))
        if expect_rejected:
            with pytest.raises(RecordsRejectedError):
                target.process_endofpipe()
        else:
            target.process_endofpipe()
    return target, [json.loads(text) for text in out.getvalue().splitlines()]


def run(emu, tmp_path, msgs, client: Any = None, *, expect_rejected: bool = False
        ) -> tuple[TargetQuickBooks, list[dict]]:
    return run_target(settings(emu, tmp_path), msgs, client, expect_rejected=expect_rejected)


def entry(state: dict) -> dict:
    return state["bookmarks"][BOOKMARK]


def item(emu, sku: str) -> dict:
    (found,) = [i for i in emu.entities("Item") if i.get("Sku") == sku]
    return found


def test_documents_of_disabled_and_deleted_products_are_booked_and_items_end_inactive(
        emu, tmp_path):
    target, states = run(emu, tmp_path, messages())
    results = target.results.as_dict()
    assert results["invoices"]["created"] == 1 and results["credit_memos"]["created"] == 1
    (invoice,) = emu.entities("Invoice")
    assert D(str(invoice["TotalAmt"])) == INVOICE["grand_total"]
    (memo,) = emu.entities("CreditMemo")
    assert D(str(memo["TotalAmt"])) == MEMO["grand_total"]
    # One item per product: the deleted product is the item of its original SKU.
    skus = sorted(i.get("Sku") for i in emu.entities("Item") if i.get("Sku"))
    assert skus == ["DIS-1", "GONE-1", "LIVE-1"]
    assert item(emu, "DIS-1")["Active"] is False
    assert item(emu, "GONE-1")["Active"] is False
    assert item(emu, "LIVE-1")["Active"] is True
    # The intent was saved before the items were made active, and is gone at the end.
    ids = {item(emu, sku)["Id"] for sku in ("DIS-1", "GONE-1")}
    saved = [set(entry(s).get("reactivated", {})) for s in states if BOOKMARK in
             s.get("bookmarks", {})]
    assert {f"Item:{i}" for i in ids} <= set().union(*saved)
    final = entry(states[-1])
    assert "reactivated" not in final and not final["pending"]
    assert set(final["items"]) == {"LIVE-1", "DIS-1", "GONE-1"}

    # A second run changes nothing in QuickBooks.
    emu.reset_stats()
    target, _ = run(emu, tmp_path, messages(state=states[-1]))
    by_kind = emu.stats().get("by_kind", {})
    assert by_kind.get("create", 0) == 0 and by_kind.get("update", 0) == 0
    assert target.results.as_dict()["invoices"]["unchanged"] == 1
    assert item(emu, "DIS-1")["Active"] is False


def test_first_run_without_a_tap_state_before_the_records_still_saves_the_intent_first(
        emu, tmp_path):
    """A first run: the tap sends its first STATE after the records (nothing to resume)."""
    target, states = run(emu, tmp_path, messages()[1:])
    assert target.results.as_dict()["invoices"]["created"] == 1
    checkpoints = [s for s in states if entry(s).get("reactivated")]
    assert checkpoints and all(s["bookmarks"].keys() == {BOOKMARK} for s in checkpoints)
    assert item(emu, "DIS-1")["Active"] is False
    assert "reactivated" not in entry(states[-1])


def test_customer_inactive_in_quickbooks_gets_its_documents_and_stays_inactive(emu, tmp_path):
    inactive = emu.add_entity("Customer", {"DisplayName": "Camille Martin (#42)",
                                           "GivenName": "Camille", "FamilyName": "Martin",
                                           "Active": False})
    live_only = [PRODUCTS[0]]
    invoice = document("5002", "FA-5002", line("LIVE-1", "10.00"))
    target, states = run(emu, tmp_path, messages(products=live_only, invoices=(invoice,),
                                                 memos=()))
    assert target.results.as_dict()["invoices"]["created"] == 1
    (written,) = emu.entities("Invoice")
    assert written["CustomerRef"]["value"] == inactive["Id"]
    (customer,) = emu.entities("Customer")
    assert customer["Active"] is False
    assert "reactivated" not in entry(states[-1])


def test_a_2500_with_no_inactive_item_or_customer_is_rejected_as_before(tmp_path):
    """An inactive account or tax code is a setting for a person: nothing is reactivated."""
    fake = FakeQuickBooks()
    fake.inject.append(lambda op: fault("2500", "Invalid Reference Id", "made inactive")
                       if op.entity == "Invoice" else None)
    msgs = messages(products=[PRODUCTS[0]],
                    invoices=(document("5003", "FA-5003", line("LIVE-1", "10.00")),), memos=())
    _target, states = run_target(CONFIG, msgs, fake, expect_rejected=True)
    pending = entry(states[-1])["pending"]["invoices"]
    assert pending["5003"]["code"] == "2500"
    # Sent once more (the references may have been made active meanwhile), then kept.
    creates = [op for op in fake.writes() if op.entity == "Invoice"]
    assert [op.request_key for op in creates] == ["invoices:5003", "invoices:5003:reactivated"]
    assert [op.operation for op in fake.writes() if op.entity == "Item"] == ["create"]
    assert not [op for op in fake.writes() if op.entity == "Customer"
                and op.operation == "update"]


class RacingClient:
    """The real client; a products feed writes an item while the documents are written."""

    def __init__(self, inner: Any, write: dict[str, Any]) -> None:
        self.inner = inner
        self.write = write
        self.raced = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def batch(self, operations):
        if not self.raced and any(op.request_key.endswith(":reactivated")
                                  for op in operations):
            self.raced = True
            current = self.inner.read("Item", self.write["Id"])
            update = {**self.write, "SyncToken": current["SyncToken"], "sparse": True}
            self.inner.batch([BatchOperation("Item", "update", update, request_key="feed")])
        return self.inner.batch(operations)


def test_a_products_feed_reactivating_the_item_meanwhile_wins(emu, tmp_path, caplog):
    """The source re-enabled the product: the feed's ``Active: true`` is not overturned."""
    run(emu, tmp_path, messages(invoices=(), memos=()))
    disabled = item(emu, "DIS-1")
    client = RacingClient(build_client(settings(emu, tmp_path), logging.getLogger("test")),
                          {"Id": disabled["Id"], "Active": True, "UnitPrice": 11})
    caplog.set_level(logging.WARNING)
    target, states = run(emu, tmp_path, messages(products=(), memos=()), client=client)
    assert client.raced
    assert target.results.as_dict()["invoices"]["created"] == 1
    assert item(emu, "DIS-1")["Active"] is True
    assert D(str(item(emu, "DIS-1")["UnitPrice"])) == 11
    assert item(emu, "GONE-1")["Active"] is False
    assert "reactivated" not in entry(states[-1])
    assert "left as that write left it" in caplog.text


def test_a_products_feed_deactivating_the_item_meanwhile_wins_and_the_document_waits(
        emu, tmp_path):
    """The feed's ``Active: false`` lands before the document: it is retried next run."""
    run(emu, tmp_path, messages(invoices=(), memos=()))
    disabled = item(emu, "DIS-1")
    client = RacingClient(build_client(settings(emu, tmp_path), logging.getLogger("test")),
                          {"Id": disabled["Id"], "Active": False, "UnitPrice": 11})
    _target, states = run(emu, tmp_path, messages(products=(), memos=()), client,
                          expect_rejected=True)
    assert client.raced
    assert emu.entities("Invoice") == []
    assert item(emu, "DIS-1")["Active"] is False
    state = states[-1]
    assert "5001" in entry(state)["pending"]["invoices"]
    assert "reactivated" not in entry(state)
    _target, states = run(emu, tmp_path, [state_message(state)])
    assert len(emu.entities("Invoice")) == 1
    assert item(emu, "DIS-1")["Active"] is False
    assert not entry(states[-1])["pending"]


def intent_state(emu, tmp_path, intents: dict[str, dict[str, str]]) -> dict:
    _target, states = run(emu, tmp_path, messages(invoices=(), memos=()))
    state = states[-1]
    entry(state)["reactivated"] = intents
    return state


def make_active(emu, tmp_path, sku: str) -> tuple[str, str, str]:
    """Make an item active as an interrupted run would have: (Id, token before, after)."""
    before = item(emu, sku)
    client = build_client(settings(emu, tmp_path), logging.getLogger("test"))
    after = client.update("Item", {"Id": before["Id"], "SyncToken": before["SyncToken"],
                                   "sparse": True, "Active": True}, request_id=f"t-{sku}")
    return before["Id"], before["SyncToken"], after["SyncToken"]


@pytest.mark.parametrize("after_known", [True, False])
def test_a_run_that_stopped_after_reactivating_is_undone_by_the_next_run(
        emu, tmp_path, after_known):
    state = intent_state(emu, tmp_path, {})
    object_id, before, after = make_active(emu, tmp_path, "DIS-1")
    intent = {"token": before, **({"after": after} if after_known else {})}
    entry(state)["reactivated"] = {f"Item:{object_id}": intent}
    assert item(emu, "DIS-1")["Active"] is True
    # The next run, with nothing new from the tap, settles it first.
    _target, states = run(emu, tmp_path, [state_message(state)])
    assert item(emu, "DIS-1")["Active"] is False
    assert "reactivated" not in entry(states[-1])


def test_after_a_crash_an_item_changed_since_is_left_as_the_last_writer_left_it(
        emu, tmp_path):
    state = intent_state(emu, tmp_path, {})
    object_id, before, after = make_active(emu, tmp_path, "DIS-1")
    client = build_client(settings(emu, tmp_path), logging.getLogger("test"))
    client.update("Item", {"Id": object_id, "SyncToken": after, "sparse": True,
                           "UnitPrice": 12}, request_id="someone-else")
    entry(state)["reactivated"] = {f"Item:{object_id}": {"token": before}}
    _target, states = run(emu, tmp_path, [state_message(state)])
    assert item(emu, "DIS-1")["Active"] is True
    assert "reactivated" not in entry(states[-1])


def test_after_a_crash_before_the_reactivation_nothing_is_undone(emu, tmp_path):
    state = intent_state(emu, tmp_path, {})
    disabled = item(emu, "DIS-1")
    entry(state)["reactivated"] = {f"Item:{disabled['Id']}": {"token": disabled["SyncToken"]}}
    emu.reset_stats()
    _target, states = run(emu, tmp_path, [state_message(state)])
    assert item(emu, "DIS-1")["SyncToken"] == disabled["SyncToken"]
    assert emu.stats().get("by_kind", {}).get("update", 0) == 0
    assert "reactivated" not in entry(states[-1])
    assert REALM == entry(states[-1])["realm_id"]
