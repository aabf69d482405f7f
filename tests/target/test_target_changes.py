"""Documents deleted or edited in QuickBooks after the target wrote them (fake client).

One change data capture request per run: a deleted document is listed for the tap
to send again and written again with a new requestid; an edited one is drift,
reported and left alone; the target's own changes and the documents it let go are
neither.
"""

from __future__ import annotations

import copy
import datetime as dt

from target_quickbooks.qbo.cdc import CdcAnswer
from target_quickbooks.state import BOOKMARK
from test_target_documents import CUSTOMER, PRODUCT, full_run_messages, invoice, ours, run
from test_target_fakes import REALM, FakeQuickBooks, record, schema, state_message


def cdc_calls(fake: FakeQuickBooks) -> list:
    return [call for call in fake.calls if call[0] == "cdc"]


def invoice_creates(fake: FakeQuickBooks) -> list:
    return [op for op in fake.writes() if op.entity == "Invoice" and op.operation == "create"]


def no_records(state: dict, stream: str = "invoices") -> list[dict]:
    """An hourly run with nothing new at the source: the tap's state and a SCHEMA."""
    return [state_message(state), schema(stream)]


def written(fake: FakeQuickBooks) -> tuple[FakeQuickBooks, dict]:
    _, state = run(fake, full_run_messages(invoice()))
    return fake, state


def test_first_run_starts_the_checks_without_a_cdc_request():
    fake, state = written(FakeQuickBooks())
    assert cdc_calls(fake) == []
    checked = dt.datetime.fromisoformat(ours(state)["changes_checked"])
    assert abs(dt.datetime.now(dt.timezone.utc) - checked) < dt.timedelta(minutes=10)


def test_a_no_change_run_makes_one_cdc_request_and_no_other_read():
    fake, state = written(FakeQuickBooks())
    fake.calls.clear()
    _, state2 = run(fake, no_records(state))
    ((_, (entities, _since)),) = cdc_calls(fake)
    assert entities == ("Invoice",)
    assert fake.reads() == cdc_calls(fake)
    assert fake.writes() == []
    assert "drift" not in ours(state2)
    assert "resend" not in ours(state2)


def test_deleted_invoice_is_written_again_from_its_record_with_a_new_requestid():
    fake, state = written(FakeQuickBooks())
    (first,) = fake.entities("Invoice")
    (original,) = invoice_creates(fake)
    fake.delete("Invoice", first["Id"])

    _, state2 = run(fake, no_records(state))
    entry = ours(state2)
    assert "1001" not in entry["invoices"]
    pending = entry["pending"]["invoices"]["1001"]
    assert pending["status"] == "deleted_in_quickbooks"
    assert pending["deleted_id"] == first["Id"]
    assert "record" not in pending
    assert "tap" in pending["hint"]
    assert entry["resend"] == {"invoices": ["1001"]}
    assert fake.entities("Invoice") == []  # nothing to write it from yet

    # The tap sends the record again (it honours `resend`): written again.
    fake.calls.clear()
    target, state3 = run(fake, [state_message(state2), *full_run_messages(invoice())])
    (again,) = fake.entities("Invoice")
    assert again["Id"] != first["Id"]
    (recreate,) = invoice_creates(fake)
    assert recreate.item_request_id(REALM) != original.item_request_id(REALM)
    assert target.results.get("invoices", "created") == 1
    entry3 = ours(state3)
    assert entry3["invoices"]["1001"].split(":")[0] == again["Id"]
    assert "resend" not in entry3
    assert "invoices" not in entry3.get("pending", {})

    # And then nothing changes.
    fake.calls.clear()
    target, state4 = run(fake, [state_message(state3), *full_run_messages(invoice())])
    assert fake.writes() == []
    assert target.results.get("invoices", "unchanged") == 1
    assert ours(state4)["invoices"] == entry3["invoices"]


def test_a_resent_record_rejected_again_keeps_a_requestid_unlike_the_original():
    fake, state = written(FakeQuickBooks())
    (first,) = fake.entities("Invoice")
    (original,) = invoice_creates(fake)
    fake.delete("Invoice", first["Id"])
    _, state2 = run(fake, no_records(state))
    entry = ours(state2)["pending"]["invoices"]["1001"]
    # Still waiting in a later run with no record: the entry and its deleted_id stay.
    _, state3 = run(fake, no_records(state2))
    assert ours(state3)["pending"]["invoices"]["1001"]["deleted_id"] == entry["deleted_id"]
    assert ours(state3)["resend"] == {"invoices": ["1001"]}
    fake.calls.clear()
    run(fake, [state_message(state3), *full_run_messages(invoice())])
    (recreate,) = invoice_creates(fake)
    assert recreate.item_request_id(REALM) != original.item_request_id(REALM)


def test_edited_invoice_is_reported_as_drift_and_never_overwritten():
    fake, state = written(FakeQuickBooks())
    doc = copy.deepcopy(fake.entities("Invoice")[0])
    lines = [dict(line) for line in doc["Line"]]
    lines[0] = {**lines[0], "Amount": 30.0}
    fake.edit("Invoice", doc["Id"], TotalAmt=38.0, Line=lines)

    fake.calls.clear()
    target, state2 = run(fake, [state_message(state), *full_run_messages(invoice())])
    assert fake.writes() == []
    assert target.results.get("invoices", "unchanged") == 1
    drift = ours(state2)["drift"]["invoices"]["1001"]
    assert drift["id"] == doc["Id"]
    assert drift["changes"][0] == "total 28.00 -> 38.00"
    assert any("lines changed" in change for change in drift["changes"])
    assert ours(state2)["invoices"]["1001"] == ours(state)["invoices"]["1001"]  # baseline kept

    # Still reported on the next run; cleared once QuickBooks holds what was written.
    _, state3 = run(fake, no_records(state2))
    assert "1001" in ours(state3)["drift"]["invoices"]
    fake.edit("Invoice", doc["Id"], TotalAmt=doc["TotalAmt"], Line=doc["Line"])
    _, state4 = run(fake, no_records(state3))
    assert "drift" not in ours(state4)


def test_a_payment_like_change_is_not_drift():
    fake, state = written(FakeQuickBooks())
    (doc,) = fake.entities("Invoice")
    fake.edit("Invoice", doc["Id"], Balance=0, PrivateNote="paid by card")
    _, state2 = run(fake, no_records(state))
    assert "drift" not in ours(state2)
    assert ours(state2)["invoices"]["1001"].split(":")[1] == "1"  # the new SyncToken


def test_own_void_is_not_drift_and_a_voided_invoice_deleted_is_let_go():
    fake, state = written(FakeQuickBooks())
    (doc,) = fake.entities("Invoice")
    _, state2 = run(fake, [state_message(state), *full_run_messages(invoice(state="canceled"))])
    assert fake.entities("Invoice")[0]["PrivateNote"].startswith("Voided")
    _, state3 = run(fake, no_records(state2))
    assert "drift" not in ours(state3)
    fake.delete("Invoice", doc["Id"])
    _, state4 = run(fake, no_records(state3))
    entry = ours(state4)
    assert "1001" not in entry["invoices"]
    assert "resend" not in entry
    assert "invoices" not in entry.get("pending", {})


def test_canceled_credit_memo_deleted_as_the_hint_asks_is_not_written_again():
    fake = FakeQuickBooks()
    memo = invoice(id="CM1", increment_id="AV-1", invoice_id="1001", shipping_amount=0,
                   shipping_tax_amount=0, discount_amount=0, grand_total=24)
    messages = [schema("products"), record("products", PRODUCT), schema("customers"),
                record("customers", CUSTOMER), schema("credit_memos"),
                record("credit_memos", memo)]
    _, state = run(fake, messages)
    (doc,) = fake.entities("CreditMemo")
    _, state2 = run(fake, [state_message(state), *messages[:4], schema("credit_memos"),
                           record("credit_memos", {**memo, "state": "canceled"})])
    assert ours(state2)["pending"]["credit_memos"]["CM1"]["status"] == "needs_attention"
    fake.delete("CreditMemo", doc["Id"])
    _, state3 = run(fake, no_records(state2, "credit_memos"))
    entry = ours(state3)
    assert "resend" not in entry
    assert "credit_memos" not in entry.get("pending", {})
    assert "CM1" not in entry["credit_memos"]


def test_a_last_check_beyond_the_cdc_window_checks_every_document_instead(caplog):
    fake, state = written(FakeQuickBooks())
    (doc,) = fake.entities("Invoice")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).isoformat()
    state["bookmarks"][BOOKMARK]["changes_checked"] = old
    fake.delete("Invoice", doc["Id"])
    fake.calls.clear()
    _, state2 = run(fake, no_records(state))
    assert cdc_calls(fake) == []
    assert ("query", "SELECT Id, SyncToken FROM Invoice") in [
        (kind, str(arg).split(" STARTPOSITION")[0]) for kind, arg in fake.calls]
    assert ours(state2)["resend"] == {"invoices": ["1001"]}
    assert "beyond the 30 days" in caplog.text
    checked = dt.datetime.fromisoformat(ours(state2)["changes_checked"])
    assert checked > dt.datetime.fromisoformat(old)


def test_a_capped_cdc_answer_checks_every_document_instead(caplog):
    fake, state = written(FakeQuickBooks())
    (doc,) = fake.entities("Invoice")
    fake.edit("Invoice", doc["Id"], TotalAmt=99.0)
    fake.cdc = lambda entities, since: CdcAnswer(capped=True, time="")  # type: ignore[method-assign]
    _, state2 = run(fake, no_records(state))
    assert "maximum of 1,000" in caplog.text
    assert ours(state2)["drift"]["invoices"]["1001"]["changes"] == ["total 28.00 -> 99.00"]


def test_quickbooks_unavailable_skips_the_check_and_keeps_its_start(caplog):
    from target_quickbooks.qbo import TransientError  # noqa: PLC0415

    fake, state = written(FakeQuickBooks())
    checked = ours(state)["changes_checked"]

    def down(entities, since):
        raise TransientError("GET /cdc failed after 7 attempts", attempts=7, history=[])

    fake.cdc = down  # type: ignore[method-assign]
    fake.calls.clear()
    _, state2 = run(fake, no_records(state))
    assert ours(state2)["changes_checked"] == checked
    assert "Could not check QuickBooks' changes" in caplog.text
    assert [c for c in fake.calls if c[0] == "query"] == []


def test_a_refused_cdc_checks_every_document_instead(caplog):
    from test_target_fakes import fault  # noqa: PLC0415

    fake, state = written(FakeQuickBooks())
    (doc,) = fake.entities("Invoice")
    fake.delete("Invoice", doc["Id"])

    def refused(entities, since):
        raise fault("6000", "A business validation error has occurred",
                    "Operation cdc with changedSince date ... is not supported.")

    fake.cdc = refused  # type: ignore[method-assign]
    _, state2 = run(fake, no_records(state))
    assert ours(state2)["resend"] == {"invoices": ["1001"]}
    assert "refused the change data capture" in caplog.text
