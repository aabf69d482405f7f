"""QuickBooksClient against the QuickBooks emulator over real sockets (integration)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.qbo import (
    AuthError,
    BatchOperation,
    QuickBooksAuth,
    QuickBooksClient,
    QuickBooksFault,
    RateLimiter,
    TokenStore,
    request_id,
)

REALM = "9130350000000001"
CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret"


@pytest.fixture
def emu():
    emulator = QuickBooksEmulator(
        realm_id=REALM,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        initial_refresh_token="demo-refresh-token",
    ).start()
    try:
        yield emulator
    finally:
        emulator.stop()


def make_auth(emu, store: TokenStore) -> QuickBooksAuth:
    return QuickBooksAuth(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token="demo-refresh-token",
        realm_id=REALM,
        discovery_url=emu.discovery_url,
        token_store=store,
    )


def make_client(emu, tmp_path, **kwargs) -> QuickBooksClient:
    auth = make_auth(emu, TokenStore(tmp_path / "secrets" / "qbo.json"))
    limiter = kwargs.pop("limiter", None) or RateLimiter(default_penalty=0.2)
    return QuickBooksClient(
        realm_id=REALM,
        api_url=emu.api_url,
        auth=auth,
        limiter=limiter,
        backoff_base=0.01,
        backoff_max=0.05,
        **kwargs,
    )


def service_item(name: str) -> dict:
    return {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": "1"}}


def names(emu, entity: str) -> list[str]:
    return [row.get("Name") or row.get("DisplayName") for row in emu.entities(entity)]


def test_twenty_consecutive_refreshes_rotate_and_persist(emu, tmp_path):
    client = make_client(emu, tmp_path)
    store = client.auth.token_store
    seen = set()
    for _ in range(20):
        client.auth.refresh(force=True)
        saved = store.read()
        assert saved.refresh_token == emu.current_refresh_token()
        seen.add(saved.refresh_token)
        assert client.company_info()["CompanyName"]
    assert len(seen) == 20
    # A new run whose config still holds the original (dead) token keeps working.
    next_run = make_auth(emu, store)
    next_run.refresh(force=True)
    assert store.read().refresh_token == emu.current_refresh_token()


def test_revoked_refresh_token_gives_authorize_instruction(emu, tmp_path):
    client = make_client(emu, tmp_path)
    client.company_info()
    emu.revoke_refresh_tokens()
    with pytest.raises(AuthError) as info:
        client.auth.refresh(force=True)
    assert "invalid_grant" in str(info.value)
    assert "meltano invoke target-quickbooks:authorize" in str(info.value)


def test_expired_access_token_is_refreshed_once(emu, tmp_path):
    client = make_client(emu, tmp_path)
    client.company_info()
    emu.inject_fault("expire_access_token", count=1)
    assert client.preferences()
    assert client.stats()["refreshes"] == 1
    assert client.auth.token_store.read().refresh_token == emu.current_refresh_token()


def test_lost_response_replays_with_same_requestid(emu, tmp_path):
    client = make_client(emu, tmp_path)
    rid = request_id(REALM, "Item", "SKU-LOST")
    emu.inject_fault("lost_response", count=1, path_contains="/item")
    created = client.create("Item", service_item("Lost answer"), request_id=rid)
    assert created["Name"] == "Lost answer"
    assert names(emu, "Item").count("Lost answer") == 1
    # The same request id later (a re-run) returns the original object, no duplicate.
    again = client.create("Item", service_item("Lost answer"), request_id=rid)
    assert again["Id"] == created["Id"]
    assert names(emu, "Item").count("Lost answer") == 1
    assert client.stats()["retries"] == 1


def test_batch_of_75_creates_with_faults_retries_and_order(emu, tmp_path):
    client = make_client(emu, tmp_path)
    before = len(emu.entities("Item"))
    ops = [
        BatchOperation(
            "Item", "create", payload=service_item(f"Batch item {n:02d}"), request_key=f"SKU-{n}"
        )
        for n in range(75)
    ]
    ops[10] = BatchOperation(
        "Item", "create", payload=service_item("Shipping"), request_key="SKU-dup"
    )
    emu.inject_fault("lost_response", count=1, path_contains="/batch")
    emu.inject_fault("error_before", count=1, path_contains="/batch", status=503)
    results = client.batch(ops)
    assert [r.operation for r in results] == ops
    assert results[10].fault is not None
    assert results[10].fault.code == "6240"
    created = [r.entity["Name"] for r in results if r.ok]
    assert created == [f"Batch item {n:02d}" for n in range(75) if n != 10]
    assert len(emu.entities("Item")) == before + 74
    stats = client.stats()
    assert stats["by_kind"]["batch"] == 5  # 3 chunks + 2 retries
    assert stats["item_faults"] == 1


def test_throttle_and_server_errors_are_retried(emu, tmp_path):
    client = make_client(emu, tmp_path)
    emu.inject_fault("throttle", count=1, path_contains="/query")
    emu.inject_fault("error_before", count=2, path_contains="/query", status=502)
    assert client.query("SELECT * FROM Item WHERE Name = 'Shipping'")[0]["Name"] == "Shipping"
    stats = client.stats()
    assert stats["throttled"] == 1
    assert stats["retries"] == 3


def test_query_escaping_round_trip(emu, tmp_path):
    client = make_client(emu, tmp_path)
    tricky = ["O'Brien Ltd", "Back\\slash Co", "Quote' OR Name = 'Shipping"]
    for n, name in enumerate(tricky):
        client.create("Customer", {"DisplayName": name}, request_id=request_id(REALM, "C", str(n)))
    found = client.query_in("Customer", "DisplayName", [*tricky, "Nobody"])
    assert sorted(row["DisplayName"] for row in found) == sorted(tricky)
    one = client.query(f"SELECT * FROM Customer WHERE DisplayName = '{client.escape(tricky[0])}'")
    assert [row["DisplayName"] for row in one] == [tricky[0]]
    with pytest.raises(QuickBooksFault, match="4000"):
        client.query("SELECT * FROM Customer WHERE DisplayName = 'O'Brien Ltd'")


def test_query_in_many_chunks_through_batch(emu, tmp_path):
    client = make_client(emu, tmp_path)
    ops = [
        BatchOperation(
            "Item",
            "create",
            payload={**service_item(f"Q{n}"), "Sku": f"Q-{n}"},
            request_key=f"Q-{n}",
        )
        for n in range(40)
    ]
    assert all(r.ok for r in client.batch(ops))
    skus = [f"Q-{n}" for n in range(80)]
    found = client.query_in("Item", "Sku", skus, chunk=3)
    assert sorted(row["Sku"] for row in found) == sorted(f"Q-{n}" for n in range(40))


REFRESHER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from target_quickbooks.qbo import QuickBooksAuth, TokenStore, AuthError
    discovery, store_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    auth = QuickBooksAuth(client_id="demo-client-id", client_secret="demo-client-secret",
                          refresh_token="demo-refresh-token", realm_id="9130350000000001",
                          discovery_url=discovery, token_store=TokenStore(Path(store_path)))
    errors = 0
    for _ in range(count):
        try:
            auth.refresh(force=True)
        except AuthError:
            errors += 1
    print(json.dumps({"errors": errors, "refreshes": auth.refresh_count}))
    """
)


def test_processes_refreshing_at_once_never_lose_a_rotation(emu, tmp_path):
    store_path = tmp_path / "shared" / "qbo.json"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REFRESHER, emu.discovery_url, str(store_path), "8"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [json.loads(proc.communicate(timeout=60)[0]) for proc in procs]
    assert [out["errors"] for out in outputs] == [0, 0, 0]
    assert sum(out["refreshes"] for out in outputs) == 24
    assert TokenStore(store_path).read().refresh_token == emu.current_refresh_token()


def test_client_side_limits_avoid_429_at_full_speed(tmp_path):
    # time_scale=60: QuickBooks' minute lasts one second, on both sides.
    with QuickBooksEmulator(realm_id=REALM, time_scale=60.0) as emulator:
        limiter = RateLimiter(time_scale=60.0, default_penalty=0.2)
        client = make_client(emulator, tmp_path, limiter=limiter, max_workers=8)
        ops = [
            BatchOperation("Item", "query", query="SELECT * FROM Item WHERE Name = 'Shipping'")
            for _ in range(30 * 48)
        ]
        results = client.batch(ops)  # 48 batch requests: over the 40 a "minute" limit
        assert all(r.ok for r in results)
        for _ in range(30):
            client.read("Item", results[0].query_response["Item"][0]["Id"])
        server = emulator.stats()
    assert server["throttled"] == 0
    assert client.stats()["throttled"] == 0
    assert client.stats()["by_kind"]["batch"] == 48


def test_long_in_query_is_posted_and_understood(emu, tmp_path):
    client = make_client(emu, tmp_path)
    wanted = [f"Unknown item {n} {'x' * 30}" for n in range(150)] + ["Shipping", "Adjustment"]
    found = client.query_in("Item", "Name", wanted)
    assert sorted(row["Name"] for row in found) == ["Adjustment", "Shipping"]
    assert client.stats()["by_kind"] == {"query": 1}


def test_void_keeps_the_invoice_with_zero_amounts(emu, tmp_path):
    client = make_client(emu, tmp_path)
    customer = client.create("Customer", {"DisplayName": "Void Test (#1)"},
                             request_id=request_id(REALM, "Customer", "void-1"))
    invoice = client.create("Invoice", {
        "CustomerRef": {"value": customer["Id"]}, "DocNumber": "VOID-1",
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 10,
                  "SalesItemLineDetail": {"ItemRef": {"value": "20"}, "Qty": 1, "UnitPrice": 10,
                                          "TaxCodeRef": {"value": "6"}}}],
    }, request_id=request_id(REALM, "Invoice", "void-1"))
    voided = client.void("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
                         request_id=request_id(REALM, "Invoice", "void-1", "void"))
    assert float(voided["TotalAmt"]) == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert [i["Id"] for i in emu.entities("Invoice")] == [invoice["Id"]]
    with pytest.raises(ValueError, match="SyncToken"):
        client.void("Invoice", {"Id": invoice["Id"]}, request_id="x")
