"""Peak RSS of tap-myfulfillment as the target's ID map in its ``--state`` grows.

Meltano hands the whole state to the tap, including the target's entry
(``bookmarks["target-quickbooks"]``, one ``items`` entry per SKU: ~4 MB of JSON
for 100,000 SKUs). The tap does not need that entry, only passes it on, so its
memory should not grow with it. This scenario keeps the catalog small and fixed
and varies only the size of that entry: none, then each of ``profile.tap_sizes``
(10,000 and 100,000 in the full profile).

    .venv/bin/python -m bench.tap_state_memory                  # full sizes
    .venv/bin/python -m bench.tap_state_memory --profile smoke  # tiny sizes

Also checked on every run: the entry reaches the tap's output unchanged, in one
STATE message before the first RECORD (what target-quickbooks relies on).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from myfulfillment_emulator import MyFulfillmentEmulator

from bench.procs import VENV_BIN, ChildRun, last_state, run_child, write_json
from bench.scenarios import FULL, REALM, SMOKE, Profile, mf_emulator, run_tap, tap_config

#: The target's bookmark name in Meltano state.
TARGET_BOOKMARK = "target-quickbooks"
#: Products in the emulated catalog: small, so that only the state's size varies.
CATALOG_PRODUCTS = 1_000


def target_entry_of_size(items: int) -> dict[str, Any]:
    """A target-quickbooks entry whose ``items`` map has ``items`` SKUs (as a real one)."""
    return {"realm_id": REALM, "v": 1,
            "items": {str(1_000_000 + n): f"{900_000 + n}:0:00000000" for n in range(items)},
            "customers": {}, "invoices": {}, "credit_memos": {}}


def entry_passage(singer_output: Path) -> dict[str, Any]:
    """How the target's entry crossed the tap: STATE messages carrying it, and where.

    Returns:
        ``states_with_entry`` (count), ``before_first_record`` (the first one came
        before any RECORD), ``entry`` (its value in the first one) and
        ``output_mb`` (size of the tap's output).
    """
    carrying = 0
    before_first_record = False
    seen_record = False
    entry: Any = None
    with open(singer_output, encoding="utf-8") as lines:
        for line in lines:
            head = line[:40]
            if '"RECORD"' in head:
                seen_record = True
                continue
            if '"STATE"' not in head:
                continue
            bookmarks = json.loads(line)["value"].get("bookmarks") or {}
            if TARGET_BOOKMARK in bookmarks:
                carrying += 1
                if carrying == 1:
                    before_first_record = not seen_record
                    entry = bookmarks[TARGET_BOOKMARK]
    return {"states_with_entry": carrying, "before_first_record": before_first_record,
            "entry": entry, "output_mb": round(singer_output.stat().st_size / 2**20, 2)}


def run_tap_with_state(mf: MyFulfillmentEmulator, workdir: Path, name: str,
                       state: dict[str, Any]) -> tuple[ChildRun, Path, float]:
    """Run the tap with a state file written as Meltano writes it (``indent=2``).

    Returns:
        The run, its Singer output and the state file's size in MiB.

    Raises:
        RuntimeError: the tap failed.
    """
    config = write_json(workdir / f"{name}.tap.json", tap_config(mf))
    state_path = workdir / f"{name}.state.json"
    state_path.write_text(json.dumps(state, indent=2), encoding="utf-8")
    output = workdir / f"{name}.singer"
    run = run_child([str(VENV_BIN / "tap-myfulfillment"), "--config", str(config),
                     "--state", str(state_path)], stdin=None, stdout=output, cwd=workdir)
    if run.returncode != 0:
        raise RuntimeError(f"tap-myfulfillment ({name}) exited {run.returncode}:\n"
                           f"{run.stderr[-4000:]}")
    return run, output, state_path.stat().st_size / 2**20


def tap_state_memory(profile: Profile, workdir: Path) -> dict[str, Any]:
    """Peak RSS of the tap with no target entry in its state, then one per size.

    A first full run gives the tap's own bookmarks; each measured run is an
    incremental run from them, with the target's entry added at
    ``profile.tap_sizes`` SKUs (so the runs differ only in that entry).

    Args:
        profile: the benchmark profile (its ``tap_sizes`` are the entry sizes).
        workdir: where the configs, states and Singer outputs go.

    Returns:
        ``{"catalog_products", "runs": {"none"|str(size): {...}},
        "rss_growth_mb": {str(size): peak RSS minus the run without the entry}}``;
        each run has ``peak_rss_mb``, ``seconds``, ``state_file_mb``,
        ``states_with_entry``, ``entry_before_first_record``, ``entry_verbatim``
        and ``output_mb``.

    Raises:
        RuntimeError: a tap run failed.
    """
    products = min(CATALOG_PRODUCTS, profile.tap_sizes[0])
    runs: dict[str, Any] = {}
    with mf_emulator(profile, products) as mf:
        _, first = run_tap(mf, workdir, "state-memory-first")
        own = last_state(first)
        for size in (None, *profile.tap_sizes):
            label = "none" if size is None else str(size)
            bookmarks = dict(own.get("bookmarks") or {})
            entry = target_entry_of_size(size) if size is not None else None
            if entry is not None:
                bookmarks[TARGET_BOOKMARK] = entry
            run, output, state_mb = run_tap_with_state(mf, workdir, f"state-memory-{label}",
                                                       {"bookmarks": bookmarks})
            passage = entry_passage(output)
            runs[label] = {
                "peak_rss_mb": round(run.peak_rss_mb, 1),
                "seconds": round(run.seconds, 2),
                "state_file_mb": round(state_mb, 2),
                "states_with_entry": passage["states_with_entry"],
                "entry_before_first_record": passage["before_first_record"],
                "entry_verbatim": passage["entry"] == entry,
                "output_mb": passage["output_mb"],
            }
    baseline = runs["none"]["peak_rss_mb"]
    growth = {str(size): round(runs[str(size)]["peak_rss_mb"] - baseline, 1)
              for size in profile.tap_sizes}
    return {"catalog_products": products, "runs": runs, "rss_growth_mb": growth}


def main(argv: list[str] | None = None) -> int:
    """Print the figures of :func:`tap_state_memory` as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("full", "smoke"), default="full")
    parser.add_argument("--workdir", type=Path, help="keep the runs' files here")
    args = parser.parse_args(argv)
    profile = FULL if args.profile == "full" else SMOKE
    with tempfile.TemporaryDirectory(prefix="bench-tap-state-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        figures = tap_state_memory(profile, workdir)
    sys.stdout.write(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
