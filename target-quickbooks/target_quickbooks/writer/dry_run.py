"""What a dry run would write: one line per create, update or void, listed at the end.

Counts alone do not let an operator check a first sync before it touches the
books; the listing names each record (entity, source key, Name or DocNumber,
action). Memory stays bounded on a large catalogue: the first
:data:`MAX_LISTED` lines are kept, the rest are only counted.
"""

from __future__ import annotations

from collections import Counter

from target_quickbooks.writer.jobs import Job

#: Lines kept for the listing; beyond this only the count per action grows.
MAX_LISTED = 1000

_LABEL_FIELDS = ("Name", "DisplayName", "DocNumber")


class DryRunListing:
    """The writes a dry run planned, in the order they were planned."""

    def __init__(self, max_listed: int = MAX_LISTED) -> None:
        self.max_listed = max_listed
        self.rows: list[tuple[str, str, str, str]] = []
        self.actions: Counter[str] = Counter()

    def add(self, entity: str, key: str, label: str | None, action: str) -> None:
        """Note one write the run would send (``action``: create, update, void)."""
        self.actions[action] += 1
        if len(self.rows) < self.max_listed:
            self.rows.append((entity, key, label or "-", action))

    def add_job(self, job: Job) -> None:
        """Note a planned job; its label is the Name, DisplayName or DocNumber it carries.

        A sparse update may not carry the name: the document number the job keeps, or
        the source record's name, is used then.
        """
        label = next((str(job.payload[name]) for name in _LABEL_FIELDS
                      if job.payload.get(name)),
                     str(job.info.get("doc_number") or job.record.get("name") or ""))
        self.add(job.entity, job.key, label, job.operation)

    def total(self) -> int:
        """How many writes were planned."""
        return sum(self.actions.values())

    def table(self) -> str:
        """The listing as a fixed-width table, with how many lines were left out."""
        title = ("target-quickbooks DRY RUN: what a real run would write ("
                 + (", ".join(f"{n} {action}" for action, n in sorted(self.actions.items()))
                    or "nothing") + ")")
        header = ("entity", "source key", "Name / DocNumber", "action")
        rows = [header, *self.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [title]
        for index, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(width)
                                   for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        left_out = self.total() - len(self.rows)
        if left_out:
            lines.append(f"... and {left_out:,} more not listed (the counts below include them)")
        return "\n".join(lines)
