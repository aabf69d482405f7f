"""drift: a CDC answer + the ID map → deletions to write again, drift to report, new baselines."""

from __future__ import annotations

import datetime as dt

from target_quickbooks.drift import (
    CDC_MAX_AGE,
    OVERLAP,
    check_due,
    compare,
    describe_changes,
    document_fingerprint,
    find_mapped,
    is_document,
    next_since,
    wanted_ids,
)


def invoice(qbo_id: str = "150", token: str = "0", total: str = "25.00", customer: str = "58",
            qty: int = 2, **extra) -> dict:
    return {"Id": qbo_id, "SyncToken": token, "DocNumber": "INV-1", "TotalAmt": total,
            "CustomerRef": {"value": customer, "name": "Jeanne"},
            "Line": [{"Id": "1", "LineNum": 1, "Amount": total, "Description": "Mug",
                      "DetailType": "SalesItemLineDetail",
                      "SalesItemLineDetail": {"ItemRef": {"value": "7"}, "Qty": qty,
                                              "UnitPrice": "12.50",
                                              "TaxCodeRef": {"value": "3"}}},
                     {"Amount": total, "DetailType": "SubTotalLineDetail",
                      "SubTotalLineDetail": {}}],
            **extra}


def raw(row: dict) -> str:
    return f"{row['Id']}:{row['SyncToken']}:{document_fingerprint(row)}"


def mapped_for(changed: dict, deleted: dict, entries: dict[str, dict[str, str]]):
    ids = wanted_ids(changed, deleted)
    found = {}
    for kind, wanted in ids.items():
        found.update(find_mapped(kind, entries.get(kind, {}).items(), wanted))
    return found


def test_fingerprint_is_total_customer_and_lines_without_colons():
    row = invoice()
    print_ = document_fingerprint(row)
    assert print_.startswith("25.00/58/")
    assert ":" not in print_
    assert is_document(row)
    assert not is_document({"Id": "7", "Name": "Mug"})
    # Balance, memo, line Ids and descriptions are not content; quantity is.
    same = invoice(Balance="0", PrivateNote="paid")
    same["Line"][0]["Description"] = "renamed"
    same["Line"][0]["Id"] = "9"
    assert document_fingerprint(same) == print_
    assert document_fingerprint(invoice(qty=3)) != print_


def test_describe_changes_names_total_customer_and_lines():
    before = document_fingerprint(invoice())
    after = document_fingerprint(invoice(total="30.00", customer="61", qty=3))
    assert describe_changes(before, after) == [
        "total 25.00 -> 30.00", "customer Id 58 -> 61",
        "lines changed (item, quantity, price, amount or tax code)"]


def test_deleted_documents_of_the_map_are_deletions_others_are_ignored():
    deleted = {"Invoice": ["150", "999"], "CreditMemo": ["160"], "Payment": ["5"]}
    entries = {"invoices": {"inv-1": raw(invoice()), "inv-2": "151"},
               "credit_memos": {"cm-1": "160:0:5.00/58/abcd0123"}}
    found = compare({}, deleted, mapped_for({}, deleted, entries))
    assert [(d.kind, d.key, d.qbo_id) for d in found.deleted] == [
        ("invoices", "inv-1", "150"), ("credit_memos", "cm-1", "160")]
    assert not found.drifted
    assert not found.settled


def test_the_targets_own_version_is_not_drift():
    row = invoice(token="1")  # e.g. the void the target made: the map holds its SyncToken
    changed = {"Invoice": [row]}
    entries = {"invoices": {"inv-1": raw(row)}}
    found = compare(changed, {}, mapped_for(changed, {}, entries))
    assert (found.deleted, found.drifted, found.settled) == ([], [], [])


def test_same_content_with_a_newer_synctoken_is_settled_not_drift():
    written = invoice()
    paid = invoice(token="2", Balance="0")  # a payment moved the balance
    changed = {"Invoice": [paid]}
    found = compare(changed, {}, mapped_for(changed, {}, {"invoices": {"inv-1": raw(written)}}))
    assert not found.drifted
    (settled,) = found.settled
    assert (settled.key, settled.entry.id, settled.entry.sync_token) == ("inv-1", "150", "2")
    assert settled.entry.content_hash == document_fingerprint(written)


def test_an_edit_of_total_lines_or_customer_is_drift_and_keeps_the_baseline():
    edited = invoice(token="1", total="30.00", qty=3)
    changed = {"Invoice": [edited]}
    found = compare(changed, {}, mapped_for(changed, {}, {"invoices": {"inv-1": raw(invoice())}}))
    (drift,) = found.drifted
    assert (drift.kind, drift.key, drift.qbo_id, drift.doc_number, drift.sync_token) == (
        "invoices", "inv-1", "150", "INV-1", "1")
    assert drift.changes[0] == "total 25.00 -> 30.00"
    assert not found.settled
    state = drift.as_state("2026-12-05T10:00:00+00:00")
    assert state["changes"] == list(drift.changes)
    assert "leaves it as it is" in state["hint"]


def test_an_entry_without_fingerprint_takes_its_first_one():
    changed = {"Invoice": [invoice(token="3")]}
    found = compare(changed, {}, mapped_for(changed, {}, {"invoices": {"inv-1": "150"}}))
    (settled,) = found.settled
    assert settled.entry.sync_token == "3"
    assert settled.entry.content_hash == document_fingerprint(invoice())
    assert not found.drifted


def test_check_due_and_next_since():
    now = dt.datetime(2026, 12, 5, 10, tzinfo=dt.timezone.utc)
    assert check_due(None, now) == "start"
    assert check_due((now - dt.timedelta(hours=1)).isoformat(), now) == "cdc"
    assert check_due((now - CDC_MAX_AGE - dt.timedelta(seconds=1)).isoformat(), now) == "full"
    assert check_due("garbage", now) == "full"
    since = next_since("2026-12-05T02:00:00.123-08:00", now)
    assert since == (dt.datetime(2026, 12, 5, 10, tzinfo=dt.timezone.utc) - OVERLAP).isoformat()
    assert next_since("", now) == (now - OVERLAP).isoformat()
