"""Issue 10 §4, §5 and §9 over real sockets against the QuickBooks emulator.

Two feeds with separate states (the invoices feed and a sync-all) share only
QuickBooks: each test runs them one after the other against one emulator company.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.state import BOOKMARK
from test_target_emulator import CUSTOMERS, INVOICE, PRODUCTS, messages, run
from test_target_fakes import record, schema, state_message

D = Decimal
NUMBER = INVOICE["increment_id"]


@pytest.fixture
def emu():
    with QuickBooksEmulator(per_second=None, per_minute=None, batch_per_minute=None) as qbo:
        yield qbo


def entry(state):
    return state["bookmarks"][BOOKMARK]


def memo(id_, number, **fields):
    """A refund of the installation line of INVOICE: 50.00 + 5.00 VAT = 55.00."""
    doc = {"id": id_, "increment_id": number, "customer_key": "42",
           "invoice_id": INVOICE["id"], "invoice_increment_id": NUMBER,
           "created_at": "2026-03-05T09:00:00+00:00", "currency": "EUR",
           "items": [{**INVOICE["items"][1]}], "subtotal": D("50.00"),
           "tax_amount": D("5.00"), "shipping_amount": D("0"), "shipping_tax_amount": D("0"),
           "discount_amount": D("0"), "grand_total": D("55.00")}
    doc.update(fields)
    return doc


PACK_REFUND = {"items": [{**INVOICE["items"][0], "qty": D("1"), "tax_amount": D("2.58"),
                          "row_total": D("12.90")}],
               "subtotal": D("12.90"), "tax_amount": D("2.58"), "grand_total": D("15.48")}


def memo_messages(*memos):
    return [schema("products"), *(record("products", p) for p in PRODUCTS),
            schema("customers"), *(record("customers", c) for c in CUSTOMERS),
            schema("credit_memos"), *(record("credit_memos", m) for m in memos)]


# §4 twins


def ids(mapped: dict[str, str]) -> dict[str, str]:
    """Source key → QuickBooks Id (map values are Id:SyncToken:fingerprint, drift.py)."""
    return {key: value.split(":")[0] for key, value in mapped.items()}


def test_twin_invoices_over_http_in_one_batch_across_runs_and_across_states(emu, tmp_path):
    twin = {**INVOICE, "id": "5002"}
    _target, state = run(emu, tmp_path, messages(invoices=(INVOICE, twin), memos=()),
                         expect_rejected=True)
    (booked,) = emu.entities("Invoice")
    assert ids(entry(state)["invoices"]) == {"5001": booked["Id"]}
    reason = entry(state)["pending"]["invoices"]["5002"]["reason"]
    assert "same number" in reason and booked["Id"] in reason
    # Across runs: retried, still rejected, never adopted.
    _, state2 = run(emu, tmp_path, [state_message(state)], expect_rejected=True)
    assert ids(entry(state2)["invoices"]) == {"5001": booked["Id"]}
    assert entry(state2)["pending"]["invoices"]["5002"]["attempts"] == 2
    # Another feed's state (a sync-all that never saw the first run), twin first.
    _, other = run(emu, tmp_path, messages(invoices=(twin, INVOICE), memos=()),
                   expect_rejected=True)
    assert ids(entry(other)["invoices"]) == {"5001": booked["Id"]}
    assert list(entry(other)["pending"]["invoices"]) == ["5002"]
    assert len(emu.entities("Invoice")) == 1
    # The source gives the twin its own number: written, in both feeds' terms.
    renumbered = {**twin, "increment_id": "FA-5002"}
    _, state3 = run(emu, tmp_path, [state_message(state2),
                                    *messages(invoices=(renumbered,), memos=())])
    assert entry(state3)["pending"] == {}
    assert len(set(ids(entry(state3)["invoices"]).values())) == 2


# §5 refunds


def test_refunds_through_another_feeds_state_never_exceed_the_invoice(emu, tmp_path):
    run(emu, tmp_path, messages(memos=()))  # the invoices feed, with its own state
    (booked,) = emu.entities("Invoice")
    assert D(str(booked["TotalAmt"])) == D("88.16")
    # The credit-memo feed has its own state: it finds the invoice by its number.
    _, memos_feed = run(emu, tmp_path, memo_messages(memo("7101", "AV-7101")))
    assert entry(memos_feed)["refunded"] == {"5001": {"7101": "55.00"}}
    target, memos_feed2 = run(emu, tmp_path, [state_message(memos_feed), *memo_messages(
        memo("7101", "AV-7101"),                     # restated: counts once
        memo("7102", "AV-7102"),                     # 55 + 55 > 88.16: rejected
        memo("7103", "AV-7103", **PACK_REFUND))],    # 55 + 15.48 ≤ 88.16: written
        expect_rejected=True)
    assert sorted(m["DocNumber"] for m in emu.entities("CreditMemo")) == [
        "AV-7101", "AV-7103"]
    pending = entry(memos_feed2)["pending"]["credit_memos"]["7102"]
    assert pending["field"] == "grand_total"
    for amounts in ("invoice total 88.16", "already refunded 55.00", "this memo 55.00"):
        assert amounts in pending["reason"]
    assert entry(memos_feed2)["refunded"] == {"5001": {"7101": "55.00", "7103": "15.48"}}
    results = target.results.as_dict()["credit_memos"]
    assert (results["created"], results["unchanged"], results["rejected"]) == (1, 1, 1)


SHIPPING_ONLY = {"items": [], "subtotal": D("0"), "tax_amount": D("0"),
                 "shipping_amount": D("6.00"), "shipping_tax_amount": D("1.20"),
                 "grand_total": D("7.20")}
ADJUSTMENT_ONLY = {"items": [], "subtotal": D("0"), "tax_amount": D("0"),
                   "adjustment_positive": D("10.00"), "adjustment_negative": D("0"),
                   "grand_total": D("10.00")}


@pytest.mark.parametrize("amounts", [SHIPPING_ONLY, ADJUSTMENT_ONLY],
                         ids=["shipping-only", "adjustment-only"])
def test_refund_without_product_lines_is_a_normal_credit_memo(emu, tmp_path, amounts):
    _, state = run(emu, tmp_path, memo_messages(memo("7201", "AV-7201", **amounts)))
    (booked,) = emu.entities("CreditMemo")
    assert D(str(booked["TotalAmt"])) == amounts["grand_total"]
    # The memo is written; only its application waits for its invoice (not in QuickBooks).
    pending = entry(state)["pending"]
    assert set(pending) == {"payments"}
    assert pending["payments"]["credit_memo:7201"]["status"] == "deferred"
