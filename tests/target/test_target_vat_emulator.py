"""The target against the French emulator: the source's VAT per rate and day, to the cent.

The emulator computes VAT from the lines' tax codes like QuickBooks outside the
US; documents whose source rounds VAT per line only reach ``grand_total`` because
the target states the VAT per rate in ``TxnTaxDetail.TaxLine``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks_emulator import QuickBooksEmulator
from test_target_emulator import CUSTOMERS, PRODUCTS, run
from test_target_fakes import record, schema

D = Decimal
LINE = {"sku": "1005266-1005727", "name": "Dosette", "qty": D(1), "price": D("0.99"),
        "row_total": D("0.99")}
#: 3 × 0.99 at 20 % (0.20 each at the source, 0.59 in QuickBooks on 2.97) and
#: 2 × 0.99 at 5.5 % (0.05 each, 0.11 in QuickBooks on 1.98), shipping 5.00 + 1.00.
INVOICE = {
    "id": "6001", "increment_id": "FA-6001", "customer_key": "42",
    "created_at": "2026-03-31T22:30:00Z", "currency": "EUR",
    "items": [*({**LINE, "tax_percent": D(20), "tax_amount": D("0.20")} for _ in range(3)),
              *({**LINE, "sku": "SRV-1", "tax_percent": D("5.5"), "tax_amount": D("0.05")}
                for _ in range(2))],
    "subtotal": D("4.95"), "tax_amount": D("0.70"), "shipping_amount": D("5.00"),
    "shipping_tax_amount": D("1.00"), "discount_amount": D(0), "grand_total": D("11.65"),
}
MEMO = {
    "id": "8001", "increment_id": "AV-8001", "customer_key": "42",
    "created_at": "2026-04-30T21:59:00Z", "currency": "EUR",
    "items": [{**LINE, "tax_percent": D(20), "tax_amount": D("0.20")} for _ in range(3)],
    "subtotal": D("2.97"), "tax_amount": D("0.60"), "shipping_amount": D(0),
    "shipping_tax_amount": D(0), "discount_amount": D(0), "grand_total": D("3.57"),
}


def msgs(invoice=INVOICE, memo=MEMO):
    return [schema("products"), *(record("products", p) for p in PRODUCTS),
            schema("customers"), *(record("customers", c) for c in CUSTOMERS),
            schema("invoices"), record("invoices", invoice),
            schema("credit_memos"), record("credit_memos", memo)]


def vat_by_rate(document: dict) -> dict[str, Decimal]:
    return {line["TaxLineDetail"]["TaxRateRef"]["value"]: D(str(line["Amount"]))
            for line in document["TxnTaxDetail"]["TaxLine"]}


@pytest.fixture
def emu():
    with QuickBooksEmulator(per_second=None, per_minute=None, batch_per_minute=None) as qbo:
        yield qbo


def test_vat_per_rate_and_total_equal_the_source_in_a_french_company(emu, tmp_path):
    run(emu, tmp_path, msgs())
    (invoice,) = emu.entities("Invoice")
    assert D(str(invoice["TotalAmt"])) == D("11.65")
    assert vat_by_rate(invoice) == {"13": D("1.60"), "15": D("0.10")}
    (memo,) = emu.entities("CreditMemo")
    assert D(str(memo["TotalAmt"])) == D("3.57")
    assert vat_by_rate(memo) == {"13": D("0.60")}


def test_documents_are_dated_by_the_companys_day(emu, tmp_path):
    run(emu, tmp_path, msgs())
    (invoice,) = emu.entities("Invoice")
    assert invoice["TxnDate"] == "2026-04-01"  # 00:30 on 1 April in Paris
    (memo,) = emu.entities("CreditMemo")
    assert memo["TxnDate"] == "2026-04-30"  # 23:59 on 30 April in Paris


def test_timezone_setting_overrides_the_company_country(emu, tmp_path):
    run(emu, tmp_path, msgs(), timezone="UTC")
    assert emu.entities("Invoice")[0]["TxnDate"] == "2026-03-31"


def test_us_company_in_new_york_dates_by_new_york(tmp_path):
    with QuickBooksEmulator(country="US", per_second=None, per_minute=None,
                            batch_per_minute=None) as emu:
        invoice = {**INVOICE, "created_at": "2026-05-01T02:00:00Z", "currency": "USD"}
        memo = {**MEMO, "created_at": "2026-05-01T04:00:00Z", "currency": "USD"}
        run(emu, tmp_path, msgs(invoice, memo), timezone="America/New_York")
        assert emu.entities("Invoice")[0]["TxnDate"] == "2026-04-30"  # 22:00 on 30 April
        assert emu.entities("CreditMemo")[0]["TxnDate"] == "2026-05-01"  # 00:00 on 1 May


def test_negative_quantity_is_rejected_naming_the_field(emu, tmp_path):
    bad = {**INVOICE, "items": [dict(line) for line in INVOICE["items"]]}
    bad["items"][2]["qty"] = D(-1)
    _, state = run(emu, tmp_path, msgs(bad), expect_rejected=True)
    assert emu.entities("Invoice") == []
    kept = state["bookmarks"]["target-quickbooks"]["pending"]["invoices"]["6001"]
    assert kept["field"] == "items[2].qty"
    assert "negative quantity" in kept["reason"]
