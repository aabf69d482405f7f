"""Per-stream outcome counters of one run, and the end-of-run table."""

from __future__ import annotations

from collections import Counter

OUTCOMES = ("created", "updated", "unchanged", "deferred", "rejected", "skipped")
#: ``credit_memos (RefundReceipt)``: credit memos of paid invoices (``writer/receipts.py``).
STREAM_ORDER = ("products", "customers", "invoices", "credit_memos",
                "credit_memos (RefundReceipt)")


class RunResults:
    """How many records of each stream ended in each outcome during this run."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {}

    def add(self, stream: str, outcome: str, count: int = 1) -> None:
        """Count ``count`` records of ``stream`` as ``outcome``.

        Raises:
            ValueError: for an outcome outside :data:`OUTCOMES` (a programming error).
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self._counts.setdefault(stream, Counter())[outcome] += count

    def get(self, stream: str, outcome: str) -> int:
        """The count of one stream and outcome."""
        return self._counts.get(stream, Counter())[outcome]

    def total(self, outcome: str) -> int:
        """The count of ``outcome`` over every stream."""
        return sum(counts[outcome] for counts in self._counts.values())

    def streams(self) -> list[str]:
        """Streams seen this run, in dependency order then alphabetical."""
        known = [stream for stream in STREAM_ORDER if stream in self._counts]
        return known + sorted(set(self._counts) - set(known))

    def as_dict(self) -> dict[str, dict[str, int]]:
        """``{stream: {outcome: count}}`` with every outcome, for state and tests."""
        return {
            stream: {outcome: self._counts[stream][outcome] for outcome in OUTCOMES}
            for stream in self.streams()
        }

    def table(self, *, title: str = "target-quickbooks results") -> str:
        """A fixed-width text table, one row per stream, for the end-of-run log."""
        header = ["stream", *OUTCOMES]
        rows = [[stream, *(str(count) for count in counts.values())]
                for stream, counts in self.as_dict().items()]
        if not rows:
            rows = [["(no records)", *("0" for _ in OUTCOMES)]]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

        def render(row: list[str]) -> str:
            cells = [row[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
            return "  ".join(cells)

        rule = "-" * len(render(header))
        return "\n".join([title, render(header), rule, *(render(row) for row in rows)])
