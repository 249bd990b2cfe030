"""Customer benchmark: opening a customer with 10,000 events, and searching
100,000 customers.

Run from the project root with the project's Python::

    python bench/bench_customers.py [--customers 100000] [--events 10000] [--keep DIR]

In one run, on SQLite:

1. time from process start to the first painted customer screen
   (``backoffice --customer CODE`` in an 80x24 pty, until the timeline shows
   its event count and its first event) for a customer with no events in a
   database with no others (the baseline) and for a customer with
   ``--events`` events among ``--customers`` customers; target: at most 1.5x
   the baseline;
2. query time of customer search (code, name or reading, any width or kana)
   over ``--customers`` customers: median and p95 of 20 calls per query;
   target: p95 at most 50 ms.

Figures print as a table, then one JSON line.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.cells import set_cell_size

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.tui.pty_session import PtySession

from backoffice_tui.demo.load import load_base, load_customers
from backoffice_tui.services.connection import Database, open_database
from backoffice_tui.services.customers.search import list_customers
from backoffice_tui.services.events import record_event

PAINT_TARGET_RATIO = 1.5
SEARCH_TARGET_MS = 50.0
USER = "yamamoto"
QUIET_CUSTOMER = "C-QUIET"
BUSY_CUSTOMER = "C-BUSY"
SEARCHES = ["やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "G00012", "ｇ０００１２", "Northwind", "株式会社", "zzzz"]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "backoffice_tui.cli.main", *args]


def add_events(db: Database, customer_code: str, count: int) -> None:
    from sqlalchemy import select

    from backoffice_tui.store.models import Customer

    start = datetime.now(UTC) - timedelta(days=365)
    with db.write() as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.code == customer_code))
        for n in range(count):
            record_event(
                session,
                "bench",
                start + timedelta(minutes=50 * n),
                entity="customer",
                entity_id=customer_id,
                kind="customer.call",
                customer_id=customer_id,
                summary=f"call log {n}: spoke with the site manager about the rollout",
            )


def prepare(folder: Path, customers: int, events: int) -> tuple[Path, Path]:
    quiet, busy = folder / "customers-quiet.db", folder / "customers-busy.db"
    if not quiet.exists():
        subprocess.run(
            cli("--database", f"sqlite:///{quiet}", "db", "upgrade"),
            check=True,
            capture_output=True,
        )
        db = open_database(f"sqlite:///{quiet}")
        load_base(db, "bench-operator")
        load_customers(db, [{"code": QUIET_CUSTOMER, "name": "Quiet Customer Ltd"}])
        db.dispose()
    if not busy.exists():
        url = f"sqlite:///{busy}"
        subprocess.run(cli("--database", url, "db", "upgrade"), check=True, capture_output=True)
        subprocess.run(
            cli(
                "--database",
                url,
                "demo",
                "generate",
                "--customers",
                str(customers),
                "--work-items",
                "20000",
            ),
            check=True,
            capture_output=True,
        )
        db = open_database(url)
        load_customers(
            db, [{"code": BUSY_CUSTOMER, "name": "株式会社ビジー商事", "reading": "びじーしょうじ"}]
        )
        add_events(db, BUSY_CUSTOMER, events)
        db.dispose()
    return quiet, busy


def first_paint(database: Path, code: str, markers: tuple[bytes, ...], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        session = PtySession(
            ["--database", f"sqlite:///{database}", "--user", USER, "--customer", code],
            env={"BACKOFFICE_CONFIG": "/nonexistent/config.toml"},
        )
        try:
            times.append(session.wait_for(*markers))
        finally:
            session.close()
    return times


def search_times(database: Path, repeat: int) -> dict[str, tuple[int, float, float]]:
    db = open_database(f"sqlite:///{database}")
    results = {}
    for query in SEARCHES:
        rows = list_customers(db, query, 50)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            list_customers(db, query, 50)
            samples.append(time.perf_counter() - started)
        samples.sort()
        p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
        results[query] = (len(rows), statistics.median(samples) * 1000, p95 * 1000)
    db.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="backoffice-customer-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        quiet, busy = prepare(folder, args.customers, args.events)
        print(f"databases ready ({time.perf_counter() - started:.1f} s)")
        baseline = first_paint(quiet, QUIET_CUSTOMER, (b"0 events",), args.runs)
        loaded = first_paint(
            busy, BUSY_CUSTOMER, (f"{args.events:,} events".encode(), b"call log"), args.runs
        )
        searches = search_times(busy, 20)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)

    base, big = statistics.median(baseline), statistics.median(loaded)
    print("\nfirst painted customer screen, from process start (80x24 pty)")
    print(
        f"  no events (baseline)     {base:.3f} s  runs " + ", ".join(f"{t:.2f}" for t in baseline)
    )
    print(
        f"  {args.events:,} events          {big:.3f} s  runs "
        + ", ".join(f"{t:.2f}" for t in loaded)
        + f"  ({big / base:.2f}x baseline)"
    )
    print(f"\ncustomer search over {args.customers:,} customers (query time, 20 calls)")
    print(f"  {'search':<14} {'rows':>4} {'median ms':>10} {'p95 ms':>8}")
    for query, (rows, median, p95) in searches.items():
        print(f"  {set_cell_size(query, 14)} {rows:>4} {median:>10.1f} {p95:>8.1f}")
    worst = max(p95 for _, _, p95 in searches.values())
    checks = {
        f"first paint with {args.events:,} events <= {PAINT_TARGET_RATIO}x baseline": big / base
        <= PAINT_TARGET_RATIO,
        f"search p95 <= {SEARCH_TARGET_MS:.0f} ms": worst <= SEARCH_TARGET_MS,
    }
    print()
    for check, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {check}")
    print(
        json.dumps(
            {
                "baseline_s": base,
                "loaded_s": big,
                "ratio": big / base,
                "search_worst_p95_ms": worst,
                "pass": all(checks.values()),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
