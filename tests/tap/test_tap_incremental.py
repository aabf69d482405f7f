"""Incremental reads: newest first, early stop at the bookmark, oldest-first emission."""

from __future__ import annotations

import pytest
from tap_fakes import PATHS, SyncResult, invoice, order, product, run_sync
from tap_myfulfillment.client import EMITTED_AT_BOOKMARK

PRODUCTS = PATHS["products"]


def _ts(i: int) -> str:
    """Distinct seconds, increasing with i (10,000 values fit in one day)."""
    return f"2026-03-01 {i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}"


def _iso(i: int) -> str:
    return _ts(i).replace(" ", "T") + "+00:00"


def _skus(result: SyncResult, stream: str = "products") -> list[str]:
    return [r["sku"] for r in result.records(stream)]


def test_records_are_emitted_oldest_first_and_bookmark_is_newest(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in (5, 1, 9, 3, 7)]

    result = run_sync(page_size=2)

    stamps = [r["updated_at"] for r in result.records("products")]
    assert stamps == sorted(stamps)
    assert stamps == [_iso(i) for i in (1, 3, 5, 7, 9)]
    bookmark = result.state["bookmarks"]["products"]
    assert bookmark["replication_key_value"] == _iso(9)
    assert bookmark[EMITTED_AT_BOOKMARK] == ["SKU-000009"]


def test_incremental_run_on_big_catalog_reads_only_the_changed_page(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(5000)]
    api.data[PATHS["orders"]] = [order(i, _ts(i)) for i in range(300)]
    api.data[PATHS["invoices"]] = [invoice(i, _ts(i)) for i in range(300)]
    first = run_sync()
    assert len(first.records("products")) == 5000
    # Pages of 100 overlapping by 2 records: offsets 0, 98, ..., 4900.
    assert api.count(PRODUCTS) == 51
    assert api.probes(PRODUCTS) == 0
    api.requests.clear()

    # Three products change after the first run.
    for n, sku_index in enumerate((10, 2000, 4321)):
        row = next(r for r in api.data[PRODUCTS] if r["id"] == str(sku_index))
        row["updated_at"] = _ts(6000 + n)
        row["price"] = "99.0000"

    second = run_sync(state=first.state)

    assert _skus(second) == ["SKU-000010", "SKU-002000", "SKU-004321"]
    assert all(str(r["price"]) == "99.0000" for r in second.records("products"))
    for stream in ("orders", "customers", "invoices", "credit_memos"):
        assert second.records(stream) == []
    # One page per stream, plus one single-record sort check per listing that is
    # cut short (orders and customers share theirs; credit memos has one page).
    assert api.count(PRODUCTS, probes=False) == 1
    assert api.probes(PRODUCTS) == 1
    assert api.count(PATHS["orders"], probes=False) == 2
    assert api.probes(PATHS["orders"]) == 1
    assert api.count(PATHS["invoices"]) == 2
    assert api.count(PATHS["credit_memos"]) == 1
    assert len(api.requests) == 8
    assert second.state["bookmarks"]["products"]["replication_key_value"] == _iso(6002)


def test_second_run_with_final_state_emits_nothing(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(30)]
    first = run_sync(page_size=10)
    api.requests.clear()

    second = run_sync(state=first.state, page_size=10)

    assert second.records("products") == []
    assert api.count(PRODUCTS, probes=False) == 1
    assert api.probes(PRODUCTS) == 1
    assert second.state["bookmarks"]["products"] == first.state["bookmarks"]["products"]


def test_same_second_boundary_skips_only_keys_already_emitted(api):
    same = "2026-03-01 12:00:00"
    api.data[PRODUCTS] = [product(1, _ts(1)), product(2, same), product(3, same)]
    first = run_sync()
    assert _skus(first)[0] == "SKU-000001"
    assert sorted(_skus(first)[1:]) == ["SKU-000002", "SKU-000003"]
    assert sorted(first.state["bookmarks"]["products"][EMITTED_AT_BOOKMARK]) == [
        "SKU-000002",
        "SKU-000003",
    ]

    # Another product changes later within the same second as the bookmark.
    api.data[PRODUCTS].append(product(4, same))
    second = run_sync(state=first.state)

    assert _skus(second) == ["SKU-000004"]
    state = second.state["bookmarks"]["products"]
    assert state["replication_key_value"] == "2026-03-01T12:00:00+00:00"
    assert sorted(state[EMITTED_AT_BOOKMARK]) == ["SKU-000002", "SKU-000003", "SKU-000004"]

    third = run_sync(state=second.state)
    assert third.records("products") == []


def test_newer_second_resets_the_boundary_keys(api):
    api.data[PRODUCTS] = [product(1, _ts(1)), product(2, _ts(1))]
    first = run_sync()
    api.data[PRODUCTS].append(product(3, _ts(2)))

    second = run_sync(state=first.state)

    assert _skus(second) == ["SKU-000003"]
    assert second.state["bookmarks"]["products"][EMITTED_AT_BOOKMARK] == ["SKU-000003"]


def test_start_date_limits_the_first_sync(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(500)]

    result = run_sync(start_date="2026-03-01T00:04:10Z")

    assert [r["sku"] for r in result.records("products")][:2] == ["SKU-000250", "SKU-000251"]
    assert len(result.records("products")) == 250
    # 500 newest-first rows, 100 per page overlapping by 2: the stop happens on
    # the 3rd page (offset 196), after one sort check.
    assert api.count(PRODUCTS, probes=False) == 3
    assert api.probes(PRODUCTS) == 1


def test_bookmark_newer_than_start_date_wins(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(20)]
    first = run_sync(start_date="2020-01-01T00:00:00Z")
    api.data[PRODUCTS].append(product(99, _ts(30)))

    second = run_sync(state=first.state, start_date="2020-01-01T00:00:00Z")

    assert _skus(second) == ["SKU-000099"]


def test_server_ignoring_the_sort_falls_back_to_full_scan(api):
    # Detected as soon as a record is newer than the one before it (here 8 after 4).
    api.honour_sort = False
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in (4, 8, 1, 9, 2, 3)]

    result = run_sync(page_size=2, start_date="2026-03-01T00:00:03Z")

    assert _skus(result) == ["SKU-000003", "SKU-000004", "SKU-000008", "SKU-000009"]
    # Pages of 2 overlapping by 1: offsets 0 to 4.
    assert api.count(PRODUCTS) == 5


@pytest.mark.parametrize("bad", ["", None])
def test_missing_updated_at_is_a_clear_error(api, bad):
    api.data[PRODUCTS] = [product(1, _ts(1)) | {"updated_at": bad}]

    with pytest.raises(ValueError, match=r"products record sku='SKU-000001'.*updated_at"):
        run_sync()


def test_state_never_contains_credentials(api):
    api.data[PRODUCTS] = [product(1, _ts(1))]
    result = run_sync()
    assert "demo-password" not in str(result.messages)
