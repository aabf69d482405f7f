"""VAT per rate (TxnTaxDetail.TaxLine), the company's day (TxnDate) and line signs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from target_quickbooks.company_time import UnknownTimeZone, company_zone
from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.documents import check_totals, map_document, txn_date
from target_quickbooks.mappers.vat import SalesRate
from test_mappers_documents import REFS, invoice

D = Decimal
RATES = {
    "3": SalesRate({"value": "13", "name": "TVA 20% (vente)"}, D(20)),
    "5": SalesRate({"value": "15", "name": "TVA 5,5% (vente)"}, D("5.5")),
    "6": SalesRate({"value": "16", "name": "TVA 0% (vente)"}, D(0)),
}
FR_REFS = dataclasses.replace(REFS, sales_rates=RATES, timezone=ZoneInfo("Europe/Paris"))


def cheap_invoice(**fields):
    """3 × 0.99 € at 20 % and 2 × 0.99 € at 5.5 %, VAT rounded per line at the source.

    Per line: 3 × 0.20 = 0.60 € and 2 × 0.05 = 0.10 €; QuickBooks on the sums of a rate:
    2.97 × 20 % = 0.59 € and 1.98 × 5.5 % = 0.11 €.
    """
    line = {"sku": "SKU-A", "name": "Dosette", "qty": D(1), "price": D("0.99"),
            "row_total": D("0.99")}
    items = [*({**line, "tax_percent": D(20), "tax_amount": D("0.20")} for _ in range(3)),
             *({**line, "sku": "SKU-B", "tax_percent": D("5.5"), "tax_amount": D("0.05")}
               for _ in range(2))]
    record = invoice(items=items, subtotal=D("4.95"), tax_amount=D("0.70"),
                     shipping_amount=D("5.00"), shipping_tax_amount=D("1.00"),
                     discount_amount=D(0), grand_total=D("11.65"))
    record.update(fields)
    return record


def test_vat_is_stated_per_rate_as_the_source_has_it():
    payload = map_document(cheap_invoice(), stream="invoices", refs=FR_REFS)
    assert payload["TxnTaxDetail"] == {
        "TotalTax": 1.7,
        "TaxLine": [
            {"DetailType": "TaxLineDetail", "Amount": 1.6,
             "TaxLineDetail": {"TaxRateRef": {"value": "13", "name": "TVA 20% (vente)"},
                               "PercentBased": True, "TaxPercent": 20,
                               "NetAmountTaxable": 7.97}},
            {"DetailType": "TaxLineDetail", "Amount": 0.1,
             "TaxLineDetail": {"TaxRateRef": {"value": "15", "name": "TVA 5,5% (vente)"},
                               "PercentBased": True, "TaxPercent": 5.5,
                               "NetAmountTaxable": 1.98}},
        ],
    }


def test_line_discounts_lower_the_taxable_amount():
    record = invoice()
    record["items"][0]["discount_amount"] = D("3.00")
    record["items"][0]["tax_amount"] = D("3.40")
    record.update(tax_amount=D("3.95"), grand_total=D("36.94"))
    lines = map_document(record, stream="invoices", refs=FR_REFS)["TxnTaxDetail"]["TaxLine"]
    assert [(x["TaxLineDetail"]["NetAmountTaxable"], x["Amount"]) for x in lines] == [
        (22.0, 4.4), (9.99, 0.55)]  # 20 %: 17.00 + shipping 5.00; VAT 3.40 + 1.00


def test_rounding_and_adjustment_lines_are_zero_rated_in_the_tax_lines():
    record = invoice(items=[{"sku": "SKU-A", "qty": D(1), "price": D("3.335"),
                             "row_total": D("3.335"), "tax_percent": D(0),
                             "tax_amount": D(0)}] * 3,
                     subtotal=D("10.005"), tax_amount=D(0), shipping_amount=D(0),
                     shipping_tax_amount=D(0), discount_amount=D(0), grand_total=D("10.01"))
    payload = map_document(record, stream="invoices", refs=FR_REFS)
    (line,) = payload["TxnTaxDetail"]["TaxLine"]
    assert line["TaxLineDetail"]["TaxRateRef"]["value"] == "16"
    assert line["TaxLineDetail"]["NetAmountTaxable"] == 10.01  # 3 × 3.34 - 0.01 rounding
    assert line["Amount"] == 0


def test_without_sales_rates_only_total_tax_is_sent():
    payload = map_document(cheap_invoice(), stream="invoices", refs=REFS)
    assert payload["TxnTaxDetail"] == {"TotalTax": 1.7}


def test_a_code_without_a_single_sales_rate_is_refused():
    refs = dataclasses.replace(FR_REFS, sales_rates={"3": RATES["3"]})
    with pytest.raises(MappingError, match="TaxCode 5") as error:
        map_document(cheap_invoice(), stream="invoices", refs=refs)
    assert error.value.field == "items[3].tax_amount"
    assert "exactly one sales rate" in error.value.hint


def test_lines_vat_that_misses_the_documents_is_refused():
    record = cheap_invoice()
    record["items"][0]["tax_amount"] = D("0.19")
    record.update(tax_amount=D("0.70"))
    with pytest.raises(MappingError, match=r"does not add up.*1\.70") as error:
        map_document(record, stream="invoices", refs=FR_REFS)
    assert error.value.field == "tax_amount"


def test_missing_line_vat_on_one_rate_takes_the_documents_vat():
    record = invoice(items=[{"sku": "SKU-A", "qty": D(3), "price": D("0.99"),
                             "row_total": D("2.97"), "tax_percent": D(20)}],
                     subtotal=D("2.97"), tax_amount=D("0.60"), shipping_amount=D(0),
                     shipping_tax_amount=D(0), discount_amount=D(0), grand_total=D("3.57"))
    (line,) = map_document(record, stream="invoices", refs=FR_REFS)["TxnTaxDetail"]["TaxLine"]
    assert line["Amount"] == 0.6


def test_missing_line_vat_of_one_rate_is_what_the_other_rates_leave():
    record = cheap_invoice()
    for line in record["items"][:3]:
        del line["tax_amount"]
    lines = map_document(record, stream="invoices", refs=FR_REFS)["TxnTaxDetail"]["TaxLine"]
    assert [line["Amount"] for line in lines] == [1.6, 0.1]  # 1.70 - 0.10 at 5.5 %


def test_missing_line_vat_on_several_rates_is_refused():
    record = cheap_invoice()
    del record["items"][0]["tax_amount"]
    del record["items"][4]["tax_amount"]
    with pytest.raises(MappingError, match="several VAT rates") as error:
        map_document(record, stream="invoices", refs=FR_REFS)
    assert error.value.field == "items[0].tax_amount"


# --- TxnDate: the company's day -----------------------------------------------


@pytest.mark.parametrize(
    ("created_at", "zone", "day"),
    [
        ("2026-03-31T22:30:00Z", "Europe/Paris", "2026-04-01"),        # 00:30 in Paris
        ("2026-03-31T22:30:00+00:00", "UTC", "2026-03-31"),
        ("2026-03-31 21:59:59", "Europe/Paris", "2026-03-31"),         # no zone: UTC
        ("2026-05-01T02:00:00Z", "America/New_York", "2026-04-30"),    # 22:00 the day before
        ("2026-05-01T04:00:00Z", "America/New_York", "2026-05-01"),
        (dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.timezone.utc), "Europe/Paris",
         "2026-04-01"),
        (dt.date(2026, 3, 31), "Europe/Paris", "2026-03-31"),
        ("2026-03-31", "Pacific/Auckland", "2026-03-31"),
    ],
)
def test_txn_date_is_the_day_in_the_companys_zone(created_at, zone, day):
    assert txn_date(created_at, ZoneInfo(zone)) == day


def test_document_is_dated_by_the_company_zone():
    record = invoice(created_at="2026-03-31T22:30:00Z")
    assert map_document(record, stream="invoices", refs=FR_REFS)["TxnDate"] == "2026-04-01"
    assert map_document(record, stream="invoices", refs=REFS)["TxnDate"] == "2026-03-31"


@pytest.mark.parametrize(
    ("country", "stamp", "zone"),
    [
        ("FR", None, "Europe/Paris"),
        ("GB", "2026-07-01T10:00:00+01:00", "Europe/London"),
        ("US", "2026-01-15T10:00:00-08:00", "America/Los_Angeles"),
        ("US", "2026-07-15T10:00:00-07:00", "America/Los_Angeles"),
        ("US", "2026-01-15T10:00:00-05:00", "America/New_York"),
        ("US", "2026-07-15T10:00:00-04:00", "America/New_York"),
        ("CA", "2026-01-15T10:00:00-05:00", "America/Toronto"),
        ("AU", "2026-01-15T10:00:00+11:00", "Australia/Sydney"),
        ("XX", "2026-01-15T10:00:00+03:00", "UTC+03:00"),
        ("", None, "UTC"),
    ],
)
def test_zone_derived_from_company(country, stamp, zone):
    company = {"Country": country}
    if stamp:
        company["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
    assert company_zone(None, company).name == zone


def test_zone_setting_wins_and_is_checked():
    assert company_zone("America/New_York", {"Country": "FR"}).name == "America/New_York"
    with pytest.raises(UnknownTimeZone, match="setting `timezone`"):
        company_zone("Paris", {"Country": "FR"})


# --- negative quantities and prices -----------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("qty", D(-1)), ("price", D("-0.01"))])
@pytest.mark.parametrize("stream", ["invoices", "credit_memos"])
def test_negative_quantity_or_price_is_refused(stream, field, value):
    record = cheap_invoice()
    record["items"][2][field] = value
    with pytest.raises(MappingError, match=f"items\\[2\\].{field}' is -") as error:
        check_totals(record, stream=stream)
    assert error.value.field == f"items[2].{field}"
    assert "fix the line at the source" in error.value.hint
    with pytest.raises(MappingError):
        map_document(record, stream=stream, refs=FR_REFS)
