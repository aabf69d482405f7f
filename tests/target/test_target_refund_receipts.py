"""Issue 13 §2: a credit memo of a paid invoice is written as a RefundReceipt.

Routing (``invoice_state``), the payload (the credit memo's plus DepositToAccountRef),
the refund account (setting, else Undeposited Funds, else the first Bank account),
exactly-once through the ``credit_memos`` map, memos written earlier as CreditMemos
left as they are, and the results row that names the entity. In-process with the
fake client; over sockets in ``test_target_refund_receipts_emulator.py``.
"""

from __future__ import annotations

import pytest
from target_quickbooks.accounts import ConfigurationError, References
from target_quickbooks.company_defaults import default_refund_account
from target_quickbooks.drift import compare, find_mapped, wanted_ids
from target_quickbooks.mappers.refund_receipts import is_refund, refund_receipt_payload
from target_quickbooks.state import MapEntry, SyncState
from test_target_documents import ours, run
from test_target_fakes import CONFIG, FakeQuickBooks, state_message
from test_target_refunds import messages, refund

CHECKING = {"value": "35", "name": "Checking"}
#: The company's Undeposited Funds: the default refund account (payments go there too).
UNDEPOSITED = {"value": "90", "name": "Undeposited Funds"}


def paid(id_="CM1", number="AV-1", **fields):
    return refund(id_, number, invoice_state="paid", **fields)


def test_routing_reads_invoice_state():
    assert is_refund({"invoice_state": "paid"})
    assert is_refund({"invoice_state": " Paid "})
    assert not is_refund({"invoice_state": "open"})
    assert not is_refund({"invoice_state": "canceled"})
    assert not is_refund({"invoice_state": None})
    assert not is_refund({})  # another tap: no invoice state, a CreditMemo


def test_refund_receipt_payload_is_the_credit_memo_paid_from_the_account():
    memo = {"CustomerRef": {"value": "58"}, "DocNumber": "AV-1", "Line": [{"Amount": 1}],
            "TxnTaxDetail": {"TotalTax": 0.2}}
    assert refund_receipt_payload(memo, CHECKING) == {**memo, "DepositToAccountRef": CHECKING}


def test_default_refund_account_prefers_undeposited_funds_then_the_first_bank():
    accounts = [{"Id": "40", "AccountType": "Bank", "AccountSubType": "Checking"},
                {"Id": "35", "AccountType": "Bank", "AccountSubType": "Savings"},
                {"Id": "79", "AccountType": "Income"}]
    assert default_refund_account(accounts) == "35"
    assert default_refund_account([*accounts, {"Id": "4", "AccountType": "Other Current Asset",
                                               "AccountSubType": "UndepositedFunds"}]) == "4"
    assert default_refund_account([{**accounts[1], "Active": False}]) is None
    assert default_refund_account(accounts[2:]) is None


def test_refund_account_setting_is_checked_for_its_type():
    fake = FakeQuickBooks()
    assert References(fake, CONFIG).refund_account() == UNDEPOSITED
    fake.tables["Account"].pop("90")
    assert References(fake, CONFIG).refund_account() == CHECKING  # then the first Bank
    assert References(fake, {**CONFIG, "refund_account": "Inventory Asset"}).refund_account(
        )["value"] == "81"  # Other Current Asset
    with pytest.raises(ConfigurationError, match="Bank or Other Current Asset"):
        References(fake, {**CONFIG, "refund_account": "Services"}).refund_account()
    fake.tables["Account"].pop("35")
    with pytest.raises(ConfigurationError, match="`refund_account` is required"):
        References(fake, CONFIG).refund_account()


def test_memo_of_a_paid_invoice_is_a_refund_receipt_and_of_an_open_one_a_credit_memo():
    fake = FakeQuickBooks()
    target, state = run(fake, messages(invoices=[{**_invoice(), "state": "paid"}], memos=[
        paid(), refund("CM2", "AV-2", invoice_state="open"),
        {**refund("CM3", "AV-3"), "invoice_id": "2002", "invoice_increment_id": None}]))
    (receipt,) = fake.entities("RefundReceipt")
    assert receipt["DocNumber"] == "AV-1"
    assert receipt["DepositToAccountRef"] == UNDEPOSITED
    assert receipt["TxnTaxDetail"]["TotalTax"] == 2.0
    assert sorted(m["DocNumber"] for m in fake.entities("CreditMemo")) == ["AV-2", "AV-3"]
    mapped = ours(state)["credit_memos"]
    assert mapped["CM1"].startswith(f"{receipt['Id']}:{receipt['SyncToken']}:")
    assert mapped["CM1"].endswith(":RefundReceipt")
    assert not mapped["CM2"].endswith("RefundReceipt")
    # The refunded ledger counts both entities against the invoice.
    assert ours(state)["refunded"] == {"1001": {"CM1": "12.00", "CM2": "12.00"},
                                       "2002": {"CM3": "12.00"}}
    assert target.results.get("credit_memos (RefundReceipt)", "created") == 1
    assert target.results.get("credit_memos", "created") == 2


def test_refund_receipt_is_written_once_across_runs_and_without_state():
    fake = FakeQuickBooks()
    _, state = run(fake, messages(memos=[paid()]))
    target, _state2 = run(fake, [state_message(state), *messages(memos=[paid()])])
    assert target.results.get("credit_memos (RefundReceipt)", "unchanged") == 1
    # A lost state: found by DocNumber among RefundReceipts, not written again.
    target3, state3 = run(fake, messages(memos=[paid()]))
    assert len(fake.entities("RefundReceipt")) == 1
    assert ours(state3)["credit_memos"]["CM1"].endswith(":RefundReceipt")
    assert target3.results.get("credit_memos (RefundReceipt)", "unchanged") == 1
    assert not fake.entities("CreditMemo")


def test_memo_written_as_a_credit_memo_before_stays_one_when_its_invoice_is_paid():
    fake = FakeQuickBooks()
    _, state = run(fake, messages(memos=[refund("CM1", "AV-1", invoice_state="open")]))
    target, _state2 = run(fake, [state_message(state), *messages(memos=[paid()])])
    assert target.results.get("credit_memos", "unchanged") == 1
    # An older version's state (no invoice_state then) lost: found among CreditMemos.
    target3, state3 = run(fake, messages(memos=[paid()]))
    assert target3.results.get("credit_memos", "unchanged") == 1
    assert len(fake.entities("CreditMemo")) == 1
    assert not fake.entities("RefundReceipt")
    assert not ours(state3)["credit_memos"]["CM1"].endswith("RefundReceipt")


def test_another_documents_credit_memo_number_does_not_block_the_refund_receipt():
    fake = FakeQuickBooks()
    fake.add("CreditMemo", {"DocNumber": "AV-1", "TotalAmt": 99.0, "TxnDate": "2026-01-01",
                            "CustomerRef": {"value": "1"}, "Line": []})
    run(fake, messages(memos=[paid()]))
    assert [r["DocNumber"] for r in fake.entities("RefundReceipt")] == ["AV-1"]


def test_canceled_refund_receipt_needs_a_person_and_clears_once_deleted():
    fake = FakeQuickBooks()
    _, state = run(fake, messages(memos=[paid()]))
    (receipt,) = fake.entities("RefundReceipt")
    _, state2 = run(fake, [state_message(state), *messages(memos=[paid(state="canceled")])])
    pending = ours(state2)["pending"]["credit_memos"]["CM1"]
    assert pending["status"] == "needs_attention"
    assert f"RefundReceipt Id {receipt['Id']}" in pending["reason"]
    fake.delete("RefundReceipt", receipt["Id"])
    _, state3 = run(fake, [state_message(state2), *messages(memos=[paid(state="canceled")])])
    assert "CM1" not in ours(state3)["pending"].get("credit_memos", {})
    assert "CM1" not in ours(state3)["credit_memos"]
    assert ours(state3).get("refunded", {}) == {}


def test_deleted_refund_receipt_is_written_again_and_edits_are_drift():
    fake = FakeQuickBooks()
    _, state = run(fake, messages(memos=[paid(), paid("CM2", "AV-2")]))
    first, second = fake.entities("RefundReceipt")
    fake.delete("RefundReceipt", first["Id"])
    fake.edit("RefundReceipt", second["Id"], TotalAmt=1.0)
    _, state2 = run(fake, [state_message(state), *messages()])
    entry = ours(state2)
    assert entry["pending"]["credit_memos"]["CM1"]["status"] == "deleted_in_quickbooks"
    assert entry["resend"] == {"credit_memos": ["CM1"]}
    assert "total 12.00 -> 1.00" in entry["drift"]["credit_memos"]["CM2"]["changes"]
    _, state3 = run(fake, [state_message(state2), *messages(memos=[paid()])])
    assert len(fake.entities("RefundReceipt")) == 2
    assert ours(state3)["credit_memos"]["CM1"].endswith(":RefundReceipt")


def test_map_entries_name_their_entity_and_drift_keeps_entities_apart():
    state = SyncState("realm")
    state.put("credit_memos", "CM1", MapEntry("150", "0", "12.00/58/abcd0123",
                                              entity="RefundReceipt"))
    state.put("credit_memos", "CM2", MapEntry("151", "0", "", entity="CreditMemo"))
    assert state.idmap.get("credit_memos", "CM1") == "150:0:12.00/58/abcd0123:RefundReceipt"
    assert state.idmap.get("credit_memos", "CM2") == "151:0:"
    assert state.entity_of("credit_memos", "CM1") == "RefundReceipt"
    assert state.entity_of("credit_memos", "CM2") == "CreditMemo"
    entries = {"credit_memos": state.idmap.as_dict("credit_memos")}
    deleted = {"CreditMemo": ["150"], "RefundReceipt": ["151"]}  # the other entity's Ids
    ids = wanted_ids({}, deleted)
    mapped = {}
    for kind, wanted in ids.items():
        mapped.update(find_mapped(kind, entries[kind].items(), wanted))
    assert compare({}, deleted, mapped).deleted == []
    deleted = {"RefundReceipt": ["150"]}
    mapped = find_mapped("credit_memos", entries["credit_memos"].items(), {"150"})
    assert [d.key for d in compare({}, deleted, mapped).deleted] == ["CM1"]


def _invoice():
    from test_target_documents import invoice  # noqa: PLC0415

    return invoice()
