"""Review fixes with a fake client: feeds with their own state, canceled documents,
customer lookup by discriminator, failing recoveries, account queries, state interval."""

from __future__ import annotations

import io
import json
import logging
from contextlib import redirect_stdout
from decimal import Decimal

from singer_sdk.singerlib.json import serialize_json
from target_quickbooks.state import BOOKMARK
from target_quickbooks.target import TargetQuickBooks
from test_target_documents import CUSTOMER, PRODUCT, invoice, ours, run
from test_target_fakes import FakeQuickBooks, fault, record, schema, state_message

D = Decimal
PRODUCT_B = {"sku": "SKU-B", "name": "Licence", "type": "virtual", "price": D("99.00")}


def seeded() -> FakeQuickBooks:
    """A company where an earlier feed already wrote both products and the customer."""
    fake = FakeQuickBooks()
    run(fake, [schema("products"), record("products", PRODUCT), record("products", PRODUCT_B),
               schema("customers"), record("customers", CUSTOMER)])
    fake.calls.clear()
    return fake


def updates(fake):
    return [op for op in fake.writes() if op.operation == "update"]


# 1. update feed with its own (empty) state --------------------------------------------------

def test_update_feed_with_empty_map_sends_nothing_for_identical_items_and_customers():
    fake = seeded()
    _t, state = run(fake, [schema("products"), record("products", PRODUCT),
                           record("products", PRODUCT_B),
                           schema("customers"), record("customers", CUSTOMER)],
                    product_mode="update")
    assert fake.writes() == []
    assert ours(state)["results"]["products"]["unchanged"] == 2
    assert ours(state)["results"]["customers"]["unchanged"] == 1
    # The map now carries the content hash: the next run decides without QuickBooks.
    assert all(value.split(":")[2] for value in ours(state)["items"].values())
    fake.calls.clear()
    run(fake, [state_message(state), schema("products"),
               record("products", PRODUCT)], product_mode="update")
    assert fake.writes() == []
    assert fake.reads() == []


def test_update_feed_sends_only_the_changed_field():
    fake = seeded()
    _t, state = run(fake, [schema("products"), record("products", PRODUCT),
                           record("products", {**PRODUCT_B, "price": D("89.00")}),
                           schema("customers"),
                           record("customers", {**CUSTOMER, "phone": "0102030405"})],
                    product_mode="update")
    item_update, customer_update = updates(fake)
    assert set(item_update.payload) == {"UnitPrice", "Id", "SyncToken", "sparse"}
    assert item_update.payload["UnitPrice"] == 89.0
    assert set(customer_update.payload) == {"PrimaryPhone", "Id", "SyncToken", "sparse"}
    assert ours(state)["results"]["products"] == {**ours(state)["results"]["products"],
                                                  "updated": 1, "unchanged": 1}


# 2. canceled documents ------------------------------------------------------------------

def test_canceled_invoice_not_in_quickbooks_is_skipped_with_reason(caplog):
    fake = seeded()
    caplog.set_level(logging.INFO, logger="target-quickbooks")
    logger = logging.getLogger("target-quickbooks")
    logger.addHandler(caplog.handler)
    try:
        _t, state = run(fake, [schema("invoices"),
                               record("invoices", invoice(state="canceled"))])
    finally:
        logger.removeHandler(caplog.handler)
    assert fake.entities("Invoice") == []
    assert ours(state)["results"]["invoices"]["skipped"] == 1
    assert not ours(state)["pending"]
    assert "canceled at the source and not in QuickBooks" in caplog.text


def test_canceled_invoice_already_in_quickbooks_is_voided_once():
    fake = seeded()
    _t, state = run(fake, [schema("invoices"), record("invoices", invoice(state="open"))])
    (written,) = fake.entities("Invoice")
    fake.calls.clear()
    _t, state = run(fake, [state_message(state), schema("invoices"),
                           record("invoices", invoice(state="canceled"))])
    voids = [call for call in fake.calls if call[0] == "void"]
    assert voids == [("void", {"Id": written["Id"], "SyncToken": "0"})]
    (voided,) = fake.entities("Invoice")
    assert voided["TotalAmt"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert ours(state)["results"]["invoices"]["updated"] == 1
    assert ours(state)["voided"] == ["1001"]
    fake.calls.clear()
    _t, state = run(fake, [state_message(state), schema("invoices"),
                           record("invoices", invoice(state="canceled"))])
    assert [call for call in fake.calls if call[0] == "void"] == []
    assert ours(state)["results"]["invoices"]["unchanged"] == 1


def test_canceled_invoice_found_by_docnumber_without_map_is_voided():
    fake = seeded()
    run(fake, [schema("invoices"), record("invoices", invoice())])
    fake.calls.clear()
    _t, state = run(fake, [schema("invoices"), record("invoices", invoice(state="canceled"))])
    assert [call[0] for call in fake.calls].count("void") == 1
    assert ours(state)["results"]["invoices"]["updated"] == 1


def test_canceled_credit_memo_written_needs_attention_until_zeroed():
    fake = seeded()
    memo = invoice(id="7001", increment_id="CM-7001")
    fake.inject.append(lambda op: op.payload.update(TotalAmt=28.0) and None
                       if op.entity == "CreditMemo" else None)
    _t, state = run(fake, [schema("credit_memos"), record("credit_memos", memo)])
    fake.calls.clear()
    _t, state = run(fake, [state_message(state), schema("credit_memos"),
                           record("credit_memos", {**memo, "state": "canceled"})])
    kept = ours(state)["pending"]["credit_memos"]["7001"]
    assert kept["status"] == "needs_attention"
    assert kept["field"] == "state"
    assert "cannot void a credit memo" in kept["reason"]
    assert "delete it in QuickBooks" in kept["hint"]
    assert fake.writes() == []
    assert ours(state)["results"]["credit_memos"]["rejected"] == 0
    # Still there on the next run (retried from pending); cleared once zeroed by a person.
    _t, state = run(fake, [state_message(state)])
    assert ours(state)["pending"]["credit_memos"]["7001"]["attempts"] == 2
    fake.entities("CreditMemo")[0]["TotalAmt"] = 0  # a person zeroed it in QuickBooks
    _t, state = run(fake, [state_message(state)])
    assert not ours(state)["pending"]
    assert ours(state)["results"]["credit_memos"]["unchanged"] == 1


def test_canceled_credit_memo_never_written_is_skipped():
    fake = seeded()
    memo = invoice(id="7002", increment_id="CM-7002", state="canceled")
    _t, state = run(fake, [schema("credit_memos"), record("credit_memos", memo)])
    assert fake.entities("CreditMemo") == []
    assert ours(state)["results"]["credit_memos"]["skipped"] == 1


# 3. customer found by discriminator -------------------------------------------------------

def test_invoice_feed_finds_renamed_registered_and_guest_customers_by_discriminator():
    fake = seeded()
    guest = {"customer_key": "guest:jo@example.com", "email": "jo@example.com",
             "firstname": "Jo", "lastname": "New"}
    run(fake, [schema("customers"), record("customers", {**CUSTOMER, "lastname": "Durand"}),
               record("customers", guest)])
    # A look-alike that must not match: its discriminator only ends like the wanted one.
    fake.add("Customer", {"DisplayName": "Camille Martin (x#42)"})
    fake.calls.clear()
    old_name = invoice(customer_id="42", customer_firstname="Camille",
                       customer_lastname="Martin")
    no_name = invoice(id="1002", increment_id="INV-1002", customer_key="guest:jo@example.com")
    _t, state = run(fake, [schema("invoices"), record("invoices", old_name),
                           record("invoices", no_name)])
    assert not ours(state).get("pending")
    assert ours(state)["results"]["invoices"]["created"] == 2
    by_name = {c["DisplayName"]: c["Id"] for c in fake.entities("Customer")}
    assert ours(state)["customers"]["42"].split(":")[0] == by_name["Camille Durand (#42)"]
    likes = [s for kind, s in fake.calls if kind == "query" and " LIKE " in str(s)]
    assert sorted(likes) == sorted([
        "SELECT * FROM Customer WHERE DisplayName LIKE '%(#42)' AND Active IN (true, false) "
        "STARTPOSITION 1 MAXRESULTS 1000",
        "SELECT * FROM Customer WHERE DisplayName LIKE '%(jo@example.com)' AND "
        "Active IN (true, false) STARTPOSITION 1 MAXRESULTS 1000"])
    batches = [ops for kind, ops in fake.calls if kind == "batch"
               and any(op.operation == "query" for op in ops)]
    assert len(batches) == 1  # both lookups in one batch request


def test_discriminator_with_a_quote_is_escaped():
    fake = seeded()
    guest = {"customer_key": "guest:o'brien@example.com", "email": "o'brien@example.com",
             "firstname": "Pat"}
    run(fake, [schema("customers"), record("customers", guest)])
    doc = invoice(customer_key="guest:o'brien@example.com", customer_firstname="Patrick")
    _t, state = run(fake, [schema("invoices"), record("invoices", doc)])
    assert ours(state)["results"]["invoices"]["created"] == 1
    assert any("LIKE '%(o\\'brien@example.com)'" in str(s) for _k, s in fake.calls)


# 5. a failing recovery rejects one record ----------------------------------------------

def test_failed_recovery_read_rejects_only_that_record():
    fake = seeded()
    _t, state = run(fake, [schema("products"), record("products", PRODUCT),
                           record("products", PRODUCT_B)])
    target_id = next(i["Id"] for i in fake.entities("Item") if i.get("Sku") == "SKU-B")

    def stale_then_gone(op):
        if op.operation == "update" and op.payload.get("Id") == target_id:
            del fake.tables["Item"][target_id]  # the recovery's read now fails with 610
            return fault("5010", "Stale Object Error")
        return None

    fake.inject.append(stale_then_gone)
    _t, state = run(fake, [state_message(state), schema("products"),
                           record("products", {**PRODUCT, "price": D("11.00")}),
                           record("products", {**PRODUCT_B, "price": D("1.00")})],
                    expect_rejected=True)
    assert ours(state)["results"]["products"]["updated"] == 1
    kept = ours(state)["pending"]["products"]["SKU-B"]
    assert kept["code"] == "610"
    assert "recovery failed" in kept["reason"]


# 7. no account query when nothing changed -------------------------------------------------

def test_rerun_without_changes_sends_no_query_and_a_change_checks_accounts_once():
    fake = seeded()
    _t, state = run(fake, [schema("products"), record("products", PRODUCT),
                           record("products", PRODUCT_B)])
    fake.calls.clear()
    _t, state = run(fake, [state_message(state), schema("products"),
                           record("products", PRODUCT), record("products", PRODUCT_B)])
    assert fake.reads() == []
    assert fake.writes() == []
    _t, state = run(fake, [state_message(state), schema("products"),
                           record("products", {**PRODUCT, "price": D("12.00")})])
    assert [c for c in fake.reads() if "Account" in str(c)] == [
        ("query", "SELECT * FROM Account")]
    assert len(updates(fake)) == 1


# 6. progress states at most every state_interval_seconds ----------------------------------

def _states(config_extra):
    fake = FakeQuickBooks()
    target = TargetQuickBooks(config={**json.loads(json.dumps(run.__globals__["CONFIG"])),
                                      "batch_size": 1, **config_extra}, client=fake)
    tap_state = {"bookmarks": {"products": {"replication_key_value": "2026-01-01"}}}
    messages = [state_message(tap_state), schema("products"),
                *(record("products", {**PRODUCT, "sku": f"SKU-{n}", "name": f"P {n}"})
                  for n in range(6))]
    out = io.StringIO()
    with redirect_stdout(out):
        target.process_lines(io.StringIO("".join(serialize_json(m) + "\n" for m in messages)))
        target.process_endofpipe()
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_progress_states_are_rate_limited_by_default_and_final_state_is_complete():
    default = _states({})
    assert len(default) == 1
    assert len(default[-1]["bookmarks"][BOOKMARK]["items"]) == 6
    every_batch = _states({"state_interval_seconds": 0})
    assert len(every_batch) >= 6
    assert every_batch[-1]["bookmarks"][BOOKMARK]["items"] == \
        default[-1]["bookmarks"][BOOKMARK]["items"]
