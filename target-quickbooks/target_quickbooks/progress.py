"""A progress line at a steady interval, so a long run does not look stuck.

A first sync of a large catalogue runs for hours at QuickBooks' limits, and the
target logs nothing between batches while it waits for them. Every
``progress_interval_seconds`` it says how far each stream got::

    Progress: products 1,200 written of 5,000 received so far; waiting for
    QuickBooks' limits (41 s of waits since the last line).

"Received" is what the tap has sent so far: the target cannot know the tap's
total. "Written" is what QuickBooks confirmed (created, updated or unchanged).
The wait is the rate limiter's (``qbo/ratelimit.py``, ``qbo/shared_limit.py``).
The line comes from a background thread, so it also comes while the main thread
sleeps in the limiter.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from target_quickbooks.results import STREAM_ORDER, RunResults

#: Outcomes that count as written (QuickBooks holds the record as sent).
WRITTEN = ("created", "updated", "unchanged")


class ProgressReporter:
    """Counts received records and logs a progress line every ``interval`` seconds."""

    def __init__(
        self,
        *,
        interval: float,
        results: RunResults,
        waited: Callable[[], float],
        log: Callable[[str], None],
        dry_run: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Nothing is logged before :meth:`start` (or :meth:`report_if_due` in tests).

        Args:
            interval: Seconds between lines; 0 or less: no line at all.
            results: This run's outcomes (read, never changed).
            waited: Total seconds the rate limiter has made requests wait so far.
            log: Where the line goes (the target's logger).
            dry_run: Say that nothing is really written.
            clock: Monotonic clock (tests pass a fake one).
        """
        self.interval = interval
        self._results = results
        self._waited = waited
        self._log = log
        self._dry_run = dry_run
        self._clock = clock
        self.received: Counter[str] = Counter()
        self._last_time = clock()
        self._last_waited = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add_received(self, stream: str) -> None:
        """Count one record of ``stream`` received from the tap; start the clock at the first."""
        self.received[stream] += 1
        if self._thread is None and self.interval > 0:
            self.start()

    def line(self) -> str | None:
        """The progress line now, or None before the first record."""
        streams = [s for s in STREAM_ORDER if self.received[s]]
        streams += sorted(set(self.received) - set(STREAM_ORDER))
        if not streams:
            return None
        parts = []
        for stream in streams:
            written = sum(self._results.get(stream, outcome) for outcome in WRITTEN)
            parts.append(f"{stream} {written:,} written of {self.received[stream]:,} "
                         "received so far")
        text = ("Progress (dry run, nothing is sent): " if self._dry_run else "Progress: ") + \
            ", ".join(parts)
        waited = self._waited()
        recent = waited - self._last_waited
        self._last_waited = waited
        if recent > 0:
            text += (f"; waiting for QuickBooks' limits ({recent:,.0f} s of waits since the "
                     "last line)")
        return text + "."

    def report_if_due(self) -> bool:
        """Log the line if ``interval`` seconds have passed since the last one."""
        now = self._clock()
        if self.interval <= 0 or now - self._last_time < self.interval:
            return False
        self._last_time = now
        try:
            text = self.line()
        except RuntimeError:  # a new stream's counter appeared mid-read (main thread): next time
            return False
        if text is not None:
            self._log(text)
        return text is not None

    def start(self) -> None:
        """Log from a daemon thread from now on (it stops with :meth:`stop` or the process)."""
        self._last_time = self._clock()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="target-quickbooks-progress")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(min(self.interval, 1.0)):
            self.report_if_due()

    def stop(self) -> None:
        """No more lines (the end of the run has its own summary)."""
        self._stop.set()
