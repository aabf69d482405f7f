"""Issue 10 §5: the credit memos of one invoice together never refund more than it.

In-process with the fake client (one batch, several runs); over HTTP against the
emulator, through another feed's state, in ``test_target_twins_refunds_emulator.py``.
"""

from __future__ import annotations

from decimal import Decimal

from target_quickbooks.state import SyncState
from test_target_documents import CUSTOMER, PRODUCT, invoice, ours, run
from test_target_fakes import FakeQuickBooks, record, schema, state_message

D = Decimal


def refund(id_, number, **fields):
    """A credit memo of 10.00 + 2.00 VAT = 12.00 against invoice 1001 (28.00)."""
    return invoice(id=id_, increment_id=number, invoice_id="1001",
                   invoice_increment_id="INV-1001",
                   items=[{"sku": "SKU-A", "name": "Casque", "qty": D("1"), "price": D("10.00"),
                           "tax_percent": D("20"), "row_total": D("10.00")}],
                   tax_amount=D("2.00"), shipping_amount=D(0), shipping_tax_amount=D(0),
                   discount_amount=D(0), grand_total=D("12.00"), **fields)


def messages(*, invoices=(), memos=()):
    return [schema("products"), record("products", PRODUCT),
            schema("customers"), record("customers", CUSTOMER),
            schema("invoices"), *(record("invoices", i) for i in invoices),
            schema("credit_memos"), *(record("credit_memos", m) for m in memos)]


def test_memos_of_one_invoice_in_one_batch_never_exceed_it():
    fake = FakeQuickBooks()
    memos = (refund("CM1", "AV-1"), refund("CM2", "AV-2"), refund("CM3", "AV-3"))
    target, state = run(fake, messages(invoices=[invoice()], memos=memos),
                        expect_rejected=True)
    assert sorted(m["DocNumber"] for m in fake.entities("CreditMemo")) == ["AV-1", "AV-2"]
    pending = ours(state)["pending"]["credit_memos"]["CM3"]
    assert pending["field"] == "grand_total"
    for amounts in ("invoice total 28.00", "already refunded 24.00", "this memo 12.00"):
        assert amounts in pending["reason"]
    assert ours(state)["refunded"] == {"1001": {"CM1": "12.00", "CM2": "12.00"}}
    assert target.results.get("credit_memos", "rejected") == 1


def test_memos_over_several_runs_count_what_is_already_refunded():
    fake = FakeQuickBooks()
    _, state = run(fake, messages(invoices=[invoice()], memos=[refund("CM1", "AV-1")]))
    (qbo_invoice,) = fake.entities("Invoice")
    qbo_invoice["TotalAmt"] = 28.0  # what QuickBooks computes (the fake does not)
    _, state2 = run(fake, [state_message(state), *messages(memos=[refund("CM2", "AV-2")])])
    # The invoice is not in this run: its total comes from QuickBooks by the mapped Id.
    _, state3 = run(fake, [state_message(state2), *messages(memos=[refund("CM3", "AV-3")])],
                    expect_rejected=True)
    assert "already refunded 24.00" in ours(state3)["pending"]["credit_memos"]["CM3"]["reason"]
    assert len(fake.entities("CreditMemo")) == 2


def test_restated_memo_does_not_count_twice():
    fake = FakeQuickBooks()
    _, state = run(fake, messages(invoices=[invoice()], memos=[refund("CM1", "AV-1")]))
    fake.entities("Invoice")[0]["TotalAmt"] = 28.0
    # CM1 again (restated at the source: documents are never updated), and CM2: 24 ≤ 28.
    target, state2 = run(fake, [state_message(state), *messages(
        memos=[refund("CM1", "AV-1", updated_at="2026-03-05"), refund("CM2", "AV-2")])])
    assert target.results.get("credit_memos", "unchanged") == 1
    assert target.results.get("credit_memos", "created") == 1
    assert ours(state2)["refunded"] == {"1001": {"CM1": "12.00", "CM2": "12.00"}}


def test_canceled_memo_gone_from_quickbooks_stops_counting():
    fake = FakeQuickBooks()
    _, state = run(fake, messages(invoices=[invoice()], memos=[refund("CM1", "AV-1")]))
    assert ours(state)["refunded"] == {"1001": {"CM1": "12.00"}}
    fake.tables["CreditMemo"].clear()  # the person deleted it, as the hint asks
    _, state2 = run(fake, [state_message(state),
                           *messages(memos=[refund("CM1", "AV-1", state="canceled")])])
    assert ours(state2).get("refunded", {}) == {}


def test_refunded_survives_the_state_round_trip_and_a_copy():
    state = SyncState("1")
    state.refunded = {"1001": {"CM1": "12.00"}}
    entry = state.to_bookmark()
    assert entry["refunded"] == {"1001": {"CM1": "12.00"}}
    again = SyncState("1")
    again.load_state_message({"bookmarks": {"target-quickbooks": entry}})
    assert again.refunded == {"1001": {"CM1": "12.00"}}
    assert again.copy().refunded == again.refunded
