"""Run the real executables as child processes and measure each one's peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The project's virtualenv bin directory (where tap-myfulfillment and target-quickbooks live).
VENV_BIN = Path(sys.executable).parent


@dataclass
class ChildRun:
    """Outcome of one child process.

    Attributes:
        returncode: exit status.
        seconds: wall-clock duration.
        peak_rss_mb: the child's own peak resident set size (``VmHWM``), in MiB.
        stderr: the child's log.
    """

    returncode: int
    seconds: float
    peak_rss_mb: float
    stderr: str


def run_child(args: list[str], *, stdin: Path | None, stdout: Path,
              cwd: Path, timeout: float = 1800) -> ChildRun:
    """Run ``args`` with files for stdin/stdout; return its status, time and peak RSS.

    Peak RSS is the child's ``VmHWM`` from ``/proc/<pid>/status``, polled until it
    exits (it only grows, so the last reading is the peak, give or take the last
    20 ms). ``ru_maxrss`` (``wait4``, ``RUSAGE_CHILDREN``) cannot be used: Linux
    carries the parent's resident size across fork+exec into the child's
    ``ru_maxrss``, and this parent holds the emulators.
    """
    stderr_path = stdout.with_suffix(stdout.suffix + ".log")
    started = time.monotonic()
    with (open(stdin, "rb") if stdin else open(os.devnull, "rb")) as fin, \
            open(stdout, "wb") as fout, open(stderr_path, "wb") as ferr:
        proc = subprocess.Popen(args, stdin=fin, stdout=fout, stderr=ferr, cwd=cwd)
        deadline = started + timeout
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status = os.waitpid(proc.pid, 0)
                break
            time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(
        returncode=proc.returncode,
        seconds=time.monotonic() - started,
        peak_rss_mb=peak_kb / 1024.0,
        stderr=stderr_path.read_text(encoding="utf-8", errors="replace"),
    )


def _vm_hwm_kb(pid: int) -> int:
    """Peak resident set size of a running process in KiB (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def write_json(path: Path, value: Any) -> Path:
    """Write ``value`` as JSON and return the path."""
    path.write_text(json.dumps(value, indent=1), encoding="utf-8")
    return path


def last_state(singer_output: Path) -> dict[str, Any]:
    """The last state in a file: a tap's last STATE message, or a target's last state line.

    A tap writes ``{"type": "STATE", "value": ...}`` messages among its records; a
    target writes bare state values (``{"bookmarks": ...}``), one per line.
    """
    state: dict[str, Any] = {}
    with open(singer_output, encoding="utf-8") as lines:
        for line in lines:
            head = line[:40]
            if '"RECORD"' in head or '"SCHEMA"' in head:
                continue
            message = json.loads(line)
            if message.get("type") == "STATE":
                state = message["value"]
            elif "bookmarks" in message:
                state = message
    return state


def filter_streams(source: Path, target: Path, drop: set[str]) -> int:
    """Copy a Singer file without the messages of the ``drop`` streams; return records kept."""
    kept = 0
    with open(source, encoding="utf-8") as fin, open(target, "w", encoding="utf-8") as fout:
        for line in fin:
            message = json.loads(line)
            if message.get("stream") in drop:
                continue
            kept += message.get("type") == "RECORD"
            fout.write(line)
    return kept
