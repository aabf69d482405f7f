"""Offset paging: limit/offset until meta.total (a string), or an empty/short page."""

from __future__ import annotations

from tap_fakes import BASE_URL, PATHS, product, run_sync
from tap_myfulfillment.listing import LISTING_SORTS, _sort_params

PRODUCTS = PATHS["products"]


def _catalog(n: int) -> list[dict]:
    return [product(i, f"2026-03-01 10:{i // 60:02d}:{i % 60:02d}") for i in range(n)]


def test_pages_until_string_total(api):
    api.data[PRODUCTS] = _catalog(250)

    result = run_sync()

    assert len(result.records("products")) == 250
    queries = [q for p, q in api.requests if p == PRODUCTS]
    # Consecutive pages overlap by 2 records.
    assert [q["offset"] for q in queries] == [["0"], ["98"], ["196"]]
    assert all(q["limit"] == ["100"] and q["sorts[updated_at]"] == ["desc"] for q in queries)
    assert all(q["sorts[id]"] == ["desc"] for q in queries)


def test_sorts_are_sent_in_order_updated_at_then_id(api):
    api.data[PRODUCTS] = _catalog(1)

    run_sync()

    (_, query), *_ = api.requests
    assert [name for name in query if name.startswith("sorts[")] == [
        "sorts[updated_at]",
        "sorts[id]",
    ]


def test_listing_ending_on_a_page_boundary_makes_no_extra_request(api):
    # Pages of 50 overlapping by 2 cover [0, 50), [48, 98), [96, 146), [144, 194).
    api.data[PRODUCTS] = _catalog(194)

    result = run_sync(page_size=50)

    assert len(result.records("products")) == 194
    assert api.count(PRODUCTS) == 4


def test_short_page_stops_when_total_is_missing(api, requests_mock):
    rows = _catalog(3)[::-1]
    requests_mock.get(
        f"{BASE_URL}{PRODUCTS}",
        # Offsets 0, 1, 2 (pages of 2 overlapping by 1): the third page is short.
        [{"json": {"data": rows[:2]}}, {"json": {"data": rows[1:]}}, {"json": {"data": rows[2:]}}],
    )

    result = run_sync(page_size=2)

    assert len(result.records("products")) == 3
    assert sum(1 for r in requests_mock.request_history if r.path.endswith("products")) == 3


def test_id_tie_breaker_can_be_turned_off() -> None:
    assert _sort_params(LISTING_SORTS) == {"sorts[updated_at]": "desc", "sorts[id]": "desc"}
    assert _sort_params(LISTING_SORTS, tie_breaker=False) == {"sorts[updated_at]": "desc"}
