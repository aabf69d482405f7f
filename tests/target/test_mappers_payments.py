"""Payment payloads, dates and methods from source records (pure functions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.payments import (
    PLANNED_DATE,
    credit_application,
    invoice_payment,
    is_paid,
    linked_payment_ids,
    links,
    method_name,
    payment_date,
)

PARIS = ZoneInfo("Europe/Paris")
RECORD = {"id": "5", "state": "paid", "created_at": "2026-03-31T22:30:00Z",
          "updated_at": "2026-04-30T22:10:00Z"}


def test_is_paid_reads_the_state_only():
    assert is_paid(RECORD)
    assert is_paid({"state": " PAID "})
    assert not is_paid({"state": "open"})
    assert not is_paid({})


def test_payment_date_rules_in_the_company_zone():
    assert payment_date(RECORD, first_export=True, timezone=PARIS) == "2026-04-01"
    assert payment_date(RECORD, first_export=False, timezone=PARIS) == "2026-05-01"
    assert payment_date(RECORD, first_export=False, timezone=dt.timezone.utc) == "2026-04-30"
    # A retried payment keeps the date chosen the first time.
    kept = {**RECORD, PLANNED_DATE: "2026-04-02"}
    assert payment_date(kept, first_export=False, timezone=PARIS) == "2026-04-02"
    with pytest.raises(MappingError):
        payment_date({"state": "paid"}, first_export=False, timezone=PARIS)


def test_method_name_prefers_the_map_for_known_codes():
    config = {"payment_method": "Carte", "payment_method_map": {"checkmo": "Chèque"}}
    assert method_name({"payment_method": "checkmo"}, config) == "Chèque"
    assert method_name({"payment_method": "paypal"}, config) == "Carte"
    assert method_name({}, config) == "Carte"
    assert method_name({}, {}) == ""


def test_invoice_payment_payload():
    payload = invoice_payment(customer={"value": "58", "name": "x"}, invoice_id="130",
                              number="FA-1", amount=Decimal("88.155"), date="2026-04-01",
                              deposit={"value": "90"}, method=None)
    assert payload == {
        "CustomerRef": {"value": "58"}, "TotalAmt": 88.16, "TxnDate": "2026-04-01",
        "PrivateNote": "myFulfillment invoice FA-1 paid",
        "Line": [{"Amount": 88.16, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}],
        "DepositToAccountRef": {"value": "90"},
    }
    with_method = invoice_payment(customer={"value": "58"}, invoice_id="130", number="FA-1",
                                  amount=Decimal(1), date="2026-04-01", deposit=None,
                                  method={"value": "7", "name": "Virement"})
    assert with_method["PaymentMethodRef"] == {"value": "7"}
    assert "DepositToAccountRef" not in with_method


def test_credit_application_is_a_zero_payment_linking_both():
    payload = credit_application(customer={"value": "58"}, invoice_id="130", memo_id="140",
                                 memo_number="AV-1", invoice_number="FA-1",
                                 amount=Decimal("37.5"), date="2026-03-02")
    assert payload["TotalAmt"] == 0.0
    assert [line["Amount"] for line in payload["Line"]] == [37.5, 37.5]
    assert links(payload) == {("Invoice", "130"), ("CreditMemo", "140")}
    assert payload["PrivateNote"] == "myFulfillment credit memo AV-1 applied to invoice FA-1"


def test_linked_payment_ids_reads_only_payments():
    invoice = {"LinkedTxn": [{"TxnId": "9", "TxnType": "Payment"},
                             {"TxnId": "3", "TxnType": "Estimate"}]}
    assert linked_payment_ids(invoice) == ["9"]
    assert linked_payment_ids({}) == []
