"""Fakes and helpers for the tap tests: a myFulfillment API on requests-mock and a sync runner."""

from __future__ import annotations

import contextlib
import io
import typing as t
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import requests_mock as rm
from singer_sdk.singerlib.json import deserialize_json
from tap_myfulfillment.streams import STREAM_NAMES
from tap_myfulfillment.tap import TapMyFulfillment

BASE_URL = "https://fr3.myfulfillment.test/api"
CONFIG = {"base_url": BASE_URL, "username": "demo", "password": "demo-password"}

PATHS = {
    "products": "/catalog-product/products",
    "orders": "/sales/orders",
    "invoices": "/sales/invoices",
    "credit_memos": "/sales/creditmemos",
}


def product(n: int, updated_at: str, **extra: t.Any) -> dict[str, t.Any]:
    return {
        "id": str(n),
        "sku": f"SKU-{n:06d}",
        "name": f"Produit n°{n} - 1.20 Ω",
        "type": "simple",
        "status": "1",
        "discontinued": "0",
        "cost": "5.5000",
        "price": "12.9000",
        "tax_rate": "20.0000",
        "weight": "0.2500",
        "qty": "7.0000",
        "created_at": "2025-01-01 00:00:00",
        "updated_at": updated_at,
        **extra,
    }


def address(**extra: t.Any) -> dict[str, t.Any]:
    return {
        "firstname": "Jeanne",
        "lastname": "Dupont",
        "company": "",
        "street": ["12 rue de la Paix"],
        "city": "Paris",
        "postcode": "75002",
        "region": "",
        "country_id": "FR",
        "telephone": "0102030405",
        **extra,
    }


def order(n: int, updated_at: str, **extra: t.Any) -> dict[str, t.Any]:
    return {
        "id": str(n),
        "increment_id": f"1000{n:05d}",
        "status": "complete",
        "created_at": updated_at,
        "updated_at": updated_at,
        "currency": "EUR",
        "customer_id": str(500 + n),
        "customer_email": f"client{n}@example.fr",
        "customer_firstname": "Jeanne",
        "customer_lastname": "Dupont",
        "billing_address": address(),
        "shipping_address": address(),
        "subtotal": "10.0000",
        "tax_amount": "2.0000",
        "shipping_amount": "0.0000",
        "discount_amount": "0.0000",
        "grand_total": "12.0000",
        "items": [
            {
                "item_id": str(n * 10),
                "sku": "SKU-000001",
                "name": "P",
                "qty_ordered": "1.0000",
                "price": "10.0000",
                "tax_percent": "20.0000",
                "tax_amount": "2.0000",
                "discount_amount": "0.0000",
                "row_total": "10.0000",
            }
        ],
        **extra,
    }


def invoice(n: int, updated_at: str, **extra: t.Any) -> dict[str, t.Any]:
    return {
        "id": str(n),
        "increment_id": f"INV-{n:05d}",
        "order_id": str(n),
        "order_increment_id": f"1000{n:05d}",
        "state": "paid",
        "created_at": updated_at,
        "updated_at": updated_at,
        "currency": "EUR",
        "customer_id": None,
        "customer_email": f"Guest{n}@Example.fr",
        "customer_firstname": "Paul",
        "customer_lastname": "Martin",
        "billing_address": address(),
        "subtotal": "10.0000",
        "tax_amount": "2.0000",
        "shipping_amount": "0.0000",
        "shipping_tax_amount": "0.0000",
        "discount_amount": "0.0000",
        "grand_total": "12.0000",
        "items": [
            {
                "sku": "SKU-000001",
                "name": "P",
                "qty": "1.0000",
                "price": "10.0000",
                "tax_percent": "20.0000",
                "tax_amount": "2.0000",
                "discount_amount": "0.0000",
                "row_total": "10.0000",
            }
        ],
        **extra,
    }


def _sort_value(name: str, value: t.Any) -> tuple[int, t.Any]:
    if name == "id" and str(value).isdigit():
        return (1, int(value))
    return (0, str(value))


def sort_rows(
    rows: list[dict[str, t.Any]],
    query: dict[str, list[str]],
    ignored: t.Collection[str] = (),
) -> list[dict[str, t.Any]]:
    """Apply every ``sorts[field]=asc|desc`` in order, like the real API (first sort wins).

    Fields in ``ignored`` are not sorted on (a server that drops part of the sort).
    """
    sorts = [
        (name[6:-1], values[-1])
        for name, values in query.items()
        if name.startswith("sorts[") and name.endswith("]") and name[6:-1] not in ignored
    ]
    for name, direction in reversed(sorts):
        rows = sorted(
            rows, key=lambda r: _sort_value(name, r.get(name)), reverse=direction == "desc"
        )
    return rows


def _matches(row: dict[str, t.Any], query: dict[str, list[str]]) -> bool:
    """Apply every ``filters[field]=value`` as an equality, like the real API without ``%``."""
    return all(
        str(row.get(name[8:-1])) == values[-1]
        for name, values in query.items()
        if name.startswith("filters[") and name.endswith("]")
    )


@dataclass
class FakeApi:
    """A tiny in-memory myFulfillment on requests-mock (paging, desc sort, auth)."""

    mocker: rm.Mocker
    data: dict[str, list[dict[str, t.Any]]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)
    logins: int = 0
    token_serial: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    honour_sort: bool = True
    ignored_sorts: set[str] = field(default_factory=set)

    def install(self) -> FakeApi:
        self.mocker.post(f"{BASE_URL}/auth/token", json=self._login)
        for path in PATHS.values():
            self.data.setdefault(path, [])
            self.mocker.get(f"{BASE_URL}{path}", json=self._list)
        return self

    def _login(self, request: t.Any, context: t.Any) -> dict[str, t.Any]:
        body = request.json()
        if body != {"username": "demo", "password": "demo-password"}:
            context.status_code = 401
            return {"message": "Wrong authentication"}
        self.logins += 1
        self.token_serial += 1
        token = f"tok-{self.token_serial}"
        self.valid_tokens.add(token)
        return {"token": token}

    def _list(self, request: t.Any, context: t.Any) -> dict[str, t.Any]:
        url = urlparse(request.url)
        query = parse_qs(url.query)
        path = url.path.removeprefix("/api")
        self.requests.append((path, query))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            context.status_code = 401
            return {"message": "Unauthenticated."}
        self.before_page(path, query)
        rows = [row for row in self.data[path] if _matches(row, query)]
        if self.honour_sort:
            rows = sort_rows(rows, query, self.ignored_sorts)
        limit = int(query["limit"][0])
        offset = int(query["offset"][0])
        return {"data": rows[offset : offset + limit], "meta": {"total": str(len(rows))}}

    def before_page(self, path: str, query: dict[str, list[str]]) -> None:
        """Hook for tests that change the data between two pages (no-op)."""

    def count(self, path: str, *, probes: bool = True) -> int:
        """Requests of one path; ``probes=False`` leaves out the ascending sort checks."""
        return sum(
            1
            for p, q in self.requests
            if p == path and (probes or q.get("sorts[updated_at]") != ["asc"])
        )

    def probes(self, path: str) -> int:
        """Sort-check requests (ascending order) of one path."""
        return self.count(path) - self.count(path, probes=False)

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()


@dataclass
class SyncResult:
    messages: list[dict[str, t.Any]]

    def records(self, stream: str) -> list[dict[str, t.Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    @property
    def state(self) -> dict[str, t.Any]:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else {}

    def stream_order(self) -> list[str]:
        seen: list[str] = []
        for m in self.messages:
            if m["type"] == "SCHEMA" and m["stream"] not in seen:
                seen.append(m["stream"])
        return seen


def only(*streams: str) -> dict[str, t.Any]:
    """A catalog selecting only ``streams`` (as a Meltano feed does)."""
    catalog = TapMyFulfillment(config=CONFIG, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def run_sync(
    config: dict[str, t.Any] | None = None,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    *,
    no_catalog: bool = False,
    **overrides: t.Any,
) -> SyncResult:
    """Run a full tap sync in-process, parsing stdout exactly like a target would.

    Every stream is selected (``orders`` too, which is off by default) unless
    ``catalog`` is given, or ``no_catalog`` runs the tap as a plain pipe does.
    """
    if catalog is None and not no_catalog:
        catalog = only(*STREAM_NAMES)
    tap = TapMyFulfillment(
        config={**(config or CONFIG), **overrides},
        state=state,
        catalog=catalog,
        parse_env_config=False,
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap.sync_all()
    messages = [deserialize_json(line) for line in out.getvalue().splitlines() if line.strip()]
    return SyncResult(messages)
