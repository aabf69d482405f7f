"""Issue 10 §4: two source documents that share a number are never merged into one.

"Twins" are two source invoices (or credit memos) with different source ids but the
same number, total, date and customer: nothing QuickBooks holds tells them apart, so
the target must never map both to one QuickBooks document (one would silently
disappear from the books). The first one gets the QuickBooks document, the other is
rejected with the reason and the fix, kept in pending and reported.
"""

from __future__ import annotations

from decimal import Decimal

from target_quickbooks.state import SyncState
from test_target_documents import CUSTOMER, PRODUCT, invoice, ours, run
from test_target_fakes import FakeQuickBooks, record, schema, state_message

D = Decimal


def messages(stream, *docs):
    return [schema("products"), record("products", PRODUCT),
            schema("customers"), record("customers", CUSTOMER),
            schema(stream), *(record(stream, doc) for doc in docs)]


def memo(**fields):
    return invoice(shipping_amount=D(0), shipping_tax_amount=D(0), discount_amount=D(0),
                   grand_total=D("24.00"), **fields)


def assert_one_document_one_twin_rejected(fake, state, stream, entity, keeper, twin):
    (created,) = fake.entities(entity)
    entry = ours(state)
    # Map values are Id:SyncToken:fingerprint (drift.py): compare the Ids.
    assert {k: v.split(":")[0] for k, v in entry[stream].items()} == {keeper: created["Id"]}
    pending = entry["pending"][stream][twin]
    assert pending["status"] == "rejected"
    assert pending["field"] == "increment_id"
    assert repr(keeper) in pending["reason"] and created["Id"] in pending["reason"]
    assert "same number" in pending["reason"]
    assert "its own increment_id" in pending["hint"]


def test_twin_invoices_in_one_batch_are_not_merged():
    fake = FakeQuickBooks()
    twin = invoice(id="1002")  # same increment_id, total, date and customer as 1001
    target, state = run(fake, messages("invoices", invoice(), twin), expect_rejected=True)
    assert_one_document_one_twin_rejected(fake, state, "invoices", "Invoice", "1001", "1002")
    assert target.results.get("invoices", "created") == 1
    assert target.results.get("invoices", "rejected") == 1
    # The twin was never sent: no request was wasted on a certain 6140.
    assert len([op for op in fake.writes() if op.entity == "Invoice"]) == 1


def test_twin_order_in_the_batch_does_not_matter():
    fake = FakeQuickBooks()
    _, state = run(fake, messages("invoices", invoice(id="1002"), invoice()),
                   expect_rejected=True)
    assert_one_document_one_twin_rejected(fake, state, "invoices", "Invoice", "1001", "1002")


def test_twin_credit_memos_in_one_batch_are_not_merged():
    fake = FakeQuickBooks()
    _, state = run(fake, messages("credit_memos", memo(id="CM1", increment_id="AV-1"),
                                  memo(id="CM2", increment_id="AV-1")), expect_rejected=True)
    assert_one_document_one_twin_rejected(fake, state, "credit_memos", "CreditMemo",
                                          "CM1", "CM2")


def test_twin_arriving_in_a_later_run_is_not_adopted():
    fake = FakeQuickBooks()
    _, state = run(fake, messages("invoices", invoice()))
    _target, state2 = run(fake, [state_message(state),
                                 *messages("invoices", invoice(id="1002"))],
                         expect_rejected=True)
    assert_one_document_one_twin_rejected(fake, state2, "invoices", "Invoice", "1001", "1002")
    # Kept and retried: the next run rejects it again (attempts grow), still not adopted.
    _, state3 = run(fake, [state_message(state2)], expect_rejected=True)
    assert ours(state3)["pending"]["invoices"]["1002"]["attempts"] == 2
    assert ours(state3)["invoices"] == ours(state2)["invoices"]


def test_twin_given_its_own_number_at_the_source_is_written():
    fake = FakeQuickBooks()
    _, state = run(fake, messages("invoices", invoice(), invoice(id="1002")),
                   expect_rejected=True)
    _, state2 = run(fake, [state_message(state), *messages(
        "invoices", invoice(id="1002", increment_id="INV-1002"))])
    assert sorted(i["DocNumber"] for i in fake.entities("Invoice")) == ["INV-1001", "INV-1002"]
    assert ours(state2)["pending"] == {}
    assert len({v.split(":")[0] for v in ours(state2)["invoices"].values()}) == 2


def test_twins_through_another_feeds_state():
    """Feed X (the invoices feed) wrote 1001; feed Y (sync-all, its own state) sees both.

    The only shared truth is QuickBooks: Y finds X's document by DocNumber for both
    records and lets exactly one of them (the smaller source id) adopt it.
    """
    fake = FakeQuickBooks()
    _, x_state = run(fake, messages("invoices", invoice()))
    for order in ((invoice(), invoice(id="1002")), (invoice(id="1002"), invoice())):
        target, y_state = run(fake, messages("invoices", *order), expect_rejected=True)
        assert_one_document_one_twin_rejected(fake, y_state, "invoices", "Invoice",
                                              "1001", "1002")
        assert ours(y_state)["invoices"] == ours(x_state)["invoices"]
        assert target.results.get("invoices", "unchanged") == 1


def test_twins_across_states_in_separate_batches_are_still_never_merged_in_one_state():
    """Y sees the twin first, in its own batch: it cannot know which one X wrote.

    The limit (README): Y may map the other twin to the document. It still never maps
    both, and reports the second one as a twin.
    """
    fake = FakeQuickBooks()
    run(fake, messages("invoices", invoice()))
    _, y_state = run(fake, messages("invoices", invoice(id="1002"), invoice()),
                     expect_rejected=True, batch_size=1)
    (created,) = fake.entities("Invoice")
    mapped = ours(y_state)["invoices"]
    assert [value.split(":")[0] for value in mapped.values()] == [created["Id"]]
    (twin,) = ours(y_state)["pending"]["invoices"]
    assert twin not in mapped
    assert "same number" in ours(y_state)["pending"]["invoices"][twin]["reason"]


def test_6140_recovery_never_adopts_an_id_the_map_holds_for_another_document():
    """The DocNumber lookup missed the document (written meanwhile): 6140, then recovery."""
    fake = FakeQuickBooks()
    _, state = run(fake, messages("invoices", invoice()))
    real_query_in = fake.query_in
    misses = []

    def lagging_query_in(entity, field, values, **kwargs):
        if entity == "Invoice" and field == "DocNumber" and not misses:
            misses.append(values)
            return []
        return real_query_in(entity, field, values, **kwargs)

    fake.query_in = lagging_query_in
    _, state2 = run(fake, [state_message(state), *messages("invoices", invoice(id="1002"))],
                    expect_rejected=True)
    assert misses
    assert_one_document_one_twin_rejected(fake, state2, "invoices", "Invoice", "1001", "1002")


def test_a_document_with_the_same_number_but_another_total_is_still_a_duplicate_number():
    fake = FakeQuickBooks()
    other = invoice(id="1002", grand_total=D("29.00"), discount_amount=D("1.00"))
    _, state = run(fake, messages("invoices", invoice(), other), expect_rejected=True)
    pending = ours(state)["pending"]["invoices"]["1002"]
    assert "already used" in pending["reason"]
    assert pending["field"] == "increment_id"
    assert len(fake.entities("Invoice")) == 1


def test_idmap_reverse_lookup_by_quickbooks_id():
    state = SyncState("1")
    state.idmap.set("invoices", "1001", "130")
    state.idmap.set("invoices", "1002", "1300")
    state.idmap.set("credit_memos", "CM1", "130")
    state.idmap.set("items", "SKU-1", "130:2:abcd1234")
    state.idmap.set("items", "SKU-2", "1301:0:")
    assert state.keys_of("invoices", "130") == ["1001"]
    assert state.keys_of("credit_memos", "130") == ["CM1"]
    assert state.keys_of("items", "130") == ["SKU-1"]
    assert state.keys_of("items", "1301") == ["SKU-2"]
    assert state.keys_of("invoices", "999") == []
    plan = state.idmap._db.execute(
        "EXPLAIN QUERY PLAN SELECT key FROM map WHERE kind = 'invoices' AND value = x'313330'"
    ).fetchall()
    assert "USING" in str(plan) and "INDEX" in str(plan).upper()
    assert state.copy().keys_of("invoices", "130") == ["1001"]
