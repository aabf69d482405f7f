"""TargetQuickBooks with a fake client: invoices, credit memos, deferral, rejection, dry run."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from decimal import Decimal

import pytest
from singer_sdk.singerlib.json import serialize_json
from target_quickbooks.state import BOOKMARK
from target_quickbooks.target import RecordsRejectedError, TargetQuickBooks
from test_target_fakes import CONFIG, FakeQuickBooks, fault, record, schema, state_message

D = Decimal


def run(fake, messages, *, expect_rejected=False, **config):
    target = TargetQuickBooks(config={**CONFIG, **config}, client=fake)
    lines = "".join(serialize_json(m) + "\n" for m in messages)
    out = io.StringIO()
    with redirect_stdout(out):
        target.process_lines(io.StringIO(lines))
        if expect_rejected:
            with pytest.raises(RecordsRejectedError):
                target.process_endofpipe()
        else:
            target.process_endofpipe()
    states = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return target, states[-1]


def ours(state):
    return state["bookmarks"][BOOKMARK]


PRODUCT = {"sku": "SKU-A", "name": "Casque", "type": "simple", "price": D("10.00"),
           "qty": D("3")}
CUSTOMER = {"customer_key": "42", "customer_id": "42", "firstname": "Camille",
            "lastname": "Martin", "email": "camille@example.fr"}


def invoice(**fields):
    rec = {"id": "1001", "increment_id": "INV-1001", "customer_key": "42",
           "created_at": "2026-03-01T10:00:00+00:00", "currency": "EUR",
           "items": [{"sku": "SKU-A", "name": "Casque", "qty": D("2"), "price": D("10.00"),
                      "tax_percent": D("20.0000"), "tax_amount": D("4.00"),
                      "row_total": D("20.00")}],
           "subtotal": D("20.00"), "tax_amount": D("4.00"), "shipping_amount": D("5.00"),
           "shipping_tax_amount": D("1.00"), "discount_amount": D("2.00"),
           "grand_total": D("28.00")}
    rec.update(fields)
    return rec


def full_run_messages(*invoices):
    return [schema("invoices"), *(record("invoices", i) for i in invoices),
            schema("products"), record("products", PRODUCT),
            schema("customers"), record("customers", CUSTOMER)]


def test_invoice_written_after_items_and_customers_even_when_it_arrives_first():
    fake = FakeQuickBooks()
    _target, state = run(fake, full_run_messages(invoice()))
    writes = [op.entity for op in fake.writes()]
    assert writes == ["Item", "Customer", "Invoice"]
    (created,) = fake.entities("Invoice")
    item_id = next(i["Id"] for i in fake.entities("Item") if i.get("Sku") == "SKU-A")
    assert created["CustomerRef"]["value"] == fake.entities("Customer")[0]["Id"]
    assert created["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == item_id
    assert created["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "3"
    assert created["Line"][1]["SalesItemLineDetail"]["ItemRef"]["value"] == "9"  # Shipping
    assert created["Line"][2]["DiscountLineDetail"]["DiscountAccountRef"]["value"] == "86"
    assert created["TxnTaxDetail"]["TotalTax"] == 5.0
    # Documents map to Id:SyncToken:fingerprint (the baseline drift is measured from).
    assert {k: v.split(":")[0] for k, v in ours(state)["invoices"].items()} == {
        "1001": created["Id"]}
    assert ours(state)["results"]["invoices"]["created"] == 1


def test_full_document_sink_drains_products_and_customers_first():
    fake = FakeQuickBooks()
    msgs = [schema("products"), record("products", PRODUCT),
            schema("customers"), record("customers", CUSTOMER),
            schema("invoices"), record("invoices", invoice()),
            record("invoices", invoice(id="1002", increment_id="INV-1002"))]
    target, _state = run(fake, msgs, batch_size=2)
    batches = [[op.entity for op in ops] for kind, ops in fake.calls if kind == "batch"
               and any(op.operation != "query" for op in ops)]
    assert batches == [["Item"], ["Customer"], ["Invoice", "Invoice"]]
    assert target.results.get("invoices", "created") == 2
    assert target.results.get("invoices", "deferred") == 0


def test_existing_documents_not_recreated():
    fake = FakeQuickBooks()
    _, state = run(fake, full_run_messages(invoice()))
    target, _ = run(fake, [state_message(state), *full_run_messages(invoice())])
    assert len(fake.entities("Invoice")) == 1
    assert target.results.get("invoices", "unchanged") == 1
    # Lost state: found by DocNumber instead of being created twice.
    target, state3 = run(fake, full_run_messages(invoice()))
    assert len(fake.entities("Invoice")) == 1
    assert target.results.get("invoices", "unchanged") == 1
    assert ours(state3)["invoices"]["1001"].split(":")[0] == fake.entities("Invoice")[0]["Id"]


def test_missing_item_defers_then_next_run_retries_first():
    fake = FakeQuickBooks()
    msgs = [schema("customers"), record("customers", CUSTOMER),
            schema("invoices"), record("invoices", invoice())]
    target, state = run(fake, msgs)
    assert target.results.get("invoices", "deferred") == 1
    pending = ours(state)["pending"]["invoices"]["1001"]
    assert pending["status"] == "deferred"
    assert "item(s) 'SKU-A' not in QuickBooks yet" in pending["reason"]
    assert pending["record"]["grand_total"] == "28.00"
    assert fake.entities("Invoice") == []
    # Next run: the product arrives, the invoice stream sends nothing new.
    target, state2 = run(fake, [state_message(state), schema("products"),
                                record("products", PRODUCT)])
    assert target.results.get("invoices", "created") == 1
    assert len(fake.entities("Invoice")) == 1
    assert ours(state2)["pending"] == {}


def test_missing_customer_defers():
    fake = FakeQuickBooks()
    msgs = [schema("products"), record("products", PRODUCT),
            schema("invoices"), record("invoices", invoice(customer_key="guest:x@y.fr"))]
    _target, state = run(fake, msgs)
    reason = ours(state)["pending"]["invoices"]["1001"]["reason"]
    assert "customer 'guest:x@y.fr' is not in QuickBooks yet" in reason


def test_unreconciled_and_faulted_documents_rejected_others_written():
    fake = FakeQuickBooks()
    fake.inject.append(
        lambda op: fault("6000", "A business validation error has occurred",
                         "TaxCode is required") if op.payload and
        op.payload.get("DocNumber") == "INV-3" else None)
    msgs = full_run_messages(invoice(), invoice(id="2", increment_id="INV-2",
                                                grand_total=D("28.01")),
                             invoice(id="3", increment_id="INV-3"))
    _, state = run(fake, msgs, expect_rejected=True)
    assert [i["DocNumber"] for i in fake.entities("Invoice")] == ["INV-1001"]
    pending = ours(state)["pending"]["invoices"]
    assert "do not reconcile" in pending["2"]["reason"]
    assert "grand_total is 28.01" in pending["2"]["reason"]
    assert pending["3"]["code"] == "6000"
    assert pending["3"]["detail"] == "TaxCode is required"
    assert pending["3"]["intuit_tid"] == "tid-6000"
    assert "tax_code" in pending["3"]["hint"]
    assert ours(state)["results"]["invoices"] == {
        "created": 1, "updated": 0, "unchanged": 0, "deferred": 0, "rejected": 2,
        "skipped": 0}
    # Next run: retried with a fresh request key; QuickBooks accepts it now.
    fake.inject.clear()
    _target, state2 = run(fake, [state_message(state)], expect_rejected=True)
    assert sorted(i["DocNumber"] for i in fake.entities("Invoice")) == ["INV-1001", "INV-3"]
    assert list(ours(state2)["pending"]["invoices"]) == ["2"]
    last = [op for op in fake.writes() if op.payload.get("DocNumber") == "INV-3"]
    assert last[0].request_key != last[-1].request_key


def test_credit_memo_alias_and_adjustment():
    fake = FakeQuickBooks()
    memo = invoice(id="CM1", increment_id="AVOIR-2026-000000000001", shipping_amount=D(0),
                   shipping_tax_amount=D(0), discount_amount=D(0),
                   adjustment_positive=D("1.50"), grand_total=D("25.50"))
    msgs = [schema("products"), record("products", PRODUCT),
            schema("customers"), record("customers", CUSTOMER),
            schema("credit_memos", alias="creditmemos"), record("creditmemos", memo)]
    _target, state = run(fake, msgs)
    (created,) = fake.entities("CreditMemo")
    assert created["DocNumber"] == "AVOIR-2026-0~" + created["DocNumber"][-8:]
    assert created["PrivateNote"] == "AVOIR-2026-000000000001"
    assert created["Line"][-1]["SalesItemLineDetail"]["ItemRef"]["value"] == "10"
    assert {k: v.split(":")[0] for k, v in ours(state)["credit_memos"].items()} == {
        "CM1": created["Id"]}


def test_dry_run_writes_nothing_and_emits_state_unchanged():
    fake = FakeQuickBooks()
    incoming = {"bookmarks": {"products": {"replication_key_value": "2026-01-01"}}}
    target, state = run(fake, [state_message(incoming), *full_run_messages(invoice())],
                        dry_run=True)
    assert fake.writes() == []
    assert state == incoming
    assert target.results.get("products", "created") == 1
    assert target.results.get("invoices", "created") == 1


def test_dry_run_still_reports_rejections():
    fake = FakeQuickBooks()
    target, _ = run(fake, full_run_messages(invoice(grand_total=D(1))), dry_run=True,
                    expect_rejected=True)
    assert target.results.get("invoices", "rejected") == 1
    assert fake.writes() == []


def test_state_without_tap_state_message_still_carries_the_map():
    fake = FakeQuickBooks()
    _, state = run(fake, [schema("products"), record("products", PRODUCT)])
    assert set(state) == {"bookmarks"}
    assert "SKU-A" in ours(state)["items"]
