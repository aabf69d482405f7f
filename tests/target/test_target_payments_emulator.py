"""Payments of paid invoices and credit memos applied to open invoices, over real sockets.

The strict QuickBooks emulator refuses a payment beyond an invoice's open balance, a
credit applied beyond what is left, a deposit account of the wrong type
(tests/emulators/test_quickbooks_emulator_payments.py); here the target must never
send one, and must write each payment exactly once across reruns, lost answers and
lost states.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.state import BOOKMARK
from test_target_emulator import CREDIT_MEMO, INVOICE, messages, run
from test_target_fakes import state_message

D = Decimal
PAID = {**INVOICE, "state": "paid", "updated_at": "2026-03-01T10:30:00+00:00"}
OPEN = {**INVOICE, "state": "open", "updated_at": "2026-03-01T10:30:00+00:00"}
#: A refund of 37.50 of INVOICE (88.16), to the same customer, found by its number.
MEMO = {**CREDIT_MEMO, "customer_key": "42", "invoice_id": INVOICE["id"],
        "invoice_increment_id": INVOICE["increment_id"], "state": "refunded"}


@pytest.fixture
def emu():
    with QuickBooksEmulator(per_second=None, per_minute=None, batch_per_minute=None) as qbo:
        yield qbo


def entry(state: dict[str, Any]) -> dict[str, Any]:
    return state["bookmarks"][BOOKMARK]


def again(state: dict[str, Any], **changes: Any) -> list[dict[str, Any]]:
    """The state a next run starts from, with ``changes`` made to the target's entry."""
    value = {**state, "bookmarks": {**state["bookmarks"],
                                    BOOKMARK: {**entry(state), **changes}}}
    return [state_message(value)]


def payments_results(target: Any) -> dict[str, int]:
    """This run's non-zero outcomes of payments."""
    return {name: count for name, count in target.results.as_dict()["payments"].items() if count}


def balance(emu: QuickBooksEmulator, entity: str = "Invoice") -> Decimal:
    (document,) = emu.entities(entity)
    return D(str(document["Balance"]))


def test_paid_invoice_gets_one_payment_dated_on_its_own_day(emu, tmp_path):
    target, state = run(emu, tmp_path, messages(invoices=[PAID], memos=[]))
    (invoice,) = emu.entities("Invoice")
    (payment,) = emu.entities("Payment")
    assert D(str(payment["TotalAmt"])) == D("88.16")
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    assert payment["TxnDate"] == "2026-03-01"  # exported already paid: the invoice's day
    assert payment["DepositToAccountRef"] == {"value": "90", "name": "Undeposited Funds"}
    assert "PaymentMethodRef" not in payment
    assert balance(emu) == 0
    assert invoice["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert entry(state)["payments"] == {"invoice:5001": f"{payment['Id']}:0:" +
                                        entry(state)["payments"]["invoice:5001"].split(":")[2]}
    assert target.results.as_dict()["payments"]["created"] == 1
    assert entry(state)["pending"] == {}
    # The next run of the feed: mapped, nothing sent.
    target, _ = run(emu, tmp_path, again(state) + messages(invoices=[PAID], memos=[]))
    assert len(emu.entities("Payment")) == 1
    assert payments_results(target) == {"unchanged": 1}


def test_open_invoice_gets_no_payment_until_it_is_paid(emu, tmp_path):
    _, state = run(emu, tmp_path, messages(invoices=[OPEN], memos=[]))
    assert emu.entities("Payment") == []
    assert balance(emu) == D("88.16")
    # Paid later: its updated_at moves; the next run of the invoices feed pays it.
    paid = {**PAID, "updated_at": "2026-03-10T23:30:00+00:00"}
    target, state = run(emu, tmp_path, again(state) + messages(invoices=[paid], memos=[]))
    (payment,) = emu.entities("Payment")
    assert payment["TxnDate"] == "2026-03-11"  # 23:30 UTC is the 11th in Europe/Paris
    assert D(str(payment["TotalAmt"])) == D("88.16")
    assert balance(emu) == 0
    assert target.results.as_dict()["invoices"]["unchanged"] == 1


def test_payment_method_and_deposit_account_settings(emu, tmp_path):
    paid = {**PAID, "payment_method": "banktransfer"}
    run(emu, tmp_path, messages(invoices=[paid], memos=[]), deposit_account="Checking",
        payment_method="Carte", payment_method_map={"banktransfer": "Virement"})
    (payment,) = emu.entities("Payment")
    methods = {method["Name"]: method["Id"] for method in emu.entities("PaymentMethod")}
    assert payment["PaymentMethodRef"]["value"] == methods["Virement"]  # created: was missing
    assert "Carte" not in methods  # the record's code is mapped: the default is not needed
    assert payment["DepositToAccountRef"]["name"] == "Checking"


def test_wrong_deposit_account_or_missing_method_stop_the_run(emu, tmp_path):
    with pytest.raises(ConfigurationError, match="deposit_account"):
        run(emu, tmp_path, messages(invoices=[PAID], memos=[]), deposit_account="Services")
    with pytest.raises(ConfigurationError, match="create_missing_items"):
        run(emu, tmp_path, messages(invoices=[PAID], memos=[]), payment_method="Virement",
            create_missing_items=False)
    assert emu.entities("Payment") == []


def test_payment_written_once_when_the_state_is_lost(emu, tmp_path):
    _, state = run(emu, tmp_path, messages(invoices=[PAID], memos=[]))
    (payment,) = emu.entities("Payment")
    # A crash after the payment, before its state: the map entry is gone.
    target, state = run(emu, tmp_path, again(state, payments={})
                        + messages(invoices=[PAID], memos=[]))
    assert len(emu.entities("Payment")) == 1
    assert entry(state)["payments"]["invoice:5001"].split(":")[0] == payment["Id"]
    assert payments_results(target) == {"unchanged": 1}


def test_payment_lost_answer_is_replayed_with_the_same_requestid(emu, tmp_path):
    _, state = run(emu, tmp_path, messages(invoices=[OPEN], memos=[]))
    emu.inject_fault("lost_response", count=1, path_contains="/batch")
    target, state = run(emu, tmp_path, again(state) + messages(invoices=[PAID], memos=[]))
    (payment,) = emu.entities("Payment")
    assert entry(state)["payments"]["invoice:5001"].split(":")[0] == payment["Id"]
    assert target.results.as_dict()["payments"]["created"] == 1


def test_payment_of_an_invoice_not_in_quickbooks_is_deferred_then_written(emu, tmp_path):
    orphan = {**PAID, "customer_key": "99"}  # its customer is not in QuickBooks: deferred
    _, state = run(emu, tmp_path, messages(invoices=[orphan], memos=[]))
    assert emu.entities("Payment") == []
    pending = entry(state)["pending"]
    assert pending["payments"]["invoice:5001"]["status"] == "deferred"
    assert "not in QuickBooks yet" in pending["payments"]["invoice:5001"]["reason"]
    assert pending["invoices"]["5001"]["status"] == "deferred"
    customer = {"customer_key": "99", "firstname": "Nina", "lastname": "Roux"}
    msgs = again(state) + messages(invoices=[], memos=[])
    msgs.insert(msgs.index(next(m for m in msgs if m.get("stream") == "customers")) + 1,
                {"type": "RECORD", "stream": "customers", "record": customer})
    target, state = run(emu, tmp_path, msgs)
    (payment,) = emu.entities("Payment")
    assert payment["TxnDate"] == "2026-03-01"  # first exported already paid
    assert entry(state)["pending"] == {}
    assert target.results.as_dict()["payments"]["created"] == 1


def test_credit_memo_of_an_open_invoice_is_applied_then_the_rest_paid(emu, tmp_path):
    _, state = run(emu, tmp_path, messages(invoices=[OPEN], memos=[MEMO]))
    (application,) = emu.entities("Payment")
    (invoice,) = emu.entities("Invoice")
    (memo,) = emu.entities("CreditMemo")
    assert D(str(application["TotalAmt"])) == 0
    assert {(line["LinkedTxn"][0]["TxnType"], D(str(line["Amount"])))
            for line in application["Line"]} == {("Invoice", D("37.50")),
                                                  ("CreditMemo", D("37.50"))}
    assert application["TxnDate"] == "2026-03-02"  # the credit memo's day
    assert balance(emu) == D("50.66")
    assert balance(emu, "CreditMemo") == 0
    assert "credit_memo:7001" in entry(state)["payments"]
    (customer,) = [c for c in emu.entities("Customer")
                   if c["Id"] == invoice["CustomerRef"]["value"]]
    assert D(str(customer["Balance"])) == D("50.66")
    # Again: applied once.
    run(emu, tmp_path, again(state) + messages(invoices=[OPEN], memos=[MEMO]))
    assert len(emu.entities("Payment")) == 1
    # The invoice is paid later: the payment settles what is left, not the total.
    paid = {**PAID, "updated_at": "2026-03-20T09:00:00+00:00"}
    _, state = run(emu, tmp_path, again(state) + messages(invoices=[paid], memos=[]))
    payments = sorted(emu.entities("Payment"), key=lambda p: int(p["Id"]))
    assert D(str(payments[1]["TotalAmt"])) == D("50.66")
    assert balance(emu) == 0
    assert memo["Id"] != invoice["Id"]


def test_credit_memo_application_found_again_when_the_state_is_lost(emu, tmp_path):
    _, state = run(emu, tmp_path, messages(invoices=[OPEN], memos=[MEMO]))
    target, state = run(emu, tmp_path, again(state, payments={})
                        + messages(invoices=[], memos=[MEMO]))
    assert len(emu.entities("Payment")) == 1
    assert "credit_memo:7001" in entry(state)["payments"]
    assert payments_results(target) == {"unchanged": 1}


def test_credit_memo_of_a_paid_invoice_is_not_applied(emu, tmp_path):
    _, state = run(emu, tmp_path, messages(invoices=[PAID], memos=[MEMO]))
    assert len(emu.entities("Payment")) == 1  # the invoice's payment only
    assert balance(emu) == 0
    assert balance(emu, "CreditMemo") == D("37.50")  # a refund: the refunds' business
    assert "credit_memo:7001" not in entry(state)["payments"]


def test_pending_payment_dropped_when_the_invoice_is_no_longer_paid(emu, tmp_path):
    orphan = {**PAID, "customer_key": "99"}
    _, state = run(emu, tmp_path, messages(invoices=[orphan], memos=[]))
    assert "invoice:5001" in entry(state)["pending"]["payments"]
    reopened = {**orphan, "state": "open", "updated_at": "2026-03-03T10:00:00+00:00"}
    _, state = run(emu, tmp_path, again(state) + messages(invoices=[reopened], memos=[]))
    assert "payments" not in entry(state)["pending"]
    assert emu.entities("Payment") == []
