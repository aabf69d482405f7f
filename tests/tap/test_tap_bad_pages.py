"""A page that disagrees with its meta.total never loses records (issue 10, point 7).

An empty or short page before ``meta.total``, or a total that falls while paging, is
asked again with backoff; if it persists the stream fails loudly before emitting
anything, so its bookmark does not move past the records it did not read. Unit
tests on requests-mock (``FakeApi``), then the emulator's page faults over real
sockets.
"""

from __future__ import annotations

import contextlib
import io
import typing as t

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from singer_sdk.singerlib.json import deserialize_json
from tap_fakes import BASE_URL, CONFIG, PATHS, FakeApi, SyncResult, product, run_sync
from tap_myfulfillment.errors import ListingChangedError, ListingPageError
from tap_myfulfillment.listing import PAGE_TRIES
from tap_myfulfillment.tap import TapMyFulfillment

PRODUCTS = PATHS["products"]


def _ts(i: int) -> str:
    return f"2026-03-01 {i // 3600:02d}:{i % 3600 // 60:02d}:{i % 60:02d}"


def _catalog(n: int) -> list[dict[str, t.Any]]:
    return [product(i, _ts(i)) for i in range(1, n + 1)]


def _skus(result: SyncResult) -> list[str]:
    return [r["sku"] for r in result.records("products")]


def _spoil(api: FakeApi, spoil: t.Callable[[int, dict[str, t.Any]], dict[str, t.Any] | None]
           ) -> list[int]:
    """Pass every products listing answer through ``spoil(offset, answer)``; count answers."""
    original = api._list
    offsets: list[int] = []

    def answer(request: t.Any, context: t.Any) -> dict[str, t.Any]:
        body = original(request, context)
        query = api.requests[-1][1]
        if api.requests[-1][0] != PRODUCTS or query.get("sorts[updated_at]") != ["desc"]:
            return body
        offset = int(query["offset"][0])
        offsets.append(offset)
        return spoil(offset, body) or body

    api.mocker.get(f"{BASE_URL}{PRODUCTS}", json=answer)
    return offsets


def _run_until_failure(config: dict[str, t.Any], state: dict[str, t.Any] | None = None,
                       **overrides: t.Any) -> tuple[SyncResult, BaseException]:
    """Run a sync that must fail; keep what it wrote before failing."""
    tap = TapMyFulfillment(config={**config, **overrides}, state=state, parse_env_config=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(Exception) as info:
        tap.sync_all()
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    return SyncResult([deserialize_json(line) for line in lines]), info.value


# ---- unit: requests-mock ------------------------------------------------------------------


def test_an_empty_page_before_the_total_is_asked_again_and_nothing_is_lost(api):
    api.data[PRODUCTS] = _catalog(250)
    spoiled = {"left": 1}

    def empty_second_page(offset: int, body: dict[str, t.Any]) -> dict[str, t.Any] | None:
        if offset == 98 and spoiled["left"]:
            spoiled["left"] -= 1
            return {**body, "data": []}
        return None

    offsets = _spoil(api, empty_second_page)

    result = run_sync()

    assert len(set(_skus(result))) == 250
    assert offsets == [0, 98, 98, 196]


def test_a_short_page_before_the_total_is_asked_again(api):
    api.data[PRODUCTS] = _catalog(250)
    spoiled = {"left": 2}

    def short_last_page(offset: int, body: dict[str, t.Any]) -> dict[str, t.Any] | None:
        if offset == 196 and spoiled["left"]:
            spoiled["left"] -= 1
            return {**body, "data": body["data"][:10]}
        return None

    offsets = _spoil(api, short_last_page)

    result = run_sync()

    assert len(set(_skus(result))) == 250
    assert offsets == [0, 98, 196, 196, 196]


@pytest.mark.parametrize("kind", ["empty", "short"])
def test_a_page_that_stays_bad_fails_the_stream_loudly_and_keeps_the_bookmark(api, kind):
    api.data[PRODUCTS] = _catalog(20)
    first = run_sync()
    api.data[PRODUCTS] = _catalog(400)  # 380 new products: the read needs four pages

    def always_bad(offset: int, body: dict[str, t.Any]) -> dict[str, t.Any] | None:
        if offset == 98:
            return {**body, "data": [] if kind == "empty" else body["data"][:-1]}
        return None

    offsets = _spoil(api, always_bad)

    result, error = _run_until_failure(CONFIG, state=first.state)

    assert isinstance(error, ListingPageError)
    message = str(error)
    assert message.startswith("products: the page at offset 98 (limit 100) of "
                              "/catalog-product/products ")
    assert ("came back empty although meta.total is 400" if kind == "empty"
            else "held 99 records although meta.total is 400 (100 expected)") in message
    assert f"{PAGE_TRIES} times" in message
    assert "bookmark did not move" in message
    assert offsets == [0] + [98] * PAGE_TRIES
    assert result.records("products") == []
    assert result.state["bookmarks"]["products"] == first.state["bookmarks"]["products"]
    # Once the server answers right again, every new product comes out.
    api.mocker.get(f"{BASE_URL}{PRODUCTS}", json=api._list)
    assert len(_skus(run_sync(state=first.state))) == 380


def test_a_total_that_falls_once_is_asked_again_without_reading_everything_again(api):
    api.data[PRODUCTS] = _catalog(250)
    spoiled = {"left": 1}

    def low_total(offset: int, body: dict[str, t.Any]) -> dict[str, t.Any] | None:
        # Without the check, a total of 150 would end the read after this page.
        if offset == 98 and spoiled["left"]:
            spoiled["left"] -= 1
            return {**body, "meta": {"total": "150"}}
        return None

    offsets = _spoil(api, low_total)

    result = run_sync()

    assert len(set(_skus(result))) == 250
    assert offsets == [0, 98, 98, 196]


def test_a_total_that_stays_low_fails_loudly_after_reading_again(api):
    api.data[PRODUCTS] = _catalog(250)

    def low_total(offset: int, body: dict[str, t.Any]) -> dict[str, t.Any] | None:
        return {**body, "meta": {"total": "150"}} if offset else None

    offsets = _spoil(api, low_total)

    result, error = _run_until_failure(CONFIG)

    assert isinstance(error, ListingChangedError)
    assert str(error).startswith(
        "products: the page at offset 98 (limit 100) of /catalog-product/products says "
        "meta.total is 150 where the previous pages said 250"
    )
    assert "nothing was emitted and the bookmark did not move" in str(error)
    assert offsets == ([0] + [98] * PAGE_TRIES) * 3
    assert result.records("products") == []


def test_a_total_that_grows_during_the_read_is_accepted_without_asking_again(api):
    # New records enter a newest-first listing at the top: the others only move down.
    api.data[PRODUCTS] = _catalog(250)

    def new_product_arrives(offset: int, body: dict[str, t.Any]) -> dict[str, t.Any] | None:
        if offset == 0:
            api.data[PRODUCTS].append(product(999, _ts(5000)))
        return None

    offsets = _spoil(api, new_product_arrives)

    result = run_sync()

    assert set(_skus(result)) >= {f"SKU-{i:06d}" for i in range(1, 251)}
    assert offsets == [0, 98, 196]


# ---- over real sockets: the emulator's page faults ----------------------------------------


def _config(emu: MyFulfillmentEmulator) -> dict[str, t.Any]:
    return {"base_url": emu.url, "username": "demo", "password": "demo-password"}


@pytest.mark.parametrize("kind", ["empty", "short", "total"])
def test_a_bad_page_of_the_emulator_is_asked_again(kind):
    with MyFulfillmentEmulator(dataset="scale:300") as emu:
        emu.inject_page_fault(kind, path_prefix="/catalog-product", skip=1,
                              total=120 if kind == "total" else None)

        result = run_sync(_config(emu))

        assert len(set(_skus(result))) == 300
        assert emu.stats()["faults"] == 1
        # Pages at offsets 0, 98, 196, 294, one of them asked twice.
        assert emu.stats()["by_path"]["/catalog-product/products"] == 5


def test_products_behind_a_page_that_stays_empty_are_read_by_the_next_run():
    with MyFulfillmentEmulator(dataset="scale:300") as emu:
        config = _config(emu)
        first = run_sync(config)
        skus = [p["sku"] for p in emu.store.products()[:150]]
        for sku in skus:
            emu.store.touch_product(sku, price="7.7700")
        emu.inject_page_fault("empty", path_prefix="/catalog-product/products", skip=1,
                              count=PAGE_TRIES)

        failed, error = _run_until_failure(config, state=first.state)

        assert isinstance(error, ListingPageError)
        assert "products: the page at offset 98" in str(error)
        assert failed.records("products") == []
        assert failed.state["bookmarks"]["products"] == first.state["bookmarks"]["products"]

        second = run_sync(config, state=first.state)

        assert sorted(_skus(second)) == sorted(skus)
