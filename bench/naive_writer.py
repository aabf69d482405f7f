"""The baseline: one QuickBooks request per entity, as most QuickBooks connectors write.

Reads the ``products`` records of a Singer file, maps each with the target's own
mapper (same payloads), and POSTs each Item alone to ``/item``, through the same
client-side limits (the target's ``RateLimiter``: per minute, per second and
concurrency) so that it never trips a 429 either. It is the *best* a
one-request-per-entity writer can do: up to ``--concurrency`` requests in flight.

    python -m bench.naive_writer --config naive.json --input products.singer > result.json
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from target_quickbooks.mappers.items import map_product
from target_quickbooks.qbo import RateLimiter

#: The emulator fixture's accounts, by role (docs/architecture.md).
ACCOUNTS = {
    "income": {"value": "79"},
    "service_income": {"value": "1"},
    "expense": {"value": "80"},
    "asset": {"value": "81"},
}


def products(path: Path, limit: int) -> Iterator[dict[str, Any]]:
    """The first ``limit`` ``products`` records of a Singer file."""
    count = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if count >= limit:
                return
            message = json.loads(line, parse_float=Decimal)
            if message.get("type") == "RECORD" and message.get("stream") == "products":
                count += 1
                yield message["record"]


def access_token(config: dict[str, Any]) -> str:
    """Exchange the refresh token for an access token (one call, no rotation handling)."""
    discovery = requests.get(config["oauth_discovery_url"], timeout=30).json()
    response = requests.post(
        discovery["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": config["refresh_token"]},
        auth=(config["client_id"], config["client_secret"]),
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def main(argv: list[str] | None = None) -> int:
    """Write the products one request each; print a JSON summary on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=10**9, help="products to write")
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text(encoding="utf-8"))
    limiter = RateLimiter(
        per_minute=int(config.get("max_requests_per_minute", 500)),
        per_second=int(config.get("max_requests_per_second", 10)),
        batch_per_minute=int(config.get("max_batch_requests_per_minute", 40)),
        max_concurrent=args.concurrency,
        time_scale=float(config.get("rate_limit_time_scale", 1)),
    )
    url = f"{config['api_url']}/company/{config['realm_id']}/item"
    headers = {"Authorization": f"Bearer {access_token(config)}", "Accept": "application/json"}
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=args.concurrency + 2))
    counts = {"written": 0, "failed": 0, "throttled": 0, "requests": 0}
    lock = threading.Lock()

    def write(record: dict[str, Any]) -> None:
        payload = map_product(record, accounts=ACCOUNTS, inv_start_date="2026-01-01")
        body = json.dumps(payload, default=str)
        while True:
            with limiter.slot("request"):
                response = session.post(url, params={"minorversion": "75"}, data=body,
                                        headers={**headers, "Content-Type": "application/json"},
                                        timeout=120)
            with lock:
                counts["requests"] += 1
            if response.status_code != 429:
                break
            with lock:
                counts["throttled"] += 1
            limiter.penalize()
        with lock:
            counts["written" if response.ok and "Fault" not in response.json() else "failed"] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for future in [pool.submit(write, record) for record in products(args.input, args.limit)]:
            future.result()
    json.dump({**counts, "seconds": round(time.monotonic() - started, 3)}, sys.stdout)
    sys.stdout.write("\n")
    return 0 if counts["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
