"""Retries with backoff on rate limits, gateway errors and connection failures."""

from __future__ import annotations

import pytest
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from tap_fakes import BASE_URL, PATHS, product, run_sync
from tap_myfulfillment.client import MyFulfillmentStream

PRODUCTS = PATHS["products"]
GOOD_PAGE = {
    "json": {"data": [product(1, "2026-03-01 10:00:00")], "meta": {"total": "1"}},
}


def _product_calls(requests_mock) -> int:
    return sum(1 for r in requests_mock.request_history if r.path.endswith("products"))


@pytest.mark.parametrize(
    "failure",
    [
        {"status_code": 400, "text": "Too Many Attempts."},
        {"status_code": 429, "text": "Too Many Requests"},
        {"status_code": 500, "text": "An error occurred"},
        {"status_code": 502, "text": "Bad Gateway"},
        {"status_code": 503, "text": "Service Unavailable"},
        {"status_code": 504, "text": "Gateway Timeout"},
        {"exc": requests.exceptions.ConnectionError},
        {"exc": requests.exceptions.ReadTimeout},
    ],
    ids=["400-too-many-attempts", "429", "500", "502", "503", "504", "connection", "timeout"],
)
def test_retryable_failure_is_retried_then_succeeds(api, requests_mock, failure):
    requests_mock.get(f"{BASE_URL}{PRODUCTS}", [failure, failure, GOOD_PAGE])

    result = run_sync()

    assert [r["sku"] for r in result.records("products")] == ["SKU-000001"]
    assert _product_calls(requests_mock) == 3


def test_retries_give_up_after_max_tries_with_the_server_message(api, requests_mock, monkeypatch):
    monkeypatch.setattr(MyFulfillmentStream, "retry_max_tries", 3)
    requests_mock.get(f"{BASE_URL}{PRODUCTS}", status_code=503, text="Maintenance en cours")

    with pytest.raises(RetriableAPIError, match=r"503.*Maintenance en cours"):
        run_sync()

    assert _product_calls(requests_mock) == 3


def test_other_4xx_fails_at_once_with_the_laravel_message(api, requests_mock):
    requests_mock.get(
        f"{BASE_URL}{PRODUCTS}",
        status_code=422,
        json={"message": "The given data was invalid.", "errors": {"limit": ["Too big."]}},
    )

    with pytest.raises(FatalAPIError) as info:
        run_sync()

    message = str(info.value)
    assert "GET /api/catalog-product/products returned 422" in message
    assert "The given data was invalid." in message
    assert "limit: Too big." in message
    assert _product_calls(requests_mock) == 1


def test_plain_400_is_not_mistaken_for_rate_limiting(api, requests_mock):
    requests_mock.get(f"{BASE_URL}{PRODUCTS}", status_code=400, text="Bad filter")

    with pytest.raises(FatalAPIError, match="Bad filter"):
        run_sync()

    assert _product_calls(requests_mock) == 1


def test_backoff_is_exponential_capped_and_jittered():
    waits = MyFulfillmentStream.backoff_wait_generator.__get__(_Config())()
    next(waits)
    values = [next(waits) for _ in range(8)]
    assert values == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    jitter = MyFulfillmentStream.backoff_jitter.__get__(_Config())
    assert all(5.0 <= jitter(10.0) <= 10.0 for _ in range(50))


class _Config:
    retry_base_seconds = 1.0
    retry_max_seconds = 30.0
