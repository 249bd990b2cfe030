"""Console benchmark: first paint, cursor and page moves, memory and terminal
output, measured through a real pseudo-terminal.

Run from the project root with the project's Python::

    python bench/bench_console.py [--sizes 1000,100000,1000000] [--keep DIR]

In one run it measures, on SQLite:

1. time from process start to the first painted queue screen
   (``backoffice --screen queue`` in an 80x24 pty, until the status line shows
   the item count and, when there are items, a row is drawn) for an empty
   database (the baseline) and for each size; target at 1,000,000 items:
   at most 1.5x the baseline;
2. at the largest size, in the same pty: bytes written for one cursor move
   (target at most 1 KB), bytes written in 5 idle seconds (target 0), and the
   process's peak memory (VmHWM) after some paging (target at most 80 MiB);
3. at the largest size, in the same pty: time from a key press to the last
   byte of the screen update, for a cursor move (target at most 30 ms), a page
   down (which may read a new window from the database) and End.

Figures print as a table, then one JSON line. Databases are generated with
``backoffice demo generate`` in a temporary directory, or reused from
``--keep DIR``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.tui.pty_session import PtySession

PAINT_TARGET_RATIO = 1.5
CURSOR_TARGET_MS = 30.0
MEMORY_TARGET_MIB = 80.0
MOVE_BYTES_TARGET = 1024
USER = "yamamoto"  # a build operator in every generated database


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "backoffice_tui.cli.main", *args]


def prepare(path: Path, work_items: int) -> None:
    """A database with the organisation and templates and ``work_items`` items."""
    if path.exists():
        return
    url = f"sqlite:///{path}"
    subprocess.run(cli("--database", url, "db", "upgrade"), check=True, capture_output=True)
    if work_items:
        subprocess.run(
            cli(
                "--database",
                url,
                "demo",
                "generate",
                "--customers",
                str(max(10, work_items // 50)),
                "--work-items",
                str(work_items),
            ),
            check=True,
            capture_output=True,
        )
    else:
        from backoffice_tui.demo.load import load_base
        from backoffice_tui.services.connection import open_database

        db = open_database(url)
        load_base(db, "bench-operator")
        db.dispose()


def console_session(database: Path) -> PtySession:
    return PtySession(
        ["--database", f"sqlite:///{database}", "--user", USER, "--screen", "queue"],
        env={"BACKOFFICE_CONFIG": "/nonexistent/config.toml"},
    )


def first_paint(database: Path, has_items: bool, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        session = console_session(database)
        try:
            markers = (b" items", b"GO-") if has_items else (b"0 items",)
            times.append(session.wait_for(*markers))
        finally:
            session.close()
    return times


def terminal_costs(database: Path) -> dict[str, float]:
    session = console_session(database)
    try:
        session.wait_for(b" items", b"GO-")
        session.quiet()
        moves = [session.timed_key(b"j") for _ in range(10)]  # within the first screen
        scrolls = [session.timed_key(b"j") for _ in range(30)]  # these scroll the list
        idle = len(session.read(5.0))
        pages = [session.timed_key(b"\x1b[6~") for _ in range(20)]  # page down
        end = session.timed_key(b"G")
        session.quiet()
        memory = session.peak_memory_mib()
    finally:
        session.close()
    move_times = sorted(t for t, _ in moves + scrolls)
    page_times = sorted(t for t, _ in pages)
    return {
        "move_ms_median": statistics.median(move_times) * 1000,
        "move_ms_p95": move_times[int(len(move_times) * 0.95) - 1] * 1000,
        "move_bytes": statistics.median(n for _, n in moves),
        "scroll_bytes": statistics.median(n for _, n in scrolls),
        "page_ms_median": statistics.median(page_times) * 1000,
        "page_ms_p95": page_times[int(len(page_times) * 0.95) - 1] * 1000,
        "end_ms": end[0] * 1000,
        "idle_bytes": idle,
        "peak_mib": memory,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--runs", type=int, default=5, help="first-paint runs per database")
    parser.add_argument("--keep", type=Path, help="reuse or keep databases in this folder")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="backoffice-console-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        databases = {0: folder / "console-0.db"}
        databases.update({n: folder / f"console-{n}.db" for n in sizes})
        for size, path in databases.items():
            started = time.perf_counter()
            prepare(path, size)
            print(
                f"database with {size:,} work items ready ({time.perf_counter() - started:.1f} s)"
            )
        paints = {size: first_paint(path, size > 0, args.runs) for size, path in databases.items()}
        baseline = statistics.median(paints[0])
        largest = max(sizes)
        costs = terminal_costs(databases[largest])
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)

    print("\nfirst painted queue screen, from process start (80x24 pty, median of runs)")
    print(f"{'work items':>12}  {'seconds':>8}  {'vs empty':>8}  runs")
    for size, times in paints.items():
        median = statistics.median(times)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"{size:>12,}  {median:>8.3f}  {median / baseline:>7.2f}x  {runs}")
    ratio = statistics.median(paints[largest]) / baseline
    checks = {
        f"first paint at {largest:,} <= {PAINT_TARGET_RATIO}x empty": ratio <= PAINT_TARGET_RATIO,
        f"cursor move <= {CURSOR_TARGET_MS:.0f} ms (p95)": costs["move_ms_p95"] <= CURSOR_TARGET_MS,
        f"bytes per cursor move <= {MOVE_BYTES_TARGET}": costs["move_bytes"] <= MOVE_BYTES_TARGET,
        "bytes in 5 idle seconds == 0": costs["idle_bytes"] == 0,
        f"peak memory <= {MEMORY_TARGET_MIB:.0f} MiB": costs["peak_mib"] <= MEMORY_TARGET_MIB,
    }
    print(f"\nat {largest:,} work items")
    print(
        f"  cursor move      median {costs['move_ms_median']:.1f} ms, "
        f"p95 {costs['move_ms_p95']:.1f} ms (key sent to last byte drawn)"
    )
    print(
        f"  page down        median {costs['page_ms_median']:.1f} ms, "
        f"p95 {costs['page_ms_p95']:.1f} ms (including any window read)"
    )
    print(f"  one-line scroll  {costs['scroll_bytes']:.0f} bytes (a move past the last line)")
    print(f"  end (last row)   {costs['end_ms']:.1f} ms")
    print(f"  one cursor move  {costs['move_bytes']:.0f} bytes written (within the screen)")
    print(f"  5 idle seconds   {costs['idle_bytes']:.0f} bytes written")
    print(f"  peak memory      {costs['peak_mib']:.1f} MiB (VmHWM after paging and End)")
    print()
    for check, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {check}")
    print(
        json.dumps(
            {
                "first_paint_s": {str(k): statistics.median(v) for k, v in paints.items()},
                "ratio_largest": ratio,
                **costs,
                "pass": all(checks.values()),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
