"""Every shell block of the documentation is run by a test, or marked as an exception."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.docs import doc_blocks
from tests.docs.doc_blocks import SKIP_CATEGORIES, all_blocks, shell_blocks
from tests.e2e.test_e2e_documented_commands import RUNNERS


def test_every_shell_block_is_run_or_marked_with_a_reason() -> None:
    problems = []
    for block in all_blocks():
        if block.marker is None:
            problems.append(f"{block.where}: no <!-- doc-test: ... --> marker before the block")
        elif block.skip is not None:
            category, reason = block.skip
            if category not in SKIP_CATEGORIES or not reason:
                problems.append(f"{block.where}: a skip reads 'skip <category>: <reason>' with "
                                f"category in {sorted(SKIP_CATEGORIES)}, got {block.marker!r}")
        elif block.test_id not in RUNNERS:
            problems.append(f"{block.where}: no test runs doc-test id {block.test_id!r}")
    assert not problems, "\n".join(problems)


def test_each_test_id_marks_exactly_one_block() -> None:
    ids = Counter(block.test_id for block in all_blocks() if block.test_id)
    assert {name for name, n in ids.items() if n > 1} == set()
    assert set(RUNNERS) == set(ids), "a runner without a documented block, or the reverse"


def test_the_old_meltano_config_form_is_gone_from_every_document() -> None:
    """`meltano config <plugin> set` fails on Meltano 4.4.1 (`No such command`)."""
    for path in doc_blocks.document_paths():
        text = (doc_blocks.ROOT / path).read_text(encoding="utf-8")
        assert "config tap-myfulfillment set" not in text, path
        assert "config target-quickbooks set" not in text, path


def test_an_unmarked_block_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "README.md").write_text(
        "Intro\n\n<!-- doc-test: feeds -->\n```sh\nmeltano run x\n```\n\n"
        "```bash\nmeltano config set a b c\n```\n\n```yaml\nnot: shell\n```\n",
        encoding="utf-8")
    monkeypatch.setattr(doc_blocks, "ROOT", tmp_path)
    blocks = shell_blocks("README.md")
    assert [(b.line, b.marker) for b in blocks] == [(4, "feeds"), (8, None)]
    assert blocks[0].text == "meltano run x\n"
    assert blocks[0].test_id == "feeds"
