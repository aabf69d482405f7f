"""Differential test: the streaming STATE reader and writer agree with json on random states.

Seeded, so a failure reproduces; each case prints its seed in the assertion.
"""

from __future__ import annotations

import io
import json
import random
from decimal import Decimal

import pytest
import simplejson
from target_quickbooks.idmap import MAPS, IdMap
from target_quickbooks.state_json import BOOKMARK, decode_state_line, write_state_line

ALPHABET = ['a', 'Z', '0', '-', ':', ' ', '"', '\\', '/', '\t', '\n', '\u0001', 'é', '€',
            'ω', '\u2028', '😀', '{', '}', '[', ']', ',']


def text(rng: random.Random, longest: int = 12) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


def scalar(rng: random.Random) -> object:
    return rng.choice([None, True, False, 0, -7, 10**20, Decimal("1.10"), Decimal("-0.5"),
                       Decimal("1E+5"), text(rng)])


def value(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return scalar(rng)
    if roll < 0.75:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {text(rng): value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def random_state(rng: random.Random) -> dict:
    entry: dict = {}
    names = ["realm_id", "v", *MAPS, "pending", "results", "products", "suffixed"]
    rng.shuffle(names)
    for name in names:
        if name in MAPS:
            if rng.random() < 0.9:
                entry[name] = {text(rng): text(rng, 20) for _ in range(rng.randint(0, 40))}
        else:
            entry[name] = value(rng)
    # Look-alikes elsewhere must be read as ordinary values.
    bookmarks = {"products": {"items": {"x": "1"}, "replication_key_value": text(rng)},
                 text(rng): value(rng), BOOKMARK: entry}
    keys = list(bookmarks)
    rng.shuffle(keys)
    return {"type": "STATE",
            "value": {"bookmarks": {key: bookmarks[key] for key in keys},
                      "items": {"not": "ours"}, "other": value(rng)}}


@pytest.mark.parametrize("seed", range(300))
def test_random_state_reads_like_json_loads(seed: int) -> None:
    rng = random.Random(seed)
    message = random_state(rng)
    line = simplejson.dumps(message, use_decimal=True, ensure_ascii=rng.random() < 0.5,
                            indent=rng.choice([None, None, 1, "\t"])) + "\n"
    streamed: dict[str, dict[str, str]] = {}

    def sink(kind: str, pairs: list[tuple[str, str]]) -> None:
        streamed.setdefault(kind, {}).update(pairs)

    decoded = decode_state_line(line, sink)
    expected = json.loads(line, parse_float=Decimal)
    entry = expected["value"]["bookmarks"][BOOKMARK]
    maps = {kind: entry.pop(kind) for kind in MAPS if kind in entry}
    assert decoded == expected, seed
    assert {kind: streamed.get(kind, {}) for kind in maps} == maps, seed
    assert not set(streamed) - set(maps), seed


@pytest.mark.parametrize("seed", range(100))
def test_random_maps_write_like_json_dumps(seed: int) -> None:
    rng = random.Random(seed)
    maps = {kind: {text(rng): text(rng, 20) for _ in range(rng.randint(0, 60))}
            for kind in MAPS}
    idmap = IdMap.from_dicts(maps)
    entry = {"realm_id": text(rng), **dict.fromkeys(MAPS), "pending": value(rng)}
    tap_state = {"bookmarks": {"products": {"replication_key_value": text(rng)}},
                 "x": Decimal("0.30")}
    out = io.StringIO()
    write_state_line(out, tap_state, entry, idmap.items)
    written = json.loads(out.getvalue(), parse_float=Decimal)
    expected = {**tap_state, "bookmarks": {**tap_state["bookmarks"],
                                           BOOKMARK: {**entry, **maps}}}
    assert written == json.loads(simplejson.dumps(expected, use_decimal=True),
                                 parse_float=Decimal), seed
    for kind in MAPS:
        assert list(written["bookmarks"][BOOKMARK][kind]) == sorted(maps[kind]), seed
