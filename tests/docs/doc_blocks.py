"""The shell blocks of the documentation, and what each one is tested by.

Every fenced ``sh``/``bash``/``shell``/``console`` block in the documents below
must be preceded by a marker comment:

- ``<!-- doc-test: <id> -->``: the block is run, as written, by the end-to-end
  test of that id (tests/e2e/test_e2e_documented_commands.py) against the
  emulators, in a throwaway copy of the Meltano project;
- ``<!-- doc-test: skip intuit-website: <reason> -->`` or
  ``<!-- doc-test: skip long-running: <reason> -->``: the only two exceptions.

A block without a marker, or with an id no test runs, fails
tests/docs/test_doc_blocks.py: a command added to a document is tested or
explicitly excused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The documents a user is told to follow.
DOCUMENTS = (
    "README.md",
    "tap-myfulfillment/README.md",
    "target-quickbooks/README.md",
    "orchestrate/README.md",
    "plugins/README.md",
)
DOCS_DIR = "docs"
SHELL_LANGUAGES = {"sh", "bash", "shell", "console", "zsh"}
SKIP_CATEGORIES = {"intuit-website", "long-running"}

_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class DocBlock:
    """One shell block of a document."""

    path: str
    line: int
    marker: str | None
    text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def skip(self) -> tuple[str, str] | None:
        """(category, reason) of a ``skip`` marker, else None."""
        if self.marker is None or not self.marker.startswith("skip"):
            return None
        category, _, reason = self.marker[len("skip"):].strip().partition(":")
        return category.strip(), reason.strip()

    @property
    def test_id(self) -> str | None:
        if self.marker is None or self.skip is not None:
            return None
        return self.marker


def document_paths() -> list[str]:
    """Every document checked: the fixed list and every Markdown file under docs/."""
    docs = sorted(str(p.relative_to(ROOT)) for p in (ROOT / DOCS_DIR).rglob("*.md"))
    return [*DOCUMENTS, *docs]


def shell_blocks(path: str) -> list[DocBlock]:
    """The shell blocks of one document, with the marker before each."""
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    blocks: list[DocBlock] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent, ticks, language = fence.groups()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(ticks):
            end += 1
        if language.lower() in SHELL_LANGUAGES:
            marker = None
            before = i - 1
            while before >= 0 and not lines[before].strip():
                before -= 1
            if before >= 0 and (found := _MARKER.match(lines[before])):
                marker = found.group(1)
            body = "\n".join(x[len(indent):] if x.startswith(indent) else x
                             for x in lines[i + 1:end])
            blocks.append(DocBlock(path, i + 1, marker, body + "\n"))
        i = end + 1
    return blocks


def all_blocks() -> list[DocBlock]:
    return [block for path in document_paths() for block in shell_blocks(path)]


def block(test_id: str) -> DocBlock:
    """The one block a test runs (exactly one block carries each id)."""
    found = [b for b in all_blocks() if b.test_id == test_id]
    assert len(found) == 1, f"doc-test id {test_id!r} is on {len(found)} blocks"
    return found[0]
