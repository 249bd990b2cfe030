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
import contextlib
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

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
        from backoffice_tui.services.connection import open_database
        from backoffice_tui.services.demo import load_base

        db = open_database(url)
        load_base(db, "bench-operator")
        db.dispose()


class PtySession:
    """The console running in a real pseudo-terminal."""

    def __init__(self, database: Path, columns: int = 80, rows: int = 24) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": str(columns),
            "LINES": str(rows),
            "BACKOFFICE_CONFIG": "/nonexistent/config.toml",
        }
        env.pop("NO_COLOR", None)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            cli("--database", f"sqlite:///{database}", "--user", USER, "--screen", "queue"),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()

    def read(self, timeout: float) -> bytes:
        """Everything written within ``timeout`` seconds."""
        chunk = bytearray()
        deadline = time.perf_counter() + timeout
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                break
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            chunk += data
        self.output += chunk
        return bytes(chunk)

    def wait_for(self, *markers: bytes, timeout: float = 60.0) -> float:
        """Seconds from process start until every marker has been written."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if all(m in self.output for m in markers):
                return time.perf_counter() - self.started
            self.read(0.01)
        raise TimeoutError(f"markers {markers} not seen; got {bytes(self.output[-400:])!r}")

    def quiet(self, seconds: float = 0.5, limit: float = 10.0) -> None:
        """Wait until nothing has been written for ``seconds``."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline and self.read(seconds):
            pass

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def peak_memory_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(10)
        os.close(self.master)


def first_paint(database: Path, has_items: bool, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        session = PtySession(database)
        try:
            markers = (b" items", b"GO-") if has_items else (b"0 items",)
            times.append(session.wait_for(*markers))
        finally:
            session.close()
    return times


def timed_key(session: PtySession, key: bytes, settle: float = 0.3) -> tuple[float, int]:
    """Send a key; seconds until the last byte of the screen update, and its size."""
    session.read(0.05)
    sent = time.perf_counter()
    session.send(key)
    last, size = sent, 0
    while True:
        ready, _, _ = select.select([session.master], [], [], settle)
        if not ready:
            break
        data = os.read(session.master, 65536)
        session.output += data
        size += len(data)
        last = time.perf_counter()
    return last - sent, size


def terminal_costs(database: Path) -> dict[str, float]:
    session = PtySession(database)
    try:
        session.wait_for(b" items", b"GO-")
        session.quiet()
        moves = [timed_key(session, b"j") for _ in range(10)]  # within the first screen
        scrolls = [timed_key(session, b"j") for _ in range(30)]  # these scroll the list
        idle = len(session.read(5.0))
        pages = [timed_key(session, b"\x1b[6~") for _ in range(20)]  # page down
        end = timed_key(session, b"G")
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
