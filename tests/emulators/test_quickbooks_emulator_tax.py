"""The emulator's sales tax and TxnDate rules (README: "Sales tax", "TxnDate").

Outside the US QuickBooks computes VAT from each line's TaxCodeRef; only
``TxnTaxDetail.TaxLine`` overrides it (TotalTax alone does not). Inclusive amounts
hold the VAT inside them. A transaction sent without TxnDate is dated the
company's day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from quickbooks_emulator import QuickBooksEmulator

from tests.emulators.test_quickbooks_emulator_company import Api, fault_of, sales_line


@pytest.fixture
def customer(api):
    return api.create("Customer", {"DisplayName": "Jeanne Martin (#42)"})


def cheap_lines(count: int = 3) -> list[dict[str, Any]]:
    """Three lines of 0.99 € at 20 %: 0.20 € of VAT each at the source, 0.59 € in QBO."""
    return [sales_line("20", 1, "0.99", "0.99") for _ in range(count)]


def tax_line(rate_id: str, amount: Any, percent: Any = 20, net: Any = "2.97") -> dict:
    return {"Amount": amount, "DetailType": "TaxLineDetail",
            "TaxLineDetail": {"TaxRateRef": {"value": rate_id}, "PercentBased": True,
                              "TaxPercent": percent, "NetAmountTaxable": net}}


def test_total_tax_alone_is_recomputed_from_the_tax_codes(api, customer):
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": cheap_lines(),
            "TxnTaxDetail": {"TotalTax": "0.60"}}
    invoice = api.create("Invoice", body)
    assert invoice["TxnTaxDetail"]["TotalTax"] == pytest.approx(0.59)
    assert invoice["TotalAmt"] == pytest.approx(2.97 + 0.59)
    (line,) = invoice["TxnTaxDetail"]["TaxLine"]
    assert line["TaxLineDetail"]["TaxRateRef"]["value"] == "13"
    assert line["TaxLineDetail"]["NetAmountTaxable"] == pytest.approx(2.97)


def test_tax_line_overrides_the_vat_of_its_rate(api, customer):
    body = {"CustomerRef": {"value": customer["Id"]},
            "Line": [*cheap_lines(), sales_line("20", 1, "9.99", "9.99", tax="5")],
            "TxnTaxDetail": {"TotalTax": "1.15", "TaxLine": [tax_line("13", "0.60")]}}
    invoice = api.create("Invoice", body)
    by_rate = {line["TaxLineDetail"]["TaxRateRef"]["value"]: line
               for line in invoice["TxnTaxDetail"]["TaxLine"]}
    assert by_rate["13"]["Amount"] == pytest.approx(0.60)
    assert by_rate["13"]["TaxLineDetail"]["OverrideDeltaAmount"] == pytest.approx(0.01)
    assert by_rate["15"]["Amount"] == pytest.approx(0.55)  # 9.99 × 5.5 %, not overridden
    assert invoice["TxnTaxDetail"]["TotalTax"] == pytest.approx(1.15)
    assert invoice["TotalAmt"] == pytest.approx(2.97 + 9.99 + 1.15)


@pytest.mark.parametrize(
    ("tax_lines", "code", "what"),
    [
        ([tax_line("14", "0.60", percent=10)], "6000", "not a sales rate"),
        ([tax_line("13", "0.60", percent="5.5")], "6000", "TaxPercent"),
        ([tax_line("13", "0.30"), tax_line("13", "0.30")], "6000", "twice"),
        ([tax_line("999", "0.60")], "2500", "TaxRate"),
        ([{**tax_line("13", "0.60"), "DetailType": "SalesItemLineDetail"}], "2010", ""),
        ([{"Amount": "0.60", "DetailType": "TaxLineDetail"}], "2020", "TaxLineDetail"),
        ([{**tax_line("13", "0.60"), "TaxLineDetail": {"PercentBased": True}}], "2020",
         "TaxRateRef"),
        ([{**tax_line("13", "0.60"), "TaxLineDetail": {"TaxRateRef": {"value": "13"},
                                                       "PercentBased": False}}], "6000",
         "PercentBased"),
        ([{**tax_line("13", "0.60"), "TaxLineDetail": {"TaxRateRef": {"value": "13"},
                                                       "Rate": 20}}], "2010", "Rate"),
        ("0.60", "2010", "TaxLine"),
    ],
)
def test_tax_line_rules(api, customer, tax_lines, code, what):
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": cheap_lines(),
            "TxnTaxDetail": {"TaxLine": tax_lines}}
    error = fault_of(api.post("invoice", body))
    assert error["code"] == code
    assert what in error["Detail"]


def test_tax_inclusive_vat_is_inside_the_gross(api, customer):
    body = {"CustomerRef": {"value": customer["Id"]}, "GlobalTaxCalculation": "TaxInclusive",
            "Line": [sales_line("20", 1, "12.00", "12.00")]}
    invoice = api.create("Invoice", body)
    assert invoice["TxnTaxDetail"]["TotalTax"] == pytest.approx(2.00)
    assert invoice["TotalAmt"] == pytest.approx(12.00)
    detail = invoice["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]
    assert detail["NetAmountTaxable"] == pytest.approx(10.00)
    assert detail["TaxInclusiveAmount"] == pytest.approx(12.00)


def test_credit_memo_vat_follows_the_same_rules(api, customer):
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": cheap_lines(),
            "TxnTaxDetail": {"TotalTax": "0.60"}}
    assert api.create("CreditMemo", body)["TotalAmt"] == pytest.approx(3.56)
    body["TxnTaxDetail"]["TaxLine"] = [tax_line("13", "0.60")]
    assert api.create("CreditMemo", body)["TotalAmt"] == pytest.approx(3.57)


def test_us_company_books_total_tax_as_sent():
    with QuickBooksEmulator(country="US", per_second=None) as qbo:
        api = Api(qbo)
        cust = api.create("Customer", {"DisplayName": "Joe"})
        body = {"CustomerRef": {"value": cust["Id"]}, "TxnTaxDetail": {"TotalTax": "0.60"},
                "Line": [{"Amount": "2.97", "DetailType": "SalesItemLineDetail",
                          "SalesItemLineDetail": {"ItemRef": {"value": "20"}}}]}
        assert api.create("Invoice", body)["TotalAmt"] == pytest.approx(3.57)


# -- TxnDate -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("country", "now", "day"),
    [("FR", "2026-03-31T22:30:00+00:00", "2026-04-01"),   # 00:30 in Paris
     ("FR", "2026-04-30T21:59:00+00:00", "2026-04-30"),   # 23:59 in Paris
     ("US", "2026-05-01T02:00:00+00:00", "2026-04-30")],  # 19:00 in Los Angeles
)
def test_default_txn_date_is_the_companys_day(country, now, day):
    with QuickBooksEmulator(country=country, per_second=None) as qbo:
        qbo.set_clock(lambda: dt.datetime.fromisoformat(now))
        api = Api(qbo)
        cust = api.create("Customer", {"DisplayName": "Joe"})
        line = sales_line("20", 1, "5", "5", tax="6")
        if country == "US":
            del line["SalesItemLineDetail"]["TaxCodeRef"]
        invoice = api.create("Invoice", {"CustomerRef": {"value": cust["Id"]}, "Line": [line]})
        assert invoice["TxnDate"] == day
        info = api.get(f"companyinfo/{qbo.realm_id}").json()["CompanyInfo"]
        assert info["DefaultTimeZone"] == {"FR": "Europe/Paris",
                                           "US": "America/Los_Angeles"}[country]

