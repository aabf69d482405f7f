"""QuickBooks' real rate limits, enforced by the emulator, on a compressed clock.

The emulator and the target run the same time scale (a QuickBooks minute lasts one
second), so the limits keep their real values (500/min, 10/s, 40 batch/min, 10 at
once) and the 60 s pause Intuit advises after a 429 lasts one second. Two feeds
write at once: each process only knows its own requests, so together they go over
the company's limits and get real XML 429s from the emulator, on top of injected
ones. Both finish, with every item written exactly once.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import TARGET_EXE, target_config, write_config

SCALE = 60
PER_FEED = 900


def products(prefix: str, count: int) -> str:
    lines = [{"type": "SCHEMA", "stream": "products", "key_properties": ["sku"],
              "schema": {"type": "object", "properties": {
                  "sku": {"type": "string"}, "name": {"type": "string"},
                  "type": {"type": "string"}, "price": {"type": "number"}}}}]
    lines += [{"type": "RECORD", "stream": "products",
               "record": {"sku": f"{prefix}-{n:04d}", "name": f"Article {prefix} {n}",
                          "type": "virtual", "price": n / 4}} for n in range(count)]
    return "".join(json.dumps(line) + "\n" for line in lines)


def test_two_feeds_over_the_real_limits_are_throttled_and_write_everything_once(
    tmp_path: Path,
) -> None:
    with QuickBooksEmulator(time_scale=SCALE) as qbo:  # real limits, scaled clock
        config = write_config(tmp_path, target_config(
            qbo, tmp_path, rate_limit_time_scale=SCALE, batch_size=60))
        qbo.inject_fault("throttle", count=2, path_contains="/batch")  # XML 429, no Retry-After
        feeds = [subprocess.Popen([TARGET_EXE, "--config", str(config)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in ("A", "B")]
        outputs = [feed.communicate(products(prefix, PER_FEED), timeout=180)
                   for feed, prefix in zip(feeds, ("A", "B"), strict=True)]
        for feed, (_, err) in zip(feeds, outputs, strict=True):
            assert feed.returncode == 0, err[-4000:]
        stats = qbo.stats()
        assert stats["throttled"] >= 2, stats  # the injected ones; usually a few real ones too
        assert "throttled" in outputs[0][1] + outputs[1][1]
        skus = sorted(i["Sku"] for i in qbo.entities("Item") if i.get("Sku"))
        assert skus == sorted(f"{p}-{n:04d}" for p in ("A", "B") for n in range(PER_FEED))
