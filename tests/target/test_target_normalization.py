"""Issue 10 §9 (target side): a record the tap could not normalise is rejected, the feed flows.

CONTRACT: a record may carry ``normalization_errors``, a list of
``{"field": "<dotted path>", "reason": "<text>", "value": <raw string or null>}``.
The target rejects such a record before mapping it, with that reason and field,
keeps it like any rejected record, and a newer version without errors replaces it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from test_target_documents import CUSTOMER, PRODUCT, invoice, ours, run
from test_target_fakes import FakeQuickBooks, record, schema, state_message

D = Decimal
EMAIL_ERROR = {"field": "customer.email", "reason": "a guest order without an email",
               "value": None}
PRICE_ERROR = {"field": "items[0].price", "reason": "not a number", "value": "douze"}


def base():
    return [schema("products"), record("products", PRODUCT),
            schema("customers"), record("customers", CUSTOMER)]


def test_marked_invoice_is_rejected_with_the_taps_reason_and_the_feed_flows():
    fake = FakeQuickBooks()
    bad = invoice(id="1002", increment_id="INV-1002", customer_key=None,
                  normalization_errors=[EMAIL_ERROR, PRICE_ERROR])
    target, state = run(fake, [*base(), schema("invoices"), record("invoices", bad),
                               record("invoices", invoice())], expect_rejected=True)
    assert [i["DocNumber"] for i in fake.entities("Invoice")] == ["INV-1001"]
    pending = ours(state)["pending"]["invoices"]["1002"]
    assert pending["status"] == "rejected"
    assert pending["field"] == "customer.email"
    assert "could not normalise" in pending["reason"]
    assert "customer.email: a guest order without an email (value null)" in pending["reason"]
    assert "items[0].price: not a number (value 'douze')" in pending["reason"]
    assert "source" in pending["hint"]
    assert pending["record"]["normalization_errors"][1]["value"] == "douze"
    assert target.results.get("invoices", "created") == 1
    assert target.results.get("invoices", "rejected") == 1


@pytest.mark.parametrize("stream", ["products", "customers", "credit_memos"])
def test_marked_records_of_every_stream_are_rejected_before_mapping(stream):
    fake = FakeQuickBooks()
    good = {"products": PRODUCT, "customers": CUSTOMER,
            "credit_memos": invoice(id="CM1", increment_id="AV-1")}[stream]
    marked = {**good, "normalization_errors": [PRICE_ERROR]}
    msgs = base() if stream == "credit_memos" else []
    target, state = run(fake, [*msgs, schema(stream), record(stream, marked)],
                        expect_rejected=True)
    entity = {"products": "Item", "customers": "Customer", "credit_memos": "CreditMemo"}
    written = [op for op in fake.writes() if op.entity == entity[stream]]
    assert written == []  # a perfectly mappable record: the tap's mark alone refuses it
    (pending,) = ours(state)["pending"][stream].values()
    assert pending["field"] == "items[0].price"
    assert target.results.get(stream, "rejected") == 1


def test_newer_version_without_errors_replaces_the_rejected_one():
    fake = FakeQuickBooks()
    bad = invoice(normalization_errors=[PRICE_ERROR])
    _, state = run(fake, [*base(), schema("invoices"), record("invoices", bad)],
                   expect_rejected=True)
    # Retried while the source has not changed: rejected again, kept.
    _, state2 = run(fake, [state_message(state)], expect_rejected=True)
    assert ours(state2)["pending"]["invoices"]["1001"]["attempts"] == 2
    assert fake.entities("Invoice") == []
    _, state3 = run(fake, [state_message(state2), schema("invoices"),
                           record("invoices", invoice())])
    assert ours(state3)["pending"] == {}
    assert len(fake.entities("Invoice")) == 1


def test_latest_version_in_one_batch_decides():
    fake = FakeQuickBooks()
    bad = invoice(normalization_errors=[PRICE_ERROR])
    _, state = run(fake, [*base(), schema("invoices"), record("invoices", bad),
                          record("invoices", invoice())])
    assert len(fake.entities("Invoice")) == 1
    assert ours(state)["pending"] == {}
    fake = FakeQuickBooks()
    _, state = run(fake, [*base(), schema("invoices"), record("invoices", invoice()),
                          record("invoices", bad)], expect_rejected=True)
    assert fake.entities("Invoice") == []
    assert list(ours(state)["pending"]["invoices"]) == ["1001"]


def test_empty_or_null_normalization_errors_change_nothing():
    fake = FakeQuickBooks()
    target, _ = run(fake, [*base(), schema("invoices"),
                           record("invoices", invoice(normalization_errors=[])),
                           record("invoices", invoice(id="2", increment_id="INV-2",
                                                      normalization_errors=None))])
    assert target.results.get("invoices", "created") == 2


def test_malformed_normalization_errors_still_reject_the_record():
    fake = FakeQuickBooks()
    _, state = run(fake, [*base(), schema("invoices"),
                          record("invoices", invoice(normalization_errors="bad email"))],
                   expect_rejected=True)
    pending = ours(state)["pending"]["invoices"]["1001"]
    assert pending["field"] == "normalization_errors"
    assert "bad email" in pending["reason"]


def test_placeholder_customer_is_superseded_once_its_order_names_the_customer():
    """A guest order without an email: its placeholder customer is rejected and kept.

    A person adds the email in myFulfillment; the next customer record built from that
    order has a real key. The placeholder's entry goes with it (else it is retried and
    rejected on every run), while another order's placeholder stays.
    """
    fake = FakeQuickBooks()
    placeholder = {"customer_key": "unidentified:order:7", "customer_id": None, "email": None,
                   "firstname": "Ana", "lastname": "Lima", "order_id": "7",
                   "normalization_errors": [EMAIL_ERROR]}
    other = {**placeholder, "customer_key": "unidentified:order:8", "order_id": "8"}
    _, state = run(fake, [schema("customers"), record("customers", placeholder),
                          record("customers", other)], expect_rejected=True)
    assert set(ours(state)["pending"]["customers"]) == {"unidentified:order:7",
                                                        "unidentified:order:8"}
    fixed = {"customer_key": "guest:ana@example.pt", "customer_id": None,
             "email": "ana@example.pt", "firstname": "Ana", "lastname": "Lima", "order_id": "7"}
    target, state = run(fake, [state_message(state), schema("customers"),
                               record("customers", fixed)], expect_rejected=True)
    assert [c["PrimaryEmailAddr"]["Address"] for c in fake.entities("Customer")] == [
        "ana@example.pt"]
    assert set(ours(state)["pending"]["customers"]) == {"unidentified:order:8"}
    assert target.results.get("customers", "created") == 1
    assert target.results.get("customers", "rejected") == 1  # order 8's, retried
