"""Issue 13 §2 over real sockets: credit memos of paid invoices become RefundReceipts.

The strict emulator judges the payloads (DepositToAccountRef of a Bank or Other
Current Asset account, VAT per rate from the tax codes unless TaxLine states it) and
replays a lost answer by requestid, as QuickBooks does.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks_emulator import QuickBooksEmulator
from quickbooks_emulator.faults import QboFault
from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.state import BOOKMARK
from test_target_emulator import CUSTOMERS, INVOICE, PRODUCTS, run
from test_target_fakes import record, schema, state_message

D = Decimal
#: A refund of one pack (20 %), the installation (10 %) and the shipping (20 %) of INVOICE.
PAID_MEMO = {
    "id": "7101", "increment_id": "AV-7101", "customer_key": "42", "invoice_id": INVOICE["id"],
    "invoice_increment_id": INVOICE["increment_id"], "invoice_state": "paid",
    "created_at": "2026-03-05T09:00:00+00:00", "currency": "EUR",
    "items": [{"sku": "1005266-1005727", "name": "Pack", "qty": D("1"), "price": D("12.90"),
               "tax_percent": D("20.0000"), "tax_amount": D("2.58"), "row_total": D("12.90")},
              {"sku": "SRV-1", "name": "Installation", "qty": D("1"), "price": D("50.00"),
               "tax_percent": D("10"), "tax_amount": D("5.00"), "row_total": D("50.00")}],
    "subtotal": D("62.90"), "tax_amount": D("7.58"), "shipping_amount": D("6.00"),
    "shipping_tax_amount": D("1.20"), "discount_amount": D("0"), "grand_total": D("77.68"),
}


@pytest.fixture
def emu():
    with QuickBooksEmulator(per_second=None, per_minute=None, batch_per_minute=None) as qbo:
        yield qbo


def setup_messages():
    return [schema("products"), *(record("products", p) for p in PRODUCTS),
            schema("customers"), *(record("customers", c) for c in CUSTOMERS),
            schema("invoices"), record("invoices", {**INVOICE, "state": "paid"})]


def memo_messages(*memos):
    return [schema("credit_memos"), *(record("credit_memos", m) for m in memos)]


def test_paid_memo_is_a_refund_receipt_with_the_sources_vat_per_rate(emu, tmp_path):
    target, state = run(emu, tmp_path, [*setup_messages(), *memo_messages(PAID_MEMO)])
    (receipt,) = emu.entities("RefundReceipt")
    assert emu.entities("CreditMemo") == []
    assert receipt["DocNumber"] == "AV-7101"
    # The default refund account: the company's Undeposited Funds (where payments go).
    assert receipt["DepositToAccountRef"] == {"value": "90", "name": "Undeposited Funds"}
    assert D(str(receipt["TotalAmt"])) == D("77.68")
    by_rate = {line["TaxLineDetail"]["TaxPercent"]: D(str(line["Amount"]))
               for line in receipt["TxnTaxDetail"]["TaxLine"]}
    assert by_rate == {20: D("3.78"), 10: D("5.00")}  # 2.58 + 1.20 shipping; 5.00
    assert D(str(receipt["TxnTaxDetail"]["TotalTax"])) == D("8.78")
    assert target.results.get("credit_memos (RefundReceipt)", "created") == 1
    entry = state["bookmarks"][BOOKMARK]
    assert entry["credit_memos"]["7101"].startswith(receipt["Id"] + ":")
    assert entry["credit_memos"]["7101"].endswith(":RefundReceipt")
    assert entry["refunded"] == {INVOICE["id"]: {"7101": "77.68"}}
    # A refund is money paid back, not a credit to apply: no application is planned or
    # left pending, and the paid invoice's customer owes nothing and holds no credit.
    assert "payments" not in entry.get("pending", {}), entry.get("pending")
    (invoice,) = emu.entities("Invoice")
    assert D(str(invoice["Balance"])) == 0
    (customer,) = [c for c in emu.entities("Customer")
                   if c["Id"] == invoice["CustomerRef"]["value"]]
    assert D(str(customer["Balance"])) == 0


def test_refund_receipt_is_written_once_across_a_lost_answer_and_a_lost_state(emu, tmp_path):
    _, state = run(emu, tmp_path, setup_messages())
    emu.inject_fault("lost_response", count=1, path_contains="/batch")
    # The create happens, its answer is lost: the client sends it again with the same
    # requestid and QuickBooks replays the answer instead of creating a second one.
    _, state2 = run(emu, tmp_path, [state_message(state), *memo_messages(PAID_MEMO)])
    assert emu.stats()["replayed"] >= 1
    assert len(emu.entities("RefundReceipt")) == 1
    # The process dies before its state is saved: the next run starts from the old
    # state and finds the receipt by DocNumber among RefundReceipts.
    target, state3 = run(emu, tmp_path, [state_message(state), *memo_messages(PAID_MEMO)])
    assert len(emu.entities("RefundReceipt")) == 1
    assert target.results.get("credit_memos (RefundReceipt)", "unchanged") == 1
    assert (state3["bookmarks"][BOOKMARK]["credit_memos"]["7101"].split(":")[0]
            == state2["bookmarks"][BOOKMARK]["credit_memos"]["7101"].split(":")[0])
    target, _ = run(emu, tmp_path, [state_message(state3), *memo_messages(PAID_MEMO)])
    assert target.results.get("credit_memos (RefundReceipt)", "unchanged") == 1
    assert len(emu.entities("RefundReceipt")) == 1


def test_refund_account_of_another_type_stops_the_run_before_anything_is_sent(emu, tmp_path):
    _, state = run(emu, tmp_path, setup_messages())
    with pytest.raises(ConfigurationError) as error:
        run(emu, tmp_path, [state_message(state), *memo_messages(PAID_MEMO)],
            refund_account="Sales of Product Income")
    assert "`refund_account`" in str(error.value)
    assert "Bank or Other Current Asset" in str(error.value)
    assert emu.entities("RefundReceipt") == []


def test_the_emulator_refuses_an_income_account_as_a_refund_account(emu, tmp_path):
    # What the setting check above protects from: QuickBooks' own refusal (6000).
    run(emu, tmp_path, setup_messages())
    customer = next(c for c in emu.entities("Customer") if c["DisplayName"].endswith("(#42)"))
    item = next(i for i in emu.entities("Item") if i.get("Sku") == "SRV-1")
    with pytest.raises(QboFault) as fault:
        emu.add_entity("RefundReceipt", {
            "CustomerRef": {"value": customer["Id"]}, "DepositToAccountRef": {"value": "79"},
            "Line": [{"Amount": 50, "DetailType": "SalesItemLineDetail",
                      "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]},
                                              "TaxCodeRef": {"value": "4"}}}]})
    assert fault.value.code == "6000"
    assert fault.value.element == "DepositToAccountRef"
