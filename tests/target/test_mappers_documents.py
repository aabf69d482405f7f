"""Pure mapper tests: customers, invoices and credit memos (no HTTP)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.customers import customer_display_name, map_customer
from target_quickbooks.mappers.documents import (
    DocumentRefs,
    check_totals,
    customer_lookup_record,
    map_document,
    needed_settings,
    txn_date,
)
from target_quickbooks.mappers.names import short_hash

D = Decimal
REFS = DocumentRefs(
    customer={"value": "58"},
    items={"SKU-A": {"value": "101"}, "SKU-B": {"value": "102"}},
    tax_codes={"20": {"value": "3", "name": "TVA 20%"}, "5.5": {"value": "5"},
               "0": {"value": "6"}},
    default_tax_code={"value": "3"},
    shipping_item={"value": "9", "name": "Shipping"},
    adjustment_item={"value": "10", "name": "Adjustment"},
    discount_account={"value": "86", "name": "Discounts given"},
)


def customer(**fields):
    record = {"customer_key": "42", "customer_id": "42", "email": "camille@example.fr",
              "firstname": "Camille", "lastname": "Martin", "company": "Atelier Martin",
              "phone": "+33 1 23 45 67 89",
              "billing_address": {"street": ["12 rue de la Paix", "Bâtiment B"],
                                  "city": "Paris", "postcode": "75002", "region": "IDF",
                                  "country_id": "FR"}}
    record.update(fields)
    return record


def invoice(**fields):
    record = {
        "id": "1001", "increment_id": "INV-1001", "customer_key": "42",
        "created_at": dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone.utc),
        "currency": "EUR",
        "items": [
            {"sku": "SKU-A", "name": "Casque", "qty": D("2"), "price": D("10.00"),
             "tax_percent": D("20.0000"), "tax_amount": D("4.00"), "row_total": D("20.00")},
            {"sku": "SKU-B", "name": "Livre", "qty": D("1"), "price": D("9.99"),
             "tax_percent": D("5.5"), "tax_amount": D("0.55"), "row_total": D("9.99")},
        ],
        "subtotal": D("29.99"), "tax_amount": D("4.55"), "shipping_amount": D("5.00"),
        "shipping_tax_amount": D("1.00"), "discount_amount": D("3.00"),
        "grand_total": D("37.54"),
    }
    record.update(fields)
    return record


# --- customers ---------------------------------------------------------------


def test_customer_payload():
    payload, warnings = map_customer(customer())
    assert warnings == []
    assert payload == {
        "DisplayName": "Camille Martin (#42)",
        "GivenName": "Camille",
        "FamilyName": "Martin",
        "CompanyName": "Atelier Martin",
        "PrimaryEmailAddr": {"Address": "camille@example.fr"},
        "PrimaryPhone": {"FreeFormNumber": "+33 1 23 45 67 89"},
        "BillAddr": {"Line1": "12 rue de la Paix", "Line2": "Bâtiment B", "City": "Paris",
                     "PostalCode": "75002", "CountrySubDivisionCode": "IDF",
                     "Country": "FR"},
    }


def test_guest_display_name_uses_lowercased_email_and_is_deterministic():
    record = customer(customer_key="guest:jane.o'neil@example.com", customer_id=None,
                      firstname="Jane", lastname="O'Neil")
    assert customer_display_name(record) == "Jane O'Neil (jane.o'neil@example.com)"
    assert customer_display_name(dict(record)) == customer_display_name(record)


def test_invalid_email_dropped_with_warning_not_the_record():
    payload, warnings = map_customer(customer(email="not-an-email"))
    assert "PrimaryEmailAddr" not in payload
    assert warnings == ["email 'not-an-email' is not a valid address; left out"]


def test_long_street_lines_cut_with_warning_and_extra_lines_merged():
    street = ["a" * 600, "2", "3", "4", "5", "6"]
    payload, warnings = map_customer(customer(billing_address={"street": street}))
    assert len(payload["BillAddr"]["Line1"]) == 500
    assert payload["BillAddr"]["Line5"] == "5, 6"
    assert warnings == ["billing_address.street line 1 cut to 500 characters"]


def test_customer_without_any_name_rejected():
    with pytest.raises(MappingError, match="firstname, lastname or company"):
        map_customer(customer(firstname=None, lastname="", company=None))


def test_customer_company_only():
    payload, _ = map_customer(customer(firstname=None, lastname=None))
    assert payload["DisplayName"] == "Atelier Martin (#42)"


def test_customer_lookup_record_from_document():
    record = invoice(customer_firstname="Camille", customer_lastname="Martin",
                     customer_id="42")
    assert customer_display_name(customer_lookup_record(record)) == "Camille Martin (#42)"


# --- documents ---------------------------------------------------------------


def test_invoice_with_vat_shipping_and_discount():
    payload = map_document(invoice(), stream="invoices", refs=REFS)
    assert payload["CustomerRef"] == {"value": "58"}
    assert payload["DocNumber"] == "INV-1001"
    assert payload["TxnDate"] == "2026-03-01"
    assert payload["CurrencyRef"] == {"value": "EUR"}
    assert "PrivateNote" not in payload
    lines = payload["Line"]
    assert lines[0] == {
        "DetailType": "SalesItemLineDetail", "Amount": 20.0, "Description": "Casque",
        "SalesItemLineDetail": {"ItemRef": {"value": "101"}, "Qty": 2, "UnitPrice": 10,
                                "TaxCodeRef": {"value": "3", "name": "TVA 20%"}},
    }
    assert lines[1]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "5"}
    assert lines[1]["SalesItemLineDetail"]["UnitPrice"] == 9.99
    shipping = lines[2]
    assert shipping["Amount"] == 5.0
    assert shipping["SalesItemLineDetail"]["ItemRef"] == REFS.shipping_item
    assert shipping["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "3"  # 1.00 / 5.00 = 20 %
    assert lines[3] == {"DetailType": "DiscountLineDetail", "Amount": 3.0,
                        "DiscountLineDetail": {"PercentBased": False,
                                               "DiscountAccountRef": REFS.discount_account}}
    assert payload["TxnTaxDetail"] == {"TotalTax": 5.55}
    sales = sum(line["Amount"] for line in lines if line["DetailType"] != "DiscountLineDetail")
    total = D(str(sales)) - D("3.00") + D("5.55")
    assert total == D("37.54")
    assert json.loads(json.dumps(payload)) == payload


def test_reconciliation_to_the_cent():
    with pytest.raises(MappingError, match=r"do not reconcile.*grand_total is 37.55"):
        map_document(invoice(grand_total=D("37.55")), stream="invoices", refs=REFS)
    totals = check_totals(invoice(grand_total=D("37.544")), stream="invoices")
    assert totals.grand_total == D("37.544")


def test_no_lines_rejected():
    record = invoice(items=[], shipping_amount=D("0"), shipping_tax_amount=D("0"),
                     tax_amount=D("0"), discount_amount=D("0"), grand_total=D("0"))
    with pytest.raises(MappingError, match="'items' is empty"):
        map_document(record, stream="invoices", refs=REFS)


def test_shipping_only_document_has_one_shipping_line():
    record = invoice(items=[], tax_amount=D("0"), discount_amount=D("0"),
                     shipping_amount=D("5.00"), shipping_tax_amount=D("1.00"),
                     grand_total=D("6.00"))
    payload = map_document(record, stream="invoices", refs=REFS)
    assert [line["Amount"] for line in payload["Line"]] == [5.0]


def test_line_without_sku_rejected():
    with pytest.raises(MappingError, match=r"items\[0\].sku"):
        check_totals(invoice(items=[{"qty": 1, "row_total": 1}]), stream="invoices")


def test_unmapped_rate_is_refused_not_coded_with_the_default():
    record = invoice()
    record["items"][1]["tax_percent"] = D("8.5")
    with pytest.raises(MappingError, match=r"'items\[1\].tax_percent' is 8.5 %") as info:
        map_document(record, stream="invoices", refs=REFS)
    assert info.value.field == "items[1].tax_percent"
    assert 'add "8.5" to tax_code_map' in info.value.hint


def test_default_tax_code_serves_lines_without_rate_and_configs_without_map():
    record = invoice()
    record["items"][0]["tax_percent"] = None
    payload = map_document(record, stream="invoices", refs=REFS)
    assert payload["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "3"}
    us_refs = DocumentRefs(customer={"value": "1"}, items=REFS.items,
                           default_tax_code={"value": "TAX"},
                           shipping_item=REFS.shipping_item,
                           discount_account=REFS.discount_account)
    record = invoice()
    record["items"][1]["tax_percent"] = D("8.5")
    payload = map_document(record, stream="invoices", refs=us_refs)
    codes = [line["SalesItemLineDetail"]["TaxCodeRef"] for line in payload["Line"][:3]]
    assert codes == [{"value": "TAX"}] * 3


def three_lines_of_3335(**fields):
    record = invoice(
        items=[{"sku": sku, "qty": D("1"), "price": D("3.3350"), "row_total": D("3.3350"),
                "tax_percent": D("0")} for sku in ("SKU-A", "SKU-B", "SKU-A")],
        tax_amount=D("0"), shipping_amount=D("0"), shipping_tax_amount=D("0"),
        discount_amount=D("0"), grand_total=D("10.01"),
    )
    record.update(fields)
    return record


def booked_total(payload):
    """TotalAmt as QuickBooks computes it: Σ sales line amounts − discount + TotalTax."""
    total = D(str(payload["TxnTaxDetail"]["TotalTax"]))
    for line in payload["Line"]:
        sign = -1 if line["DetailType"] == "DiscountLineDetail" else 1
        total += sign * D(str(line["Amount"]))
    return total


def test_per_line_rounding_gets_an_explicit_rounding_line():
    record = three_lines_of_3335()
    assert check_totals(record, stream="invoices").grand_total == D("10.01")
    payload = map_document(record, stream="invoices", refs=REFS)
    assert [line["Amount"] for line in payload["Line"]] == [3.34, 3.34, 3.34, -0.01]
    rounding = payload["Line"][-1]
    assert rounding["Description"] == "Rounding"
    assert rounding["SalesItemLineDetail"] == {"ItemRef": REFS.adjustment_item,
                                               "TaxCodeRef": {"value": "6"}}
    assert booked_total(payload) == D("10.01")
    assert needed_settings(record, stream="invoices") == {"adjustment_item"}


def test_rounding_line_comes_before_the_discount_and_counts_it():
    record = three_lines_of_3335(discount_amount=D("1.00"), grand_total=D("9.01"))
    payload = map_document(record, stream="invoices", refs=REFS)
    assert [line["DetailType"] for line in payload["Line"]][-2:] == [
        "SalesItemLineDetail", "DiscountLineDetail"]
    assert booked_total(payload) == D("9.01")


def test_exact_documents_get_no_rounding_line():
    payload = map_document(invoice(), stream="invoices", refs=REFS)
    assert all(line.get("Description") != "Rounding" for line in payload["Line"])
    assert "adjustment_item" not in needed_settings(invoice(), stream="invoices")


def test_rounding_without_adjustment_item_is_a_clear_error():
    refs = DocumentRefs(customer={"value": "1"}, items=REFS.items, tax_codes=REFS.tax_codes)
    with pytest.raises(MappingError, match=r"\+0.01 off grand_total.*adjustment_item") as info:
        map_document(three_lines_of_3335(), stream="invoices", refs=refs)
    assert info.value.field == "grand_total"


@pytest.mark.parametrize(
    ("shipping", "shipping_tax", "code"),
    [(D("4.17"), D("0.83"), "3"), (D("5.00"), D("1.00"), "3"), (D("9.48"), D("0.52"), "5"),
     (D("3.33"), D("0.18"), "5"), (D("7.00"), D("0"), "6")],
)
def test_shipping_tax_code_is_the_rate_that_gives_the_tax_to_the_cent(shipping, shipping_tax,
                                                                      code):
    tax = D("4.55") + shipping_tax
    record = invoice(shipping_amount=shipping, shipping_tax_amount=shipping_tax,
                     grand_total=D("29.99") + shipping + tax - D("3.00"))
    # The default code must not be what makes this pass (it is 20 % in REFS).
    refs = dataclasses.replace(REFS, default_tax_code={"value": "default"})
    payload = map_document(record, stream="invoices", refs=refs)
    shipping_line = payload["Line"][2]
    assert shipping_line["Description"] == "Shipping"
    assert shipping_line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == code


def test_shipping_tax_matching_no_configured_rate_is_refused():
    record = invoice(shipping_amount=D("5.00"), shipping_tax_amount=D("0.50"),
                     grand_total=D("37.04"))
    with pytest.raises(MappingError, match=r"'shipping_tax_amount' \(0.50\)") as info:
        map_document(record, stream="invoices", refs=REFS)
    assert info.value.field == "shipping_tax_amount"
    assert "tax_code_map" in info.value.hint


def test_no_tax_code_at_all_leaves_it_out():
    refs = DocumentRefs(customer={"value": "1"}, items=REFS.items,
                        shipping_item=REFS.shipping_item,
                        discount_account=REFS.discount_account)
    payload = map_document(invoice(), stream="invoices", refs=refs)
    assert "TaxCodeRef" not in payload["Line"][0]["SalesItemLineDetail"]


def test_long_doc_number_fallback_with_private_note():
    number = "FR-2026-INVOICE-00000012345"
    payload = map_document(invoice(increment_id=number), stream="invoices", refs=REFS)
    assert payload["DocNumber"] == f"{number[:12]}~{short_hash(number)}"
    assert len(payload["DocNumber"]) == 21
    assert payload["PrivateNote"] == number


def test_credit_memo_with_adjustments():
    record = invoice(
        id="CM-1", increment_id="CM-1", shipping_amount=D("0"), shipping_tax_amount=D("0"),
        discount_amount=D("0"), adjustment_positive=D("2.50"), adjustment_negative=D("1.00"),
        tax_amount=D("4.55"), grand_total=D("36.04"),
    )
    payload = map_document(record, stream="credit_memos", refs=REFS)
    adjustment = payload["Line"][-1]
    assert adjustment["Amount"] == 1.5
    assert adjustment["SalesItemLineDetail"]["ItemRef"] == REFS.adjustment_item
    assert adjustment["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "6"}
    assert [line["DetailType"] for line in payload["Line"]] == ["SalesItemLineDetail"] * 3
    assert needed_settings(record, stream="credit_memos") == {"adjustment_item"}


def test_negative_adjustment_line():
    record = invoice(shipping_amount=D("0"), shipping_tax_amount=D("0"),
                     discount_amount=D("0"), adjustment_negative=D("5.00"),
                     grand_total=D("29.54"))
    payload = map_document(record, stream="credit_memos", refs=REFS)
    assert payload["Line"][-1]["Amount"] == -5.0
    # Invoices ignore adjustment fields, so the same numbers do not reconcile there.
    with pytest.raises(MappingError, match="do not reconcile"):
        check_totals(record, stream="invoices")


def test_negative_discount_refused():
    with pytest.raises(MappingError, match="'discount_amount' is negative"):
        check_totals(invoice(discount_amount=D("-3"), grand_total=D("43.54")),
                     stream="invoices")


def test_missing_configured_references_are_mapping_errors():
    refs = DocumentRefs(customer={"value": "1"}, items=REFS.items)
    with pytest.raises(MappingError, match="shipping_item"):
        map_document(invoice(), stream="invoices", refs=refs)


def test_unresolved_item_is_mapping_error():
    refs = DocumentRefs(customer={"value": "1"}, items={"SKU-A": {"value": "1"}},
                        shipping_item=REFS.shipping_item, discount_account=REFS.discount_account)
    with pytest.raises(MappingError, match="SKU-B"):
        map_document(invoice(), stream="invoices", refs=refs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-03-01T23:59:59+00:00", "2026-03-01"), (dt.date(2026, 1, 2), "2026-01-02"),
     ("2026-03-01", "2026-03-01")],
)
def test_txn_date(value, expected):
    assert txn_date(value) == expected


def test_bad_created_at():
    with pytest.raises(MappingError, match="created_at"):
        txn_date("yesterday")


def test_string_numbers_accepted_like_decimals():
    record = json.loads(json.dumps(invoice(), default=str))
    payload = map_document(record, stream="invoices", refs=REFS)
    assert payload["TxnTaxDetail"]["TotalTax"] == 5.55
