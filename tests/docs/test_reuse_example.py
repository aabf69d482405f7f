"""The README's excerpt of the JSONL example is the example file's, so they cannot drift.

target-quickbooks/README.md ("Typing fields built by stream_maps") shows part of a
feed of examples/jsonl/jsonl-feeds.meltano.yml, the file the end-to-end test runs
(tests/e2e/reuse_project.py). Everything the excerpt says must be in the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "target-quickbooks" / "README.md"
FEEDS = ROOT / "target-quickbooks" / "examples" / "jsonl" / "jsonl-feeds.meltano.yml"


def _is_part_of(part: Any, whole: Any) -> bool:
    """Whether every key and value of ``part`` is in ``whole`` (lists and scalars equal)."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            key in whole and _is_part_of(value, whole[key]) for key, value in part.items())
    return bool(part == whole)


def _excerpts() -> list[Any]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Typing fields built by `stream_maps`", 1)[1].split("\n## ", 1)[0]
    return [yaml.safe_load(body) for body in re.findall(r"```yaml\n(.*?)```", section, re.S)]


def test_the_readme_excerpt_is_part_of_the_example_feeds() -> None:
    [excerpt] = _excerpts()
    [shown] = excerpt
    feeds = {plugin["name"]: plugin
             for plugin in yaml.safe_load(FEEDS.read_text())["plugins"]["extractors"]}
    assert _is_part_of(shown, feeds[shown["name"]])


def test_part_of_finds_a_difference() -> None:
    assert _is_part_of({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}, "d": 3})
    assert not _is_part_of({"a": {"b": 2}}, {"a": {"b": 1}})
    assert not _is_part_of({"a": {"x": 1}}, {"a": {"b": 1}})
