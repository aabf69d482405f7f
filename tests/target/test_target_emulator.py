"""The whole target over real sockets against the strict QuickBooks emulator."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from decimal import Decimal
from pathlib import Path

import pytest
from quickbooks_emulator import QuickBooksEmulator
from singer_sdk.singerlib.json import serialize_json
from target_quickbooks.state import BOOKMARK
from target_quickbooks.target import RecordsRejectedError, TargetQuickBooks
from test_target_fakes import CONFIG, record, schema, state_message

D = Decimal

PRODUCTS = [
    {"sku": "1005266-1005727", "name": "Pack 3 Cartouches Pod Feelin A1 - 1.20 Ω",
     "type": "simple", "price": D("12.90"), "cost": D("4.10"), "qty": D("40"), "status": "1"},
    {"sku": "SRV-1", "name": "Installation: sur site", "type": "virtual", "price": D("50.00")},
    {"sku": "KIT-1", "name": "Kit découverte", "type": "kit", "price": D("30.00")},
    {"sku": "KIT-2", "name": "Kit\tdécouverte", "type": "alias", "price": D("31.00")},
    {"sku": "OLD-1_deleted", "name": "Ancien produit", "type": "simple", "price": D("1.00")},
]
CUSTOMERS = [
    {"customer_key": "42", "customer_id": "42", "firstname": "Camille", "lastname": "Martin",
     "email": "camille@example.fr",
     "billing_address": {"street": ["12 rue de la Paix"], "city": "Paris",
                         "postcode": "75002", "country_id": "FR"}},
    {"customer_key": "guest:jo@example.com", "firstname": "Jo", "lastname": "O'Brien",
     "email": "jo@example.com"},
]
INVOICE = {
    "id": "5001", "increment_id": "FA-2026-000000000005001", "customer_key": "42",
    "created_at": "2026-03-01T10:00:00+00:00", "currency": "EUR",
    "items": [
        {"sku": "1005266-1005727", "name": "Pack", "qty": D("2"), "price": D("12.90"),
         "tax_percent": D("20.0000"), "tax_amount": D("5.16"), "row_total": D("25.80")},
        {"sku": "SRV-1", "name": "Installation", "qty": D("1"), "price": D("50.00"),
         "tax_percent": D("10"), "tax_amount": D("5.00"), "row_total": D("50.00")},
    ],
    "subtotal": D("75.80"), "tax_amount": D("10.16"), "shipping_amount": D("6.00"),
    "shipping_tax_amount": D("1.20"), "discount_amount": D("5.00"), "grand_total": D("88.16"),
}
CREDIT_MEMO = {
    "id": "7001", "increment_id": "AV-7001", "customer_key": "guest:jo@example.com",
    "created_at": "2026-03-02T09:00:00+00:00", "currency": "EUR",
    "items": [{"sku": "KIT-1", "name": "Kit", "qty": D("1"), "price": D("30.00"),
               "tax_percent": D("20"), "tax_amount": D("6.00"), "row_total": D("30.00")}],
    "subtotal": D("30.00"), "tax_amount": D("6.00"), "shipping_amount": D("0"),
    "shipping_tax_amount": D("0"), "discount_amount": D("0"),
    "adjustment_positive": D("2.00"), "adjustment_negative": D("0.50"), "grand_total": D("37.50"),
}


@pytest.fixture
def emu():
    with QuickBooksEmulator(per_second=None, per_minute=None, batch_per_minute=None) as qbo:
        yield qbo


def messages(*, invoices=(INVOICE,), memos=(CREDIT_MEMO,), products=PRODUCTS):
    return [
        schema("products"), *(record("products", p) for p in products),
        schema("customers"), *(record("customers", c) for c in CUSTOMERS),
        schema("invoices"), *(record("invoices", i) for i in invoices),
        schema("credit_memos"), *(record("credit_memos", m) for m in memos),
    ]


def run(emu, tmp_path, msgs, *, expect_rejected=False, **config):
    settings = {**CONFIG, "api_url": emu.api_url, "oauth_discovery_url": emu.discovery_url,
                "token_store_path": str(tmp_path / "tokens.json"),
                "max_requests_per_second": 100, **config}
    target = TargetQuickBooks(config=settings)
    out = io.StringIO()
    with redirect_stdout(out):
        target.process_lines(io.StringIO("".join(serialize_json(m) + "\n" for m in msgs)))
        if expect_rejected:
            with pytest.raises(RecordsRejectedError):
                target.process_endofpipe()
        else:
            target.process_endofpipe()
    return target, json.loads(out.getvalue().splitlines()[-1])


def test_full_run_then_idempotent_rerun(emu, tmp_path):
    target, state = run(emu, tmp_path, messages())
    assert target.results.as_dict()["products"]["created"] == 5
    items = {i.get("Sku"): i for i in emu.entities("Item")}
    item_count = len(emu.entities("Item"))
    assert items["1005266-1005727"]["Type"] == "Inventory"
    assert items["1005266-1005727"]["Name"] == "Pack 3 Cartouches Pod Feelin A1 - 1.20 Ω"
    assert items["SRV-1"]["Name"] == "Installation- sur site"
    assert items["KIT-2"]["Name"] == "Kit découverte [KIT-2]"
    assert items["OLD-1"]["Active"] is False  # the deleted product keeps its SKU's item
    assert "OLD-1_deleted" not in items
    customers = {c["DisplayName"] for c in emu.entities("Customer")}
    assert {"Camille Martin (#42)", "Jo O'Brien (jo@example.com)"} <= customers
    (invoice,) = emu.entities("Invoice")
    assert D(str(invoice["TotalAmt"])) == D("88.16")
    assert invoice["DocNumber"] == "FA-2026-0000~" + invoice["DocNumber"][-8:]
    assert invoice["PrivateNote"] == "FA-2026-000000000005001"
    (memo,) = emu.entities("CreditMemo")
    assert D(str(memo["TotalAmt"])) == D("37.50")
    entry = state["bookmarks"][BOOKMARK]
    # Id:SyncToken:fingerprint of what QuickBooks answered (total/customer/lines).
    qbo_id, token, fingerprint = entry["invoices"]["5001"].split(":")
    assert (qbo_id, token) == (invoice["Id"], "0")
    assert fingerprint.startswith(f"88.16/{invoice['CustomerRef']['value']}/")
    assert entry["pending"] == {}

    writes_before = emu.stats()
    target, state2 = run(emu, tmp_path, [state_message(state), *messages()])
    results = target.results.as_dict()
    assert results["products"]["unchanged"] == 5
    assert results["customers"]["unchanged"] == 2
    assert results["invoices"]["unchanged"] == 1
    assert results["credit_memos"]["unchanged"] == 1
    assert len(emu.entities("Invoice")) == 1
    assert len(emu.entities("Item")) == item_count
    assert emu.stats().get("by_kind", {}).get("batch") == \
        writes_before.get("by_kind", {}).get("batch")
    assert state2["bookmarks"][BOOKMARK]["items"] == entry["items"]


def test_lost_state_finds_everything_by_natural_key(emu, tmp_path):
    run(emu, tmp_path, messages())
    counts = {name: len(emu.entities(name)) for name in ("Item", "Customer", "Invoice",
                                                         "CreditMemo")}
    target, _ = run(emu, tmp_path, messages())
    assert {name: len(emu.entities(name)) for name in counts} == counts
    assert target.results.as_dict()["invoices"]["unchanged"] == 1


def test_rejected_and_deferred_documents_over_http(emu, tmp_path):
    bad = {**INVOICE, "id": "5002", "increment_id": "FA-5002", "grand_total": D("1.00")}
    waiting = {**INVOICE, "id": "5003", "increment_id": "FA-5003",
               "items": [{**INVOICE["items"][0], "sku": "LATER-1"}],
               "subtotal": D("25.80"), "tax_amount": D("5.16"), "grand_total": D("33.16")}
    target, state = run(emu, tmp_path, messages(invoices=(INVOICE, bad, waiting)),
                        expect_rejected=True)
    results = target.results.as_dict()["invoices"]
    assert (results["created"], results["rejected"], results["deferred"]) == (1, 1, 1)
    pending = state["bookmarks"][BOOKMARK]["pending"]["invoices"]
    assert pending["5002"]["status"] == "rejected"
    assert pending["5003"]["status"] == "deferred"
    later = {"sku": "LATER-1", "name": "Arrivé plus tard", "type": "simple", "price": D("12.90")}
    target, state2 = run(emu, tmp_path, [state_message(state), schema("products"),
                                         record("products", later)], expect_rejected=True)
    assert sorted(i["DocNumber"] for i in emu.entities("Invoice")) == ["FA-2026-0000~" +
        emu.entities("Invoice")[0]["DocNumber"][-8:], "FA-5003"]
    assert list(state2["bookmarks"][BOOKMARK]["pending"]["invoices"]) == ["5002"]


def test_cli_exits_non_zero_after_emitting_state_when_records_are_rejected(emu, tmp_path):
    bad = {**INVOICE, "id": "5002", "increment_id": "FA-5002", "grand_total": D("1.00")}
    config = {**CONFIG, "api_url": emu.api_url, "oauth_discovery_url": emu.discovery_url,
              "token_store_path": str(tmp_path / "tokens.json"), "max_requests_per_second": 100}
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    lines = "".join(serialize_json(m) + "\n" for m in messages(invoices=(INVOICE, bad)))
    exe = Path(sys.executable).with_name("target-quickbooks")
    done = subprocess.run([str(exe), "--config", str(config_path)], input=lines,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr[-2000:]
    state = json.loads(done.stdout.strip().splitlines()[-1])
    entry = state["bookmarks"][BOOKMARK]
    assert "5001" in entry["invoices"]
    assert entry["pending"]["invoices"]["5002"]["status"] == "rejected"
    assert "1 record(s) were rejected" in done.stderr
    assert "demo-client-secret" not in done.stderr
    assert "results" in done.stderr
    # The rotated refresh token went to the token store, not to the config.
    assert (tmp_path / "tokens.json").exists()


def test_canceled_invoice_is_voided_in_quickbooks_and_renamed_customer_found(emu, tmp_path):
    """Over HTTP: the client's request with ``?operation=void``, and the LIKE lookup."""
    _target, state = run(emu, tmp_path, messages(memos=()))
    (written,) = emu.entities("Invoice")
    canceled = {**INVOICE, "state": "canceled"}
    target, state = run(emu, tmp_path, [state_message(state), *messages(
        invoices=(canceled,), memos=())])
    assert target.results.as_dict()["invoices"]["updated"] == 1
    (voided,) = emu.entities("Invoice")
    assert voided["Id"] == written["Id"]
    assert D(str(voided["TotalAmt"])) == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert state["bookmarks"][BOOKMARK]["voided"] == ["5001"]
    # An invoices feed with its own state, carrying an older name of the customer.
    other = {**INVOICE, "id": "5002", "increment_id": "FA-5002",
             "customer_firstname": "Camille", "customer_lastname": "Ancien-Nom"}
    target, state = run(emu, tmp_path, [schema("invoices"), record("invoices", other)])
    assert target.results.as_dict()["invoices"]["created"] == 1
    assert not state["bookmarks"][BOOKMARK]["pending"]
