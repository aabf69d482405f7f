
"""The myFulfillment emulator over real sockets: auth, paging, filters, sorts, limits, faults,
controls, CLI, and the demo dataset's hard cases and reconciled amounts."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from myfulfillment_emulator import MyFulfillmentEmulator
from myfulfillment_emulator.controls import Clock
from myfulfillment_emulator.dataset import build_demo

CREDENTIALS = {"username": "demo", "password": "demo-password"}
CENT = Decimal("0.01")
FOUR_DECIMALS = re.compile(r"^-?\d+\.\d{4}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ENDPOINTS = {
    "products": "/catalog-product/products",
    "orders": "/sales/orders",
    "invoices": "/sales/invoices",
    "credit_memos": "/sales/creditmemos",
}


def login(emulator: MyFulfillmentEmulator) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{emulator.url}/auth/token", json=CREDENTIALS, timeout=5)
    assert response.status_code == 200, response.text
    session.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return session


def fetch_all(session: requests.Session, emulator: MyFulfillmentEmulator, path: str,
              **params: str) -> list[dict]:
    records: list[dict] = []
    offset = 0
    while True:
        response = session.get(f"{emulator.url}{path}",
                               params={**params, "limit": 7, "offset": offset}, timeout=5)
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["data"]
        offset += 7
        if offset >= int(body["meta"]["total"]):
            return records


@pytest.fixture(scope="module")
def shared() -> MyFulfillmentEmulator:
    with MyFulfillmentEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def session(shared: MyFulfillmentEmulator) -> requests.Session:
    return login(shared)


@pytest.fixture(scope="module")
def demo(shared: MyFulfillmentEmulator, session: requests.Session) -> dict[str, list[dict]]:
    return {name: fetch_all(session, shared, path) for name, path in ENDPOINTS.items()}


@pytest.fixture
def emulator() -> MyFulfillmentEmulator:
    with MyFulfillmentEmulator() as fresh:
        yield fresh


# --- auth --------------------------------------------------------------------------------

def test_login_returns_a_token_that_opens_the_api(shared: MyFulfillmentEmulator) -> None:
    session = login(shared)
    response = session.get(f"{shared.url}/catalog-product/products", timeout=5)
    assert response.status_code == 200


@pytest.mark.parametrize("body", [
    {"username": "demo", "password": "wrong"},
    {"username": "someone", "password": "demo-password"},
])
def test_bad_credentials_get_401_json(shared: MyFulfillmentEmulator, body: dict) -> None:
    response = requests.post(f"{shared.url}/auth/token", json=body, timeout=5)
    assert response.status_code == 401
    assert "message" in response.json()
    assert "demo-password" not in response.text


def test_missing_credentials_get_422(shared: MyFulfillmentEmulator) -> None:
    response = requests.post(f"{shared.url}/auth/token", json={"username": "demo"}, timeout=5)
    assert response.status_code == 422
    assert response.json()["errors"]["password"] == ["The password field is required."]


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic ZGVtbzpkZW1v"])
def test_missing_or_unknown_token_gets_401(shared: MyFulfillmentEmulator,
                                           header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{shared.url}/sales/orders", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthenticated."}


def test_expire_tokens_forces_a_new_login(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    emulator.expire_tokens()
    assert session.get(f"{emulator.url}/sales/orders", timeout=5).status_code == 401
    assert login(emulator).get(f"{emulator.url}/sales/orders", timeout=5).status_code == 200
    assert emulator.stats()["logins"] == 2


def test_admin_expire_tokens(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    assert requests.post(f"{emulator.admin_url}/expire-tokens", timeout=5).status_code == 200
    assert session.get(f"{emulator.url}/sales/orders", timeout=5).status_code == 401


def test_token_expires_after_its_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    with MyFulfillmentEmulator(token_ttl_seconds=3600) as emulator:
        now = [1000.0]
        monkeypatch.setattr(emulator.clock, "now", lambda: now[0])
        session = login(emulator)
        now[0] += 3599
        assert session.get(f"{emulator.url}/sales/orders", timeout=5).status_code == 200
        now[0] += 1
        assert session.get(f"{emulator.url}/sales/orders", timeout=5).status_code == 401


def test_time_scale_speeds_up_the_clock() -> None:
    real = [10.0]
    clock = Clock(60.0, source=lambda: real[0])
    before = clock.now()
    real[0] += 1.0
    assert clock.now() - before == pytest.approx(60.0)
    with pytest.raises(ValueError, match="time_scale"):
        Clock(0)


# --- paging, filters, sorts --------------------------------------------------------------

def test_list_envelope_has_a_string_total_and_default_limit_20(
        shared: MyFulfillmentEmulator, session: requests.Session) -> None:
    body = session.get(f"{shared.url}/catalog-product/products", timeout=5).json()
    assert set(body) == {"data", "meta"}
    assert body["meta"]["total"] == str(len(build_demo().products))
    assert isinstance(body["meta"]["total"], str)
    assert len(body["data"]) == 20
    assert [p["id"] for p in body["data"]] == [str(i) for i in range(1, 21)]


def test_offset_paging_covers_every_record_once(demo: dict[str, list[dict]]) -> None:
    expected = build_demo()
    for name in ENDPOINTS:
        ids = [record["id"] for record in demo[name]]
        assert len(ids) == len(set(ids)) == len(getattr(expected, name))


def test_offset_past_the_end_gives_an_empty_page(shared: MyFulfillmentEmulator,
                                                 session: requests.Session) -> None:
    body = session.get(f"{shared.url}/sales/orders", params={"offset": 1000}, timeout=5).json()
    assert body["data"] == []
    assert body["meta"]["total"] == str(len(build_demo().orders))


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"limit": 501}, "limit", "The limit field must not be greater than 500."),
    ({"limit": 0}, "limit", "The limit field must be at least 1."),
    ({"limit": "ten"}, "limit", "The limit field must be an integer."),
    ({"offset": -1}, "offset", "The offset field must be at least 0."),
    ({"sorts[price]": "up"}, "sorts.price", "The sorts.price field must be asc or desc."),
    ({"filters[nope]": "x"}, "filters.nope", "The filter field `nope` is not allowed."),
])
def test_bad_list_parameters_get_laravel_422(shared: MyFulfillmentEmulator,
                                             session: requests.Session, params: dict,
                                             field: str, message: str) -> None:
    response = session.get(f"{shared.url}/catalog-product/products", params=params, timeout=5)
    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": {field: [message]}}


def test_limit_500_is_allowed(shared: MyFulfillmentEmulator, session: requests.Session) -> None:
    response = session.get(f"{shared.url}/catalog-product/products", params={"limit": 500},
                           timeout=5)
    assert response.status_code == 200
    assert len(response.json()["data"]) == len(build_demo().products)


def test_equality_filter(shared: MyFulfillmentEmulator, session: requests.Session) -> None:
    body = session.get(f"{shared.url}/catalog-product/products",
                       params={"filters[sku]": "1005266-1005727"}, timeout=5).json()
    assert [p["name"] for p in body["data"]] == ["Pack 3 Cartouches Pod Feelin A1 - 1.20 Ω"]
    assert body["meta"]["total"] == "1"


def test_like_filter_is_case_insensitive_and_totals_after_filtering(
        shared: MyFulfillmentEmulator, session: requests.Session) -> None:
    body = session.get(f"{shared.url}/catalog-product/products",
                       params={"filters[name]": "%CRÈME%", "limit": 1}, timeout=5).json()
    assert body["meta"]["total"] == "2"
    assert len(body["data"]) == 1
    body = session.get(f"{shared.url}/catalog-product/products",
                       params={"filters[sku]": "%\\_deleted"}, timeout=5).json()
    assert {p["sku"] for p in body["data"]} == {"1004532_deleted", "CHARGEUR-MICRO-USB_deleted"}


def test_several_filters_combine(shared: MyFulfillmentEmulator, session: requests.Session) -> None:
    body = session.get(f"{shared.url}/catalog-product/products",
                       params={"filters[type]": "virtual", "filters[tax_rate]": "10"},
                       timeout=5).json()
    assert [p["sku"] for p in body["data"]] == ["TRAVAUX-INSTALLATION"]


def test_sort_updated_at_desc_gives_newest_first(shared: MyFulfillmentEmulator,
                                                 session: requests.Session) -> None:
    records = fetch_all(session, shared, "/sales/invoices", **{"sorts[updated_at]": "desc"})
    stamps = [r["updated_at"] for r in records]
    assert stamps == sorted(stamps, reverse=True)
    assert len(records) == len(build_demo().invoices)


def test_sorts_apply_in_order_with_id_tie_break(shared: MyFulfillmentEmulator,
                                                session: requests.Session) -> None:
    records = fetch_all(session, shared, "/catalog-product/products",
                        **{"sorts[tax_rate]": "desc", "sorts[price]": "asc"})
    keys = [(-Decimal(r["tax_rate"]), Decimal(r["price"]), int(r["id"])) for r in records]
    assert keys == sorted(keys)
    by_type = fetch_all(session, shared, "/catalog-product/products", **{"sorts[type]": "asc"})
    ids_per_type = defaultdict(list)
    for record in by_type:
        ids_per_type[record["type"]].append(int(record["id"]))
    assert [r["type"] for r in by_type] == sorted(r["type"] for r in by_type)
    assert all(ids == sorted(ids) for ids in ids_per_type.values())


def test_numeric_sort_is_by_value_not_text(shared: MyFulfillmentEmulator,
                                           session: requests.Session) -> None:
    records = fetch_all(session, shared, "/catalog-product/products", **{"sorts[id]": "desc"})
    assert [int(r["id"]) for r in records] == list(range(len(records), 0, -1))


def test_order_by_reference(shared: MyFulfillmentEmulator, session: requests.Session) -> None:
    number = "AMZ-FR-402-8841207-5563911"
    response = session.get(f"{shared.url}/sales/orders/reference/{quote(number)}", timeout=5)
    assert response.status_code == 200
    assert response.json()["data"]["increment_id"] == number
    missing = session.get(f"{shared.url}/sales/orders/reference/NOPE", timeout=5)
    assert missing.status_code == 404
    assert "message" in missing.json()


@pytest.mark.parametrize("kind", ["invoice", "creditmemo"])
def test_print_returns_a_pdf(shared: MyFulfillmentEmulator, session: requests.Session,
                             kind: str) -> None:
    response = session.get(f"{shared.url}/sales/{kind}/1/print", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-1.4")
    assert response.content.rstrip().endswith(b"%%EOF")
    xref = int(response.content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert response.content[xref:xref + 4] == b"xref"
    assert session.get(f"{shared.url}/sales/{kind}/999/print", timeout=5).status_code == 404


def test_unknown_route_and_wrong_method(shared: MyFulfillmentEmulator,
                                        session: requests.Session) -> None:
    assert session.get(f"{shared.url}/sales/nothing", timeout=5).status_code == 404
    assert session.get(f"{shared.url}/auth/token", timeout=5).status_code == 405
    assert session.post(f"{shared.url}/sales/orders", timeout=5).status_code == 405


# --- the demo dataset ----------------------------------------------------------------------

def test_dataset_is_deterministic() -> None:
    assert build_demo() == build_demo()


def test_record_shapes_and_value_formats(demo: dict[str, list[dict]]) -> None:
    product_fields = ["id", "sku", "name", "type", "barcode", "mpn", "manufacturer", "category",
                      "status", "discontinued", "cost", "price", "tax_rate", "weight", "qty",
                      "created_at", "updated_at"]
    assert all(list(p) == product_fields for p in demo["products"])
    order = demo["orders"][0]
    assert {"billing_address", "shipping_address", "items", "customer_email"} <= set(order)
    assert set(order["items"][0]) == {"item_id", "sku", "name", "qty_ordered", "price",
                                      "tax_percent", "tax_amount", "discount_amount",
                                      "row_total"}
    memo = demo["credit_memos"][0]
    assert {"invoice_id", "adjustment_positive", "adjustment_negative"} <= set(memo)
    assert set(memo["items"][0]) == {"sku", "name", "qty", "price", "tax_percent", "tax_amount",
                                     "discount_amount", "row_total"}
    for name, records in demo.items():
        for record in records:
            assert isinstance(record["id"], str)
            assert TIMESTAMP.match(record["created_at"])
            assert TIMESTAMP.match(record["updated_at"])
            assert record["created_at"] <= record["updated_at"]
            for key in ("price", "cost", "subtotal", "tax_amount", "grand_total", "qty"):
                if key in record:
                    assert FOUR_DECIMALS.match(record[key]), (name, key, record[key])
            assert record["created_at"].startswith("2026-")


def test_updated_at_increases_with_id(demo: dict[str, list[dict]]) -> None:
    for records in demo.values():
        stamps = [r["updated_at"] for r in sorted(records, key=lambda r: int(r["id"]))]
        assert stamps == sorted(set(stamps))


def _d(value: str) -> Decimal:
    assert FOUR_DECIMALS.match(value), value
    return Decimal(value)


def _check_document(document: dict, qty_field: str) -> Decimal:
    """Recompute a document's amounts from its lines; return its grand total."""
    assert document["items"], document["increment_id"]
    subtotal = tax = discount = Decimal(0)
    for item in document["items"]:
        row_total = (_d(item[qty_field]) * _d(item["price"])).quantize(CENT, ROUND_HALF_UP)
        assert _d(item["row_total"]) == row_total, (document["increment_id"], item["sku"])
        line_tax = ((row_total - _d(item["discount_amount"])) * _d(item["tax_percent"]) / 100)
        assert _d(item["tax_amount"]) == line_tax.quantize(CENT, ROUND_HALF_UP)
        subtotal += row_total
        tax += _d(item["tax_amount"])
        discount += _d(item["discount_amount"])
    assert _d(document["subtotal"]) == subtotal
    assert _d(document["discount_amount"]) == discount
    expected = (subtotal + _d(document["shipping_amount"]) - discount
                + _d(document.get("adjustment_positive", "0.0000"))
                - _d(document.get("adjustment_negative", "0.0000")))
    if "shipping_tax_amount" in document:
        assert _d(document["tax_amount"]) == tax
        expected += tax + _d(document["shipping_tax_amount"])
    else:  # orders: tax_amount includes the shipping tax
        expected += _d(document["tax_amount"])
        assert _d(document["tax_amount"]) >= tax
    assert _d(document["grand_total"]) == expected, document["increment_id"]
    return expected


def test_every_invoice_and_credit_memo_reconciles(demo: dict[str, list[dict]]) -> None:
    invoices = {i["id"]: i for i in demo["invoices"]}
    for invoice in demo["invoices"]:
        _check_document(invoice, "qty")
    refunded: dict[str, Decimal] = defaultdict(Decimal)
    for memo in demo["credit_memos"]:
        total = _check_document(memo, "qty")
        invoice = invoices[memo["invoice_id"]]
        assert memo["order_id"] == invoice["order_id"]
        refunded[memo["invoice_id"]] += total
        invoiced = {item["sku"]: Decimal(item["qty"]) for item in invoice["items"]}
        assert all(Decimal(item["qty"]) <= invoiced[item["sku"]] for item in memo["items"])
    assert all(total <= Decimal(invoices[i]["grand_total"]) for i, total in refunded.items())


def test_orders_reconcile_and_equal_the_sum_of_their_invoices(
        demo: dict[str, list[dict]]) -> None:
    invoiced: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in demo["invoices"]:
        invoiced[invoice["order_id"]] += Decimal(invoice["grand_total"])
    for order in demo["orders"]:
        total = _check_document(order, "qty_ordered")
        if order["id"] in invoiced:
            assert invoiced[order["id"]] == total, order["increment_id"]


def test_document_lines_reference_catalogue_skus(demo: dict[str, list[dict]]) -> None:
    # A deleted product's documents keep the SKU it had: ``<sku>`` of ``<sku>_deleted``.
    skus = {p["sku"].removesuffix("_deleted") for p in demo["products"]}
    for name in ("orders", "invoices", "credit_memos"):
        for document in demo[name]:
            assert {item["sku"] for item in document["items"]} <= skus


def test_products_disabled_or_deleted_after_they_were_sold(
        demo: dict[str, list[dict]]) -> None:
    """What real catalogues hold: several percent disabled after sale, a sold product deleted."""
    products = demo["products"]
    sold = {item["sku"] for name in ("invoices", "credit_memos") for document in demo[name]
            for item in document["items"]}
    refunded = {item["sku"] for memo in demo["credit_memos"] for item in memo["items"]}
    disabled = {p["sku"] for p in products if p["status"] == "0"
                and not p["sku"].endswith("_deleted")}
    assert disabled & sold == disabled and len(disabled) >= 0.05 * len(products)
    assert disabled & refunded
    deleted = {p["sku"].removesuffix("_deleted") for p in products
               if p["sku"].endswith("_deleted")}
    live = {p["sku"] for p in products}
    assert "CHARGEUR-MICRO-USB" in deleted & sold & refunded
    assert "CHARGEUR-MICRO-USB" not in live


def test_hard_product_cases_are_present(demo: dict[str, list[dict]]) -> None:
    products = demo["products"]
    by_sku = {p["sku"]: p for p in products}
    names = [p["name"] for p in products]
    assert "Pack 3 Cartouches Pod Feelin A1 - 1.20 Ω" in names
    assert "Crème d’amande" in names
    assert any(":" in name for name in names)
    assert any(len(name) > 100 for name in names)
    assert any("\n" in name for name in names)
    assert by_sku["1004532_deleted"]["status"] == "0"
    assert by_sku["1004532_deleted"]["name"] == by_sku["1004532"]["name"]
    assert "1005266-1005727" in by_sku
    assert {p["type"] for p in products} == {"simple", "virtual", "kit", "alias"}
    assert {p["tax_rate"] for p in products} == {"20.0000", "10.0000", "5.5000", "0.0000"}
    assert 30 <= len(products) <= 40


def test_hard_customer_and_order_cases_are_present(demo: dict[str, list[dict]]) -> None:
    orders = demo["orders"]
    assert 25 <= len(orders) <= 40
    dupont_emails = {o["customer_email"] for o in orders
                     if (o["customer_firstname"], o["customer_lastname"]) == ("Jean", "Dupont")}
    dupont_ids = {o["customer_id"] for o in orders if o["customer_lastname"] == "Dupont"}
    assert len(dupont_emails) == 2
    assert len(dupont_ids) == 2
    guests = [o for o in orders if o["customer_id"] is None]
    assert guests
    guest_emails = [o["customer_email"] for o in guests]
    assert len({e.lower() for e in guest_emails}) < len(set(guest_emails))  # case differs
    lastnames = {o["customer_lastname"] for o in orders}
    assert {"O'Brien", "D’Artagnan"} <= lastnames
    assert any(len(o["increment_id"]) > 21 for o in orders)
    streets = [o["billing_address"]["street"] for o in orders]
    assert all(isinstance(s, list) and s for s in streets)
    assert any(len(line) > 100 for s in streets for line in s)
    assert any(len(s) > 1 for s in streets)
    assert any(o["billing_address"]["company"] for o in orders)
    assert any(o["billing_address"]["company"] is None for o in orders)
    assert any(o["billing_address"]["telephone"] for o in orders)
    assert {o["status"] for o in orders} >= {"complete", "processing", "pending", "canceled"}


def test_hard_invoice_and_credit_memo_cases_are_present(demo: dict[str, list[dict]]) -> None:
    invoices, memos = demo["invoices"], demo["credit_memos"]
    rates = {item["tax_percent"] for i in invoices for item in i["items"]}
    assert {"20.0000", "10.0000", "5.5000", "0.0000"} <= rates
    assert any(len(i["items"]) >= 3 and len({it["tax_percent"] for it in i["items"]}) >= 2
               for i in invoices)
    assert any(Decimal(i["shipping_amount"]) and Decimal(i["shipping_tax_amount"])
               for i in invoices)
    assert any(Decimal(i["discount_amount"]) for i in invoices)
    assert any(len(i["increment_id"]) > 21 for i in invoices)
    assert len({i["order_id"] for i in invoices}) < len(invoices)  # an order invoiced twice
    assert {i["state"] for i in invoices} == {"paid", "open", "canceled"}
    assert 4 <= len(memos) <= 10
    assert any(Decimal(m["adjustment_positive"]) for m in memos)
    assert any(Decimal(m["adjustment_negative"]) for m in memos)
    assert any(Decimal(m["shipping_amount"]) for m in memos)


# --- rate limit, faults, latency --------------------------------------------------------

def test_rate_limit_answers_400_too_many_attempts_until_the_window_resets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with MyFulfillmentEmulator(rate_limit_per_minute=3) as emulator:
        now = [500.0]
        monkeypatch.setattr(emulator.clock, "now", lambda: now[0])
        session = login(emulator)  # 1
        url = f"{emulator.url}/catalog-product/products"
        assert [session.get(url, timeout=5).status_code for _ in range(3)] == [200, 200, 400]
        refused = session.get(url, timeout=5)
        assert refused.status_code == 400
        assert refused.text == "Too Many Attempts."
        now[0] += 59.9
        assert session.get(url, timeout=5).status_code == 400
        now[0] += 0.1
        assert session.get(url, timeout=5).status_code == 200
        assert emulator.stats()["rate_limited"] == 3


def test_injected_faults_hit_matching_paths_count_times(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    emulator.inject_fault(500, path_prefix="/sales/invoices", count=2)
    assert session.get(f"{emulator.url}/sales/orders", timeout=5).status_code == 200
    first = session.get(f"{emulator.url}/sales/invoices", timeout=5)
    assert (first.status_code, first.text) == (500, "An error occurred")
    assert session.get(f"{emulator.url}/sales/invoices", timeout=5).status_code == 500
    assert session.get(f"{emulator.url}/sales/invoices", timeout=5).status_code == 200
    assert emulator.stats()["faults"] == 2


@pytest.mark.parametrize(("status", "text"), [
    (400, "Too Many Attempts."), (429, "Too Many Attempts."), (502, "502 Bad Gateway"),
    (503, "503 Service Unavailable"), (504, "504 Gateway Timeout"),
])
def test_fault_default_bodies(emulator: MyFulfillmentEmulator, status: int, text: str) -> None:
    session = login(emulator)
    emulator.inject_fault(status)
    response = session.get(f"{emulator.url}/catalog-product/products", timeout=5)
    assert response.status_code == status
    assert text in response.text


def test_fault_with_custom_body_and_api_prefix(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    emulator.inject_fault(422, path_prefix="/api/sales", body='{"message": "Nope"}')
    response = session.get(f"{emulator.url}/sales/creditmemos", timeout=5)
    assert (response.status_code, response.json()) == (422, {"message": "Nope"})


def test_fault_on_login(emulator: MyFulfillmentEmulator) -> None:
    emulator.inject_fault(503, path_prefix="/auth")
    assert requests.post(f"{emulator.url}/auth/token", json=CREDENTIALS,
                         timeout=5).status_code == 503
    login(emulator)


def test_admin_fault_endpoint(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    response = requests.post(f"{emulator.admin_url}/faults",
                             json={"status": 504, "path_prefix": "/sales", "count": 1}, timeout=5)
    assert response.status_code == 200
    assert session.get(f"{emulator.url}/sales/orders", timeout=5).status_code == 504
    assert session.get(f"{emulator.url}/sales/orders", timeout=5).status_code == 200
    bad = requests.post(f"{emulator.admin_url}/faults", json={"count": 1}, timeout=5)
    assert bad.status_code == 422


def test_invalid_fault_is_refused(emulator: MyFulfillmentEmulator) -> None:
    with pytest.raises(ValueError, match="HTTP status"):
        emulator.inject_fault(42)


def test_latency_is_added_to_api_calls() -> None:
    with MyFulfillmentEmulator(latency_ms=50) as emulator:
        response = requests.post(f"{emulator.url}/auth/token", json=CREDENTIALS, timeout=5)
        assert response.status_code == 200
        assert response.elapsed.total_seconds() >= 0.05


def test_stats_count_api_calls_by_path(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    for _ in range(2):
        session.get(f"{emulator.url}/catalog-product/products", timeout=5)
    stats = requests.get(f"{emulator.admin_url}/stats", timeout=5).json()
    assert stats == emulator.stats()
    assert stats["requests"] == 3
    assert stats["by_path"] == {"/auth/token": 1, "/catalog-product/products": 2}
    assert stats["logins"] == 1
    requests.post(f"{emulator.admin_url}/reset-stats", timeout=5)
    assert emulator.stats()["requests"] == 0


# --- touching and adding records ----------------------------------------------------------

def _newest(session: requests.Session, emulator: MyFulfillmentEmulator, path: str) -> dict:
    body = session.get(f"{emulator.url}{path}", params={"sorts[updated_at]": "desc", "limit": 1},
                       timeout=5).json()
    return body["data"][0]


def test_touch_product_makes_it_the_newest(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    before = max(p["updated_at"] for p in emulator.store.products())
    touched = emulator.store.touch_product("CREME-AMANDE-250", price=Decimal("6.9"), qty=12)
    assert touched["updated_at"] > before
    assert (touched["price"], touched["qty"]) == ("6.9000", "12.0000")
    newest = _newest(session, emulator, "/catalog-product/products")
    assert (newest["sku"], newest["price"]) == ("CREME-AMANDE-250", "6.9000")
    second = emulator.store.touch_product("1005266")
    assert second["updated_at"] > touched["updated_at"]
    assert _newest(session, emulator, "/catalog-product/products")["sku"] == "1005266"


def test_touch_order_and_unknown_records(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    emulator.store.touch_order("100000105", status="closed")
    assert _newest(session, emulator, "/sales/orders")["status"] == "closed"
    with pytest.raises(KeyError, match="NOPE"):
        emulator.store.touch_product("NOPE", price=1)
    with pytest.raises(ValueError, match="colour"):
        emulator.store.touch_product("1005266", colour="red")


def test_add_product_and_order(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    product = emulator.store.add_product(sku="NEW-ÉTÉ-1", name="Glace à l’eau : été", price=4)
    assert product["price"] == "4.0000"
    assert product["status"] == "1"
    assert _newest(session, emulator, "/catalog-product/products")["sku"] == "NEW-ÉTÉ-1"
    order = emulator.store.add_order(
        increment_id="100000999", customer_email="new@example.fr", shipping_amount="5",
        items=[{"sku": "NEW-ÉTÉ-1", "qty_ordered": 3, "discount_amount": "1.20"}])
    _check_document(order, "qty_ordered")
    # 3 x 4.00 = 12.00, VAT 20 % on 10.80 = 2.16, shipping 5.00 + 1.00 VAT, discount 1.20
    assert (order["tax_amount"], order["grand_total"]) == ("3.1600", "18.9600")
    fetched = session.get(f"{emulator.url}/sales/orders/reference/100000999", timeout=5).json()
    assert fetched["data"] == order
    with pytest.raises(ValueError, match="already exists"):
        emulator.store.add_product(sku="NEW-ÉTÉ-1")
    with pytest.raises(ValueError, match="not in the catalogue"):
        emulator.store.add_order(increment_id="X", items=[{"sku": "GHOST", "qty_ordered": 1}])


def test_admin_touch_and_add_products(emulator: MyFulfillmentEmulator) -> None:
    session = login(emulator)
    sku = "1005266-1005727"
    touched = requests.post(f"{emulator.admin_url}/products/{quote(sku)}",
                            json={"qty": "3"}, timeout=5)
    assert touched.status_code == 200
    assert _newest(session, emulator, "/catalog-product/products")["qty"] == "3.0000"
    added = requests.post(f"{emulator.admin_url}/products", json={"sku": "ADMIN-1"}, timeout=5)
    assert added.status_code == 201
    assert added.json()["data"]["id"] == str(len(build_demo().products) + 1)
    missing = requests.post(f"{emulator.admin_url}/products/NOPE", json={}, timeout=5)
    assert missing.status_code == 404
    unknown = requests.post(f"{emulator.admin_url}/products/ADMIN-1", json={"x": 1}, timeout=5)
    assert unknown.status_code == 422


# --- scale dataset -------------------------------------------------------------------------

def test_scale_dataset_pages_sorts_and_touches() -> None:
    with MyFulfillmentEmulator(dataset="scale:3000") as emulator:
        session = login(emulator)
        url = f"{emulator.url}/catalog-product/products"
        body = session.get(url, params={"limit": 500, "offset": 2900}, timeout=5).json()
        assert body["meta"]["total"] == "3000"
        assert [p["id"] for p in body["data"]] == [str(i) for i in range(2901, 3001)]
        newest = session.get(url, params={"sorts[updated_at]": "desc", "limit": 5},
                             timeout=5).json()["data"]
        assert [p["updated_at"] for p in newest] == sorted((p["updated_at"] for p in newest),
                                                           reverse=True)
        sku = emulator.store.products()[1234]["sku"]
        emulator.store.touch_product(sku, price="1.5")
        top = session.get(url, params={"sorts[updated_at]": "desc", "limit": 1},
                          timeout=5).json()["data"][0]
        assert (top["sku"], top["price"]) == (sku, "1.5000")
        assert top["updated_at"] > newest[0]["updated_at"]
        filtered = session.get(url, params={"filters[sku]": sku}, timeout=5).json()
        assert filtered["meta"]["total"] == "1"
        invoices = fetch_all(session, emulator, "/sales/invoices")
        memos = fetch_all(session, emulator, "/sales/creditmemos")
        assert len(invoices) == 12
        assert memos
        for document in invoices + memos:
            _check_document(document, "qty")
            assert all(emulator.store.product(item["sku"]) for item in document["items"])


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="scale:N"):
        MyFulfillmentEmulator(dataset="huge")


# --- command line --------------------------------------------------------------------------

@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_the_listening_line_and_stops_on_a_signal(stop_signal: int) -> None:
    script = Path(sys.executable).parent / "myfulfillment-emulator"
    process = subprocess.Popen([str(script), "--port", "0", "--rate-limit-per-minute", "100"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        match = re.fullmatch(r"myFulfillment emulator listening on (http://127\.0\.0\.1:\d+/api)\n",
                             line)
        assert match, line
        response = requests.post(f"{match.group(1)}/auth/token", json=CREDENTIALS, timeout=5)
        assert response.status_code == 200
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
