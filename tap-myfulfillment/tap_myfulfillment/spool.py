"""A disk-backed buffer that gives records back oldest first.

The API is read newest first (``sorts[updated_at]=desc``, so an incremental run
can stop at the bookmark) but records must be emitted oldest first (so the
bookmark only moves forward and an interrupted run resumes correctly). A first
sync of a 100,000-product catalog must not hold every record in memory, so the
records go to an anonymous temporary file as JSON lines; only one file offset and
one timestamp per record (16 bytes) stay in memory.
"""

from __future__ import annotations

import tempfile
import typing as t
from array import array

from singer_sdk.singerlib.json import deserialize_json, serialize_json

if t.TYPE_CHECKING:
    from types import TracebackType


class ReverseSpool:
    """Append records in any order; read them back sorted by a timestamp, oldest first.

    When records were appended newest first (the normal case), reading is a plain
    reverse walk. If the server ignored the requested sort, reading sorts by the
    recorded timestamps instead.
    """

    def __init__(self) -> None:
        """Open the temporary file (deleted automatically when closed)."""
        self._file = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - closed in close()
        self._offsets = array("q")
        self._stamps = array("d")
        self._descending = True

    def __enter__(self) -> ReverseSpool:
        """Use as a context manager so the temporary file is always removed."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close and delete the temporary file."""
        self.close()

    def __len__(self) -> int:
        """Number of records spooled."""
        return len(self._offsets)

    def append(self, item: t.Any, *, stamp: float) -> None:
        """Write one JSON-serialisable item (Decimals stay exact).

        Args:
            item: The item to keep.
            stamp: Its POSIX timestamp, used to order the read-back.
        """
        if self._stamps and stamp > self._stamps[-1]:
            self._descending = False
        self._file.seek(0, 2)
        self._offsets.append(self._file.tell())
        self._stamps.append(stamp)
        self._file.write(serialize_json(item).encode("utf-8") + b"\n")

    def oldest_first(self) -> t.Iterator[t.Any]:
        """Yield the items by ascending timestamp.

        Yields:
            Each spooled item once.
        """
        if self._descending:
            order: t.Iterable[int] = range(len(self._offsets) - 1, -1, -1)
        else:
            order = sorted(range(len(self._offsets)), key=self._stamps.__getitem__)
        for index in order:
            self._file.seek(self._offsets[index])
            yield deserialize_json(self._file.readline().decode("utf-8"))

    def close(self) -> None:
        """Delete the temporary file."""
        self._file.close()
