"""Fidelity fixes of issue 11, in process: ORDER BY, language, currencies, hard expiry.

The same behaviours are judged by public clients in tests/conformance (make conformance);
these keep them covered by the main run, without that suite's own virtualenv.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from quickbooks_emulator import QboFault
from quickbooks_emulator.api import CompanyApi
from quickbooks_emulator.entities import SPECS
from quickbooks_emulator.faults import duplicate_name, stale
from quickbooks_emulator.localization import default_language, localize
from quickbooks_emulator.oauth import REFRESH_TOKEN_HARD_LIFETIME, OAuthServer
from quickbooks_emulator.payload_rules import sales_payload
from quickbooks_emulator.query import parse
from quickbooks_emulator.store import Company, View
from quickbooks_emulator.validation import WriteOptions, validate


def test_order_by_in_two_words_parses_like_orderby():
    one = parse("select * from Item ORDERBY Name DESC, Sku STARTPOSITION 2")
    two = parse("select * from Item order  by Name DESC, Sku STARTPOSITION 2")
    assert one.order == two.order == [("Name", True), ("Sku", False)]
    assert two.start == 2
    with pytest.raises(QboFault) as error:
        parse("select * from Item ORDER Name")
    assert error.value.code == "4000"


def test_french_company_answers_in_french_with_the_same_code_and_id():
    assert (default_language("FR"), default_language("us")) == ("fr", "en")
    body = duplicate_name("425", "customer, vendor or employee").fault("fr")
    assert body["Error"] == [{"Message": "Nom en double", "Detail": "Ce nom existe déjà. : Id=425",
                              "code": "6240", "element": "Name"}]
    english = duplicate_name("425", "product or service").fault("en")["Error"][0]
    assert english["Message"] == "Duplicate Name Exists Error"
    assert english["Detail"].endswith(": Id=425")
    assert localize("4000", "Error parsing query", "QueryParserError: x", {}, "fr") == (
        "Erreur d'analyse de la requête", "QueryParserError: x")


def test_stale_object_has_no_sync_token_and_an_empty_element():
    (error,) = stale().fault("en")["Error"]
    assert error["element"] == ""
    assert error["Detail"] == (
        "Stale Object Error : You and Demo User were working on this at the same time."
        " Demo User finished before you did, so your work was not saved.")


def test_company_language_follows_its_country_unless_given():
    assert Company("1", "FR").language == "fr"
    assert Company("1", "US").language == "en"
    assert Company("1", "FR", "en").language == "en"
    with pytest.raises(ValueError, match="language"):
        Company("1", "FR", "de")


def test_python_quickbooks_empty_values_are_read_as_absent():
    payload: dict[str, Any] = {"ApplyTaxAfterDiscount": "", "DueDate": "", "Line": [
        {"Amount": 100, "CustomField": [], "SalesItemLineDetail": {
            "ServiceDate": "", "Qty": 0, "UnitPrice": 0, "ItemRef": {"value": "20"}}},
        {"Amount": 0, "SalesItemLineDetail": {"Qty": 0, "UnitPrice": 0}},
        {"Amount": 5, "CustomField": [{"Name": "x"}], "SalesItemLineDetail": {"Qty": 1}}]}
    assert sales_payload(payload) == {"Line": [
        {"Amount": 100, "SalesItemLineDetail": {"ItemRef": {"value": "20"}}},
        {"Amount": 0, "SalesItemLineDetail": {"Qty": 0, "UnitPrice": 0}},
        {"Amount": 5, "CustomField": [{"Name": "x"}], "SalesItemLineDetail": {"Qty": 1}}]}


def _invoice(customer_id: str, currency: str | None) -> dict[str, Any]:
    invoice: dict[str, Any] = {"CustomerRef": {"value": customer_id}, "Line": [{
        "Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {
            "ItemRef": {"value": "20"}, "TaxCodeRef": {"value": "6"}}}]}
    if currency:
        invoice["CurrencyRef"] = {"value": currency}
    return invoice


def test_multicurrency_document_is_in_its_customers_currency():
    company = Company("1", "FR", multicurrency=True)
    api = CompanyApi(company)
    usd, _ = api.write(SPECS["Customer"], {"DisplayName": "Dollar",
                                           "CurrencyRef": {"value": "usd"}}, WriteOptions())
    assert usd["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    invoice, _ = api.write(SPECS["Invoice"], _invoice(usd["Id"], None), WriteOptions())
    assert invoice["CurrencyRef"]["value"] == "USD"
    assert (invoice["ExchangeRate"], invoice["HomeTotalAmt"]) == (Decimal(1), Decimal(10))
    with pytest.raises(QboFault) as error:
        api.write(SPECS["Invoice"], _invoice(usd["Id"], "EUR"), WriteOptions())
    assert (error.value.code, error.value.element) == ("6000", "CurrencyRef")


def test_without_multicurrency_a_foreign_currency_is_still_refused():
    company = Company("1", "FR")
    with pytest.raises(QboFault) as error:
        validate("Customer", {"DisplayName": "X", "CurrencyRef": {"value": "USD"}},
                 View(company),
                 None, WriteOptions())
    assert error.value.code == "6000"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refresh_token_hard_expiry_is_answered_when_asked_and_enforced():
    clock = FakeClock()
    server = OAuthServer(client_id="c", client_secret="s", realm_id="1",
                         initial_refresh_token="rt", time_scale=1000, clock=clock)
    form = "grant_type=refresh_token&client_id=c&client_secret=s&refresh_token="
    first = server.token("", form + "rt", include_hard_expiry=True).body
    assert first is not None
    assert first["x_refresh_token_hard_expires_in"] == REFRESH_TOKEN_HARD_LIFETIME
    clock.now += 1000  # 1,000,000 scaled seconds
    plain = server.token("", form + first["refresh_token"]).body
    assert plain is not None and "x_refresh_token_hard_expires_in" not in plain
    clock.now += REFRESH_TOKEN_HARD_LIFETIME / 1000
    dead = server.token("", form + plain["refresh_token"], include_hard_expiry=True)
    assert (dead.status, dead.body) == (400, {
        "error": "invalid_grant", "error_description": "Incorrect or invalid refresh token"})


def test_access_token_problem_names_why():
    clock = FakeClock()
    server = OAuthServer(client_id="c", client_secret="s", realm_id="1",
                         initial_refresh_token="rt", clock=clock)
    body = server.token("", "grant_type=refresh_token&client_id=c&client_secret=s"
                            "&refresh_token=rt").body
    assert body is not None
    bearer = "Bearer " + body["access_token"]
    assert server.access_token_problem(bearer) is None
    assert server.access_token_problem("Bearer nope") == (
        "Token invalid: unknown or revoked bearer token")
    assert server.access_token_problem("") == (
        "Authorization header missing or not a Bearer token")
    clock.now += 3601
    assert server.access_token_problem(bearer) == "Token expired"
