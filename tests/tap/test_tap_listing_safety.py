"""No record lost when the server ignores the sort or the listing changes during a read.

Unit tests on requests-mock (``FakeApi``); the emulator test touches products
between two pages over real sockets.
"""

from __future__ import annotations

import random
import typing as t

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from tap_fakes import PATHS, FakeApi, order, product, run_sync
from tap_myfulfillment.errors import ListingChangedError
from tap_myfulfillment.streams import ProductsStream

PRODUCTS = PATHS["products"]
ORDERS = PATHS["orders"]


def _ts(i: int) -> str:
    return f"2026-03-01 00:{i // 60:02d}:{i % 60:02d}"


def _iso(i: int) -> str:
    return _ts(i).replace(" ", "T") + "+00:00"


def _skus(result: t.Any) -> list[str]:
    return [r["sku"] for r in result.records("products")]


# ---- server ignoring the sort -----------------------------------------------------------


def test_unsorted_server_whose_first_records_look_descending_loses_nothing(api):
    api.data[PRODUCTS] = [product(1, _ts(10))]
    first = run_sync()
    api.honour_sort = False
    # Insertion order: 20 then 1 looks newest first and 1 is older than the bookmark.
    api.data[PRODUCTS] = [product(1, _ts(20)), product(2, _ts(1)), product(3, _ts(30))]

    second = run_sync(state=first.state)

    assert _skus(second) == ["SKU-000001", "SKU-000003"]
    assert second.state["bookmarks"]["products"]["replication_key_value"] == _iso(30)


def test_unsorted_server_with_a_descending_looking_first_page_is_caught_by_the_sort_check(api):
    # The first page (20, 1) is entirely newest first and ends before the bookmark;
    # only the one-record ascending check shows that the server does not sort.
    api.data[PRODUCTS] = [product(1, _ts(10))]
    first = run_sync(page_size=2)
    api.honour_sort = False
    api.data[PRODUCTS] = [
        product(1, _ts(20)),
        product(2, _ts(1)),
        product(3, _ts(30)),
        product(4, _ts(2)),
    ]
    api.requests.clear()

    second = run_sync(state=first.state, page_size=2)

    assert _skus(second) == ["SKU-000001", "SKU-000003"]
    assert api.probes(PRODUCTS) == 1
    # Pages of 2 overlapping by 1: offsets 0, 1, 2 cover the 4 rows.
    assert api.count(PRODUCTS, probes=False) == 3


def test_sorting_server_stops_after_one_page_and_one_sort_check(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(50)]
    first = run_sync(page_size=10)
    api.data[PRODUCTS][3]["updated_at"] = _ts(100)
    api.requests.clear()

    second = run_sync(state=first.state, page_size=10)

    assert _skus(second) == ["SKU-000003"]
    queries = [q for p, q in api.requests if p == PRODUCTS]
    assert len(queries) == 2
    check = queries[1]
    assert check["limit"] == ["1"]
    assert check["sorts[updated_at]"] == ["asc"]
    assert check["sorts[id]"] == ["asc"]


def test_sort_check_is_shared_by_orders_and_customers(api):
    api.data[ORDERS] = [order(i, _ts(i)) for i in range(300)]
    first = run_sync()
    api.requests.clear()

    run_sync(state=first.state)

    assert api.probes(ORDERS) == 1
    assert api.count(ORDERS, probes=False) == 2


# ---- equal updated_at across page boundaries --------------------------------------------


def test_rows_of_one_second_keep_their_order_across_pages(api):
    # The fake answers ties in a new random order on every request unless the id
    # tie-breaker is asked for; the tap must read each of them exactly once.
    shuffle = random.Random(7).shuffle

    def reshuffle(path: str, query: dict[str, list[str]]) -> None:
        shuffle(api.data[path])

    api.before_page = reshuffle  # type: ignore[method-assign]
    api.data[PRODUCTS] = [product(i, _ts(5)) for i in range(1, 13)]

    result = run_sync(page_size=4)

    assert sorted(_skus(result)) == [f"SKU-{i:06d}" for i in range(1, 13)]
    assert len(_skus(result)) == 12


# ---- listing changing during the read ---------------------------------------------------


def _after_pages(api: FakeApi, pages: int, change: t.Callable[[], None]) -> None:
    """Run ``change`` once, just before the listing page number ``pages + 1`` is answered."""
    answered = {"n": 0}

    def hook(path: str, query: dict[str, list[str]]) -> None:
        if path != PRODUCTS or query.get("sorts[updated_at]") != ["desc"]:
            return
        if answered["n"] == pages:
            change()
        answered["n"] += 1

    api.before_page = hook  # type: ignore[method-assign]


def test_record_touched_during_the_read_is_not_lost_and_nothing_repeats(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(1, 41)]

    def touch_unread_product() -> None:
        # Product 5 (not read yet) jumps to the top: every row above it shifts down.
        next(r for r in api.data[PRODUCTS] if r["id"] == "5")["updated_at"] = _ts(300)

    _after_pages(api, 1, touch_unread_product)

    first = run_sync(page_size=10)

    skus = _skus(first)
    assert len(skus) == len(set(skus)), "a row shifted down by the touch was emitted twice"
    assert set(skus) == {f"SKU-{i:06d}" for i in range(1, 41) if i != 5}
    # Product 5 left its old place before it was read; its new version is newer than
    # this run's bookmark, so the next run reads it.
    assert first.state["bookmarks"]["products"]["replication_key_value"] == _iso(40)
    second = run_sync(state=first.state, page_size=10)
    assert _skus(second) == ["SKU-000005"]


def test_one_record_leaving_the_listing_makes_the_tap_read_it_again(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(1, 31)]

    def remove_a_read_product() -> None:
        api.data[PRODUCTS] = [r for r in api.data[PRODUCTS] if r["id"] != "28"]

    _after_pages(api, 1, remove_a_read_product)

    result = run_sync(page_size=10)

    # The total fell from 30 to 29 at offset 8: the page is asked again (4 tries in
    # all), the lower total persists, so the listing is read again from the top
    # (offsets 0, 8, 16, 24) and the product that left it is not emitted.
    assert sorted(_skus(result)) == sorted(f"SKU-{i:06d}" for i in range(1, 31) if i != 28)
    assert api.count(PRODUCTS) == 1 + 4 + 4


def test_records_leaving_the_listing_make_the_tap_read_it_again(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(1, 31)]

    def remove_three_read_products() -> None:
        gone = {"30", "29", "28"}
        api.data[PRODUCTS] = [r for r in api.data[PRODUCTS] if r["id"] not in gone]

    _after_pages(api, 1, remove_three_read_products)

    result = run_sync(page_size=10)

    # Without the check, products 20 and 19 would move above offset 8 unread and the
    # bookmark (30) would pass them for good. The second read has all 27 left.
    assert sorted(_skus(result)) == sorted(f"SKU-{i:06d}" for i in range(1, 28))
    assert len(_skus(result)) == 27
    assert result.state["bookmarks"]["products"]["replication_key_value"] == _iso(27)


def test_listing_that_never_stops_shifting_fails_before_emitting(api):
    api.data[PRODUCTS] = [product(i, _ts(i)) for i in range(1, 201)]

    def remove_the_three_newest(path: str, query: dict[str, list[str]]) -> None:
        if path == PRODUCTS and query["offset"] != ["0"]:
            newest_first = sorted(api.data[PRODUCTS], key=lambda r: r["updated_at"], reverse=True)
            api.data[PRODUCTS] = newest_first[3:]

    api.before_page = remove_the_three_newest  # type: ignore[method-assign]

    with pytest.raises(ListingChangedError, match=r"products: .*nothing was emitted"):
        run_sync(page_size=10)


# ---- over real sockets ------------------------------------------------------------------


def test_products_touched_between_pages_of_the_emulator_are_not_lost(monkeypatch):
    with MyFulfillmentEmulator(dataset="scale:600") as emu:
        config = {"base_url": emu.url, "username": "demo", "password": "demo-password"}
        newest_first = sorted(
            emu.store.products(), key=lambda p: (p["updated_at"], int(p["id"])), reverse=True
        )
        skus = {p["sku"] for p in newest_first}
        # Touched before the 3rd page: one product of the 1st page, one of the 5th.
        read, unread = newest_first[50]["sku"], newest_first[450]["sku"]
        original = ProductsStream._request
        calls = {"n": 0}

        def send_then_touch(self, prepared_request, context):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 3:
                for sku in (read, unread):
                    emu.store.touch_product(sku, price="42.0000")
            return original(self, prepared_request, context)

        monkeypatch.setattr(ProductsStream, "_request", send_then_touch)
        first = run_sync(config)
        monkeypatch.setattr(ProductsStream, "_request", original)

        first_skus = [r["sku"] for r in first.records("products")]
        assert len(first_skus) == len(set(first_skus)), "a shifted product was emitted twice"
        assert set(first_skus) == skus - {unread}

        second = run_sync(config, state=first.state)

        assert sorted(r["sku"] for r in second.records("products")) == sorted([read, unread])
        assert all(str(r["price"]) == "42.0000" for r in second.records("products"))
