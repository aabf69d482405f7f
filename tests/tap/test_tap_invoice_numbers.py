"""Each credit memo carries its invoice's number (issue 10, point 5).

``invoice_increment_id`` is the invoice's ``increment_id`` (the target's DocNumber).
Known from the invoices stream of the same run without a request; otherwise
looked up once per run and invoice (``filters[id]``), never once per memo.
"""

from __future__ import annotations

import logging
import typing as t

from myfulfillment_emulator import MyFulfillmentEmulator
from tap_fakes import PATHS, invoice, only, run_sync

INVOICES, MEMOS = PATHS["invoices"], PATHS["credit_memos"]
T1, T2, T3 = "2026-03-01 10:00:00", "2026-03-02 10:00:00", "2026-03-03 10:00:00"


def memo(n: int, updated_at: str, invoice_id: str | None) -> dict[str, t.Any]:
    return invoice(n, updated_at, increment_id=f"CM-{n:05d}", invoice_id=invoice_id)


def _lookups(api: t.Any) -> list[str]:
    return [q["filters[id]"][0] for p, q in api.requests if p == INVOICES and "filters[id]" in q]


def test_memos_take_the_number_of_invoices_read_in_the_same_run_without_a_request(api):
    api.data[INVOICES] = [invoice(1, T1), invoice(2, T1)]
    api.data[MEMOS] = [memo(10, T2, "1"), memo(11, T2, "2"), memo(12, T3, "1")]

    result = run_sync()

    assert [m["invoice_increment_id"] for m in result.records("credit_memos")] == [
        "INV-00001", "INV-00002", "INV-00001"]
    assert _lookups(api) == []


def test_the_invoices_page_read_by_an_incremental_run_serves_too(api):
    # The page of invoices read down to the bookmark holds older invoices: known too.
    api.data[INVOICES] = [invoice(1, T1), invoice(2, T1)]
    first = run_sync()
    api.data[MEMOS] = [memo(10, T2, "1"), memo(11, T2, "2")]
    api.requests.clear()

    second = run_sync(state=first.state)

    assert second.records("invoices") == []
    assert [m["invoice_increment_id"] for m in second.records("credit_memos")] == [
        "INV-00001", "INV-00002"]
    assert _lookups(api) == []


def test_the_credit_memo_feed_looks_each_invoice_up_once_for_all_its_memos(api):
    api.data[INVOICES] = [invoice(1, T1), invoice(2, T1), invoice(3, T1)]
    api.data[MEMOS] = [memo(10, T2, "1"), memo(11, T2, "2"), memo(12, T3, "1")]

    result = run_sync(catalog=only("credit_memos"))

    assert [m["invoice_increment_id"] for m in result.records("credit_memos")] == [
        "INV-00001", "INV-00002", "INV-00001"]
    assert sorted(_lookups(api)) == ["1", "2"]
    assert [p for p, _ in api.requests] == [MEMOS, INVOICES, INVOICES]


def test_memos_before_the_bookmark_cost_no_lookup(api):
    api.data[INVOICES] = [invoice(1, T1), invoice(2, T1)]
    api.data[MEMOS] = [memo(10, T2, "2")]
    first = run_sync(catalog=only("credit_memos"))
    api.data[MEMOS].append(memo(11, T3, "1"))
    api.requests.clear()

    second = run_sync(state=first.state, catalog=only("credit_memos"))

    assert [m["id"] for m in second.records("credit_memos")] == ["11"]
    assert _lookups(api) == ["1"]


def test_unknown_invoice_gives_null_and_a_warning(api, caplog):
    api.data[MEMOS] = [memo(10, T2, "404"), memo(11, T2, None), memo(12, T3, "404")]

    with caplog.at_level(logging.WARNING):
        result = run_sync()

    assert [m["invoice_increment_id"] for m in result.records("credit_memos")] == [
        None, None, None]
    assert _lookups(api) == ["404"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("credit_memos record id='10'" in w and "no invoice id=404" in w for w in warnings)
    assert any("credit_memos record id='11' has no invoice_id" in w for w in warnings)


def test_emulator_memos_carry_the_number_of_their_invoice():
    with MyFulfillmentEmulator(dataset="demo") as emu:
        config = {"base_url": emu.url, "username": "demo", "password": "demo-password"}
        numbers = {i["id"]: i["increment_id"] for i in emu.store.invoices()}

        first = run_sync(config)

        memos = first.records("credit_memos")
        assert memos
        assert all(m["invoice_increment_id"] == numbers[m["invoice_id"]] for m in memos)
        assert emu.stats()["by_path"]["/sales/invoices"] == 1  # the listing only
        old = emu.store.invoices()[0]
        emu.store.add_credit_memo(
            invoice_id=old["id"], order_id=old["order_id"],
            items=[{"sku": old["items"][0]["sku"], "qty": 1}],
        )
        emu.reset_stats()

        # As the credit memo feed runs: its stream alone.
        second = run_sync(config, state=first.state, catalog=only("credit_memos"))

        (added,) = second.records("credit_memos")
        assert added["invoice_increment_id"] == old["increment_id"]
        assert emu.stats()["by_path"]["/sales/invoices"] == 1  # one lookup by id


def test_memos_carry_the_state_of_their_invoice_read_in_the_same_run(api):
    api.data[INVOICES] = [invoice(1, T1, state="paid"), invoice(2, T1, state="Open ")]
    api.data[MEMOS] = [memo(10, T2, "1"), memo(11, T2, "2")]

    result = run_sync()

    assert [(m["invoice_increment_id"], m["invoice_state"])
            for m in result.records("credit_memos")] == [("INV-00001", "paid"),
                                                          ("INV-00002", "open")]
    assert _lookups(api) == []


def test_the_state_comes_with_the_number_of_a_looked_up_invoice_no_extra_request(api):
    api.data[INVOICES] = [invoice(1, T1, state="open"), invoice(2, T1, state="canceled")]
    api.data[MEMOS] = [memo(10, T2, "1"), memo(11, T2, "2"), memo(12, T3, "1"),
                       memo(13, T3, "404"), memo(14, T3, None)]

    result = run_sync(catalog=only("credit_memos"))

    assert [m["invoice_state"] for m in result.records("credit_memos")] == [
        "open", "canceled", "open", None, None]
    assert sorted(_lookups(api)) == ["1", "2", "404"]


def test_an_invoice_paid_since_the_last_run_gives_its_new_memos_state_paid(api):
    api.data[INVOICES] = [invoice(1, T1, state="open")]
    api.data[MEMOS] = [memo(10, T2, "1")]
    first = run_sync()
    api.data[INVOICES] = [invoice(1, T3, state="paid")]
    api.data[MEMOS].append(memo(11, T3, "1"))

    second = run_sync(state=first.state)

    assert [m["invoice_state"] for m in first.records("credit_memos")] == ["open"]
    assert [(m["id"], m["invoice_state"]) for m in second.records("credit_memos")] == [
        ("11", "paid")]
