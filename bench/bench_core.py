"""Core benchmark for backoffice-tui: bulk generation, queue and timeline queries.

Run from the project root with the project's Python::

    python bench/bench_core.py [--work-items 1000000] [--customers 20000] [--keep DIR]

In one run it measures, on SQLite:

1. a baseline on an EMPTY database: ``backoffice db upgrade`` and
   ``backoffice queue list --limit 50 --json`` as subprocesses, so that the
   command-line figures below are compared with a baseline taken on the same
   machine at the same moment;
2. ``backoffice demo generate --customers C --work-items N`` (wall time of the
   subprocess; target: under 120 s for N >= 1,000,000);
3. query time in-process (``list_queue`` per team, its second page through
   the ``after=(due, id)`` keyset, overdue items per team, one busy
   assignee's items, and ``customer_timeline`` for the customer with the most
   events and for a typical one, oldest first and newest 50 first): one
   warm-up call, then the median and p95 over ``--repeat`` calls; target:
   p95 under 100 ms for every query;
4. ``queue list --team build --limit 50 --json`` and
   ``customers timeline CODE --json`` end to end, next to the baseline;
5. ``EXPLAIN QUERY PLAN`` of the exact statements the services issue (caught
   as they run), with the index each one uses and whether SQLite has to sort.

Figures are printed as plain tables, followed by one JSON line that sums up
the run. The databases live in a temporary directory, or in ``--keep DIR``;
with ``--keep`` an existing generated database there is reused and the
generation step skipped, which makes it quick to iterate on indexes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from report import heading, ms, p95, table, verdict
from sqlalchemy import event, text

from backoffice_tui.domain.statuses import OPEN_STATUSES
from backoffice_tui.services.connection import Database, open_database
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.work.queue import (
    QueueFilter,
    QueueRow,
    QueueSort,
    count_queue,
    list_queue,
)

TEAMS = ("sales-admin", "design", "build", "provisioning", "operations", "maintenance")
GENERATE_TARGET_S = 120.0
GENERATE_TARGET_MIN_ITEMS = 1_000_000
QUERY_TARGET_MS = 100.0
CLI_RUNS = 5
FIRST_PAINT_ROWS = 100  # the console's first window
FIRST_PAINT_SORTS = (
    (QueueSort.DUE, False),  # the baseline: the queue as it opens
    (QueueSort.DUE, True),
    (QueueSort.PRIORITY, False),
    (QueueSort.STATUS, False),
    (QueueSort.CUSTOMER, False),
    (QueueSort.CUSTOMER, True),
    (QueueSort.ASSIGNEE, False),
    (QueueSort.ID, True),
)
BIG_DB = "big.db"
EMPTY_DB = "empty.db"


# --------------------------------------------------------------------------
# Output helpers


# --------------------------------------------------------------------------
# The command line as a subprocess


@dataclass
class Cli:
    env: dict[str, str]

    def command(self, url: str, *args: str) -> list[str]:
        return [sys.executable, "-m", "backoffice_tui.cli.main", "--database", url, *args]

    def run(self, url: str, *args: str) -> tuple[float, str]:
        """Run one command; returns (wall seconds, stdout). Stops the benchmark on failure."""
        cmd = self.command(url, *args)
        started = time.perf_counter()
        done = subprocess.run(cmd, env=self.env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            print(f"command failed ({done.returncode}): {' '.join(cmd)}")
            print(done.stdout)
            print(done.stderr)
            raise SystemExit(2)
        return elapsed, done.stdout

    def median_of(self, runs: int, url: str, *args: str) -> tuple[float, list[float], str]:
        times: list[float] = []
        out = ""
        for _ in range(runs):
            elapsed, out = self.run(url, *args)
            times.append(elapsed)
        return statistics.median(times), times, out


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def count_work_items(path: Path) -> int:
    """Work items in an existing database file, or 0 if it is missing or unusable."""
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM work_items").fetchone()[0])
    except sqlite3.Error:
        return 0


# --------------------------------------------------------------------------
# In-process query timing and plans


@dataclass
class Statement:
    sql: str
    parameters: Any


@dataclass
class QueryResult:
    name: str
    rows: int
    median_s: float
    p95_s: float
    plan: list[str] = field(default_factory=list)
    index: str = ""
    sorts: bool = False
    scans: bool = False

    @property
    def ok(self) -> bool:
        return self.p95_s * 1000 < QUERY_TARGET_MS


class StatementCatcher:
    """Records the statements the engine sends while it is switched on."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.statements: list[Statement] = []
        self.active = False
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if self.active:
            self.statements.append(Statement(statement, parameters))

    def catch(self, call: Callable[[], object]) -> tuple[object, list[Statement]]:
        self.statements = []
        self.active = True
        try:
            result = call()
        finally:
            self.active = False
        return result, list(self.statements)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def explain(db: Database, statement: Statement) -> list[tuple[int, int, str]]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement.sql, statement.parameters)
        return [(int(r[0]), int(r[1]), str(r[3])) for r in rows]


def plan_lines(plan: list[tuple[int, int, str]]) -> list[str]:
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, detail in plan:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


def summarise_plan(plan: list[tuple[int, int, str]], table_name: str) -> tuple[str, bool, bool]:
    """(indexes searched on the driving table, sorts with a temp b-tree, scans the table)."""
    indexes: list[str] = []
    scans = False
    for _node, _parent, detail in plan:
        words = detail.split()
        if len(words) < 2 or words[1] != table_name:
            continue
        if "INDEX" in words:
            name = words[words.index("INDEX") + 1]
        elif "PRIMARY" in words and "KEY" in words:
            name = "PRIMARY KEY"
        else:
            name = ""
            scans = scans or words[0] == "SCAN"
        if name and name not in indexes:
            indexes.append(name)
    named = [i for i in indexes if i != "PRIMARY KEY"] or indexes
    sorts = any("TEMP B-TREE" in detail for _n, _p, detail in plan)
    return "+".join(named) or ("(full scan)" if scans else "(none)"), sorts, scans


def time_query(
    db: Database,
    catcher: StatementCatcher,
    name: str,
    call: Callable[[], Sequence[object]],
    main_table: str,
    repeat: int,
) -> QueryResult:
    # warm-up, catching the statements to explain them afterwards
    rows, statements = catcher.catch(call)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    result = QueryResult(
        name=name,
        rows=len(rows),  # type: ignore[arg-type]
        median_s=statistics.median(samples),
        p95_s=p95(samples),
    )
    main = [s for s in statements if main_table in s.sql]
    ordered = [s for s in main if "ORDER BY" in s.sql]  # the read that picks the rows
    if main and db.dialect == "sqlite":
        plan = explain(db, (ordered or main)[-1])
        result.plan = plan_lines(plan)
        result.index, result.sorts, result.scans = summarise_plan(plan, main_table)
    return result


def pick_subjects(db: Database) -> dict[str, Any]:
    """The busiest customer, a typical customer and a busy assignee."""
    open_statuses = ", ".join(f"'{s.value}'" for s in OPEN_STATUSES)
    with db.read() as s:
        busiest = s.execute(
            text(
                "SELECT c.code, count(*) AS n FROM events e "
                "JOIN customers c ON c.id = e.customer_id "
                "GROUP BY e.customer_id ORDER BY n DESC, c.code LIMIT 1"
            )
        ).one()
        typical = s.execute(
            text(
                "WITH per AS (SELECT customer_id, count(*) AS n FROM events "
                "WHERE customer_id IS NOT NULL GROUP BY customer_id) "
                "SELECT c.code, per.n FROM per JOIN customers c ON c.id = per.customer_id "
                "ORDER BY per.n, c.code LIMIT 1 OFFSET (SELECT count(*) / 2 FROM per)"
            )
        ).one()
        assignee = s.execute(
            text(
                "SELECT u.login, count(*) AS n FROM work_items w "
                "JOIN users u ON u.id = w.assignee_id "
                f"WHERE w.status IN ({open_statuses}) "
                "GROUP BY u.login ORDER BY n DESC, u.login LIMIT 1"
            )
        ).one()
        counts = {
            table_name: int(s.execute(text(f"SELECT count(*) FROM {table_name}")).scalar_one())
            for table_name in ("customers", "orders", "work_items", "events")
        }
        has_stats = bool(
            s.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            ).scalar_one()
        )
    return {
        "busiest": (busiest[0], int(busiest[1])),
        "typical": (typical[0], int(typical[1])),
        "assignee": (assignee[0], int(assignee[1])),
        "counts": counts,
        "has_stats": has_stats,
    }


def measure_queries(db: Database, subjects: dict[str, Any], repeat: int) -> list[QueryResult]:
    today = date.today()
    catcher = StatementCatcher(db)
    results: list[QueryResult] = []

    def queue(name: str, queue_filter: QueueFilter, after: tuple[date, int] | None = None) -> None:
        def call() -> list[QueueRow]:
            return list_queue(db, None, queue_filter, today=today, limit=50, after=after)  # type: ignore[arg-type]

        results.append(time_query(db, catcher, name, call, "work_items", repeat))

    try:
        queue("queue (all open)", QueueFilter())
        for team in TEAMS:
            first = list_queue(db, None, QueueFilter(team=team), today=today, limit=50)  # type: ignore[arg-type]
            queue(f"queue team={team}", QueueFilter(team=team))
            if first:
                queue(
                    f"queue team={team} page 2",
                    QueueFilter(team=team),
                    after=(first[-1].due, first[-1].id),
                )
            queue(f"queue team={team} overdue", QueueFilter(team=team, overdue=True))
        login, _n = subjects["assignee"]
        queue(f"queue assignee={login}", QueueFilter(assignee=login))

        for label, (code, _events) in (
            ("busiest", subjects["busiest"]),
            ("typical", subjects["typical"]),
        ):
            results.append(
                time_query(
                    db,
                    catcher,
                    f"timeline {label} {code}",
                    lambda code=code: customer_timeline(db, code),
                    "events",
                    repeat,
                )
            )
        code = subjects["busiest"][0]
        results.append(
            time_query(
                db,
                catcher,
                f"timeline busiest {code} newest 50",
                lambda: customer_timeline(db, code, newest_first=True, limit=50),
                "events",
                repeat,
            )
        )
    finally:
        catcher.close()
    return results


@dataclass
class FirstPaint:
    sort: str
    window_s: float  # the first window of rows
    total_s: float  # the window and the count, as the console reads them


def measure_first_paint(db: Database, repeat: int) -> list[FirstPaint]:
    """The console's first paint of the whole open queue in each sort order:
    its first window and the count (medians after one warm-up)."""
    today = date.today()
    results = []
    for sort, descending in FIRST_PAINT_SORTS:

        def window(sort: QueueSort = sort, descending: bool = descending) -> list[QueueRow]:
            return list_queue(
                db,
                None,
                QueueFilter(),
                today=today,
                limit=FIRST_PAINT_ROWS,
                sort=sort,
                descending=descending,
            )

        window()
        windows, totals = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            window()
            windows.append(time.perf_counter() - started)
            count_queue(db, None, QueueFilter(), today=today)
            totals.append(time.perf_counter() - started)
        label = f"{sort.label}{' (reversed)' if descending else ''}"
        results.append(FirstPaint(label, statistics.median(windows), statistics.median(totals)))
    return results


# --------------------------------------------------------------------------
# The run


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work-items", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="keep the databases in DIR; reuse a generated database found there",
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per query")
    parser.add_argument("--seed", type=int, default=1, help="seed for demo generate")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        work_dir = args.keep.resolve()
        cleanup: Callable[[], None] = lambda: None  # noqa: E731
    else:
        work_dir = Path(tempfile.mkdtemp(prefix="backoffice-bench-"))
        cleanup = lambda: shutil.rmtree(work_dir, ignore_errors=True)  # noqa: E731
    try:
        return run(args, work_dir)
    finally:
        cleanup()


def run(args: argparse.Namespace, work_dir: Path) -> int:
    env = dict(os.environ)
    # a config file that does not exist: built-in defaults, whatever the user has configured
    env["BACKOFFICE_CONFIG"] = str(work_dir / "no-config.toml")
    env.pop("BACKOFFICE_DATABASE_URL", None)
    cli = Cli(env)

    print("backoffice-tui core benchmark")
    table(
        ("setting", "value"),
        [
            ("python", f"{platform.python_version()} ({sys.executable})"),
            ("sqlite", sqlite3.sqlite_version),
            ("cpus", os.cpu_count()),
            ("platform", platform.platform()),
            ("work dir", f"{work_dir}{' (kept)' if args.keep else ' (temporary)'}"),
            ("requested", f"{args.customers:,} customers, {args.work_items:,} work items"),
            ("repetitions", f"{args.repeat} timed calls per query after 1 warm-up"),
        ],
    )

    # 1. baseline on an empty database
    heading("1. baseline: empty database (subprocess)")
    empty = work_dir / EMPTY_DB
    remove_sqlite(empty)
    empty_url = sqlite_url(empty)
    upgrade_s, _ = cli.run(empty_url, "db", "upgrade")
    base_list_s, base_list_all, _ = cli.median_of(
        CLI_RUNS, empty_url, "queue", "list", "--limit", "50", "--json"
    )
    table(
        ("command", "seconds", "runs"),
        [
            ("db upgrade", f"{upgrade_s:.3f}", "1"),
            (
                "queue list --limit 50 --json",
                f"{base_list_s:.3f}",
                f"median of {CLI_RUNS}: " + ", ".join(f"{t:.3f}" for t in base_list_all),
            ),
        ],
    )

    # 2. generation
    heading("2. demo generate (subprocess, wall time)")
    big = work_dir / BIG_DB
    big_url = sqlite_url(big)
    existing = count_work_items(big) if args.keep else 0
    generate_s: float | None = None
    generate_ok: bool | None = None
    generated: dict[str, Any] = {}
    if existing:
        print(f"reusing {big} ({existing:,} work items); generation skipped")
    else:
        remove_sqlite(big)
        big_upgrade_s, _ = cli.run(big_url, "db", "upgrade")
        generate_s, out = cli.run(
            big_url,
            "demo",
            "generate",
            "--customers",
            str(args.customers),
            "--work-items",
            str(args.work_items),
            "--seed",
            str(args.seed),
            "--json",
        )
        generated = json.loads(out)
        if args.work_items >= GENERATE_TARGET_MIN_ITEMS:
            generate_ok = generate_s < GENERATE_TARGET_S
            target = f"< {GENERATE_TARGET_S:.0f} s: {verdict(generate_ok)}"
        else:
            target = f"n/a (target applies at >= {GENERATE_TARGET_MIN_ITEMS:,} work items)"
        table(
            ("step", "seconds", "items/s", "target"),
            [
                ("db upgrade", f"{big_upgrade_s:.3f}", "", ""),
                (
                    "demo generate",
                    f"{generate_s:.1f}",
                    f"{generated['work_items'] / generate_s:,.0f}",
                    target,
                ),
                ("  (inside the command)", f"{generated['seconds']:.1f}", "", ""),
            ],
        )
    size_mb = (
        sum(
            Path(f"{big}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{big}{suffix}").exists()
        )
        / 1e6
    )

    # 3. in-process query times
    db = open_database(big_url)
    try:
        subjects = pick_subjects(db)
        counts = subjects["counts"]
        print()
        table(
            ("database", "value"),
            [
                ("file", f"{big} ({size_mb:,.0f} MB with WAL)"),
                ("customers", f"{counts['customers']:,}"),
                ("orders", f"{counts['orders']:,}"),
                ("work items", f"{counts['work_items']:,}"),
                ("events", f"{counts['events']:,}"),
                ("busiest customer", f"{subjects['busiest'][0]} ({subjects['busiest'][1]} events)"),
                ("typical customer", f"{subjects['typical'][0]} ({subjects['typical'][1]} events)"),
                (
                    "busy assignee",
                    f"{subjects['assignee'][0]} ({subjects['assignee'][1]:,} open items)",
                ),
                (
                    "planner statistics",
                    "sqlite_stat1 present" if subjects["has_stats"] else "none (no ANALYZE)",
                ),
            ],
        )
        heading(
            f"3. query time, in-process (median and p95 of {args.repeat}; "
            f"target p95 < {QUERY_TARGET_MS:.0f} ms)"
        )
        results = measure_queries(db, subjects, args.repeat)
        first_paint = measure_first_paint(db, args.repeat)
    finally:
        db.dispose()
    table(
        ("query", "rows", "median ms", "p95 ms", "index (driving table)", "sort", "result"),
        [
            (
                r.name,
                r.rows,
                ms(r.median_s),
                ms(r.p95_s),
                r.index,
                "temp b-tree" if r.sorts else "-",
                verdict(r.ok),
            )
            for r in results
        ],
    )

    heading(
        f"3b. queue first paint by sort order: the first {FIRST_PAINT_ROWS} rows and the count"
        f" (median of {args.repeat})"
    )
    baseline = first_paint[0]
    table(
        ("sorted by", "window ms", "window + count ms", "vs unsorted baseline"),
        [
            (
                f.sort,
                ms(f.window_s),
                ms(f.total_s),
                f"{f.total_s / baseline.total_s:.2f}x",
            )
            for f in first_paint
        ],
    )

    # 4. the command line end to end
    heading(f"4. command line end to end (subprocess, median of {CLI_RUNS})")
    busiest_code = subjects["busiest"][0]
    cli_cases = [
        (
            "queue list --team build --limit 50 --json",
            ("queue", "list", "--team", "build", "--limit", "50", "--json"),
        ),
        (
            f"customers timeline {busiest_code} --json",
            ("customers", "timeline", busiest_code, "--json"),
        ),
    ]
    cli_results = []
    for label, cli_args in cli_cases:
        median_s, all_s, out = cli.median_of(CLI_RUNS, big_url, *cli_args)
        cli_results.append((label, median_s, all_s, len(json.loads(out))))
    table(
        ("command", "seconds", "vs baseline", "rows", "runs"),
        [
            (
                "baseline: queue list --limit 50 --json (empty db)",
                f"{base_list_s:.3f}",
                "1.00x",
                0,
                "",
            )
        ]
        + [
            (
                label,
                f"{median_s:.3f}",
                f"{median_s / base_list_s:.2f}x",
                rows,
                ", ".join(f"{t:.3f}" for t in all_s),
            )
            for label, median_s, all_s, rows in cli_results
        ],
    )

    # 5. query plans
    heading("5. query plans (EXPLAIN QUERY PLAN of the statements the services ran)")
    seen: dict[tuple[str, ...], list[str]] = {}
    for r in results:
        seen.setdefault(tuple(r.plan), []).append(r.name)
    for plan, names in seen.items():
        print()
        print("; ".join(names))
        first = next(r for r in results if r.name == names[0])
        flags = [f"index: {first.index}"]
        if first.sorts:
            flags.append("sorts in a temp b-tree (USE TEMP B-TREE FOR ORDER BY)")
        if first.scans:
            flags.append("full table scan")
        print("  " + "; ".join(flags))
        for line in plan:
            print("    " + line)

    # summary
    slow = [r for r in results if not r.ok]
    overall = not slow and generate_ok is not False
    heading("summary")
    table(
        ("check", "result"),
        [
            (
                "generate < 120 s",
                "skipped (reused)"
                if generate_s is None
                else (verdict(generate_ok) if generate_ok is not None else "n/a (small run)"),
            ),
            (
                f"queries p95 < {QUERY_TARGET_MS:.0f} ms",
                f"{len(results) - len(slow)}/{len(results)} PASS"
                + (f", {len(slow)} FAIL (listed below)" if slow else ""),
            ),
            ("overall", verdict(overall)),
        ],
    )
    for r in slow:
        print(f"FAIL  {r.name}: p95 {ms(r.p95_s)} ms, median {ms(r.median_s)} ms, index {r.index}")
    summary = {
        "work_items_requested": args.work_items,
        "customers_requested": args.customers,
        "counts": counts,
        "baseline": {"db_upgrade_s": round(upgrade_s, 4), "queue_list_s": round(base_list_s, 4)},
        "generate": {
            "seconds": None if generate_s is None else round(generate_s, 2),
            "reused": generate_s is None,
            "pass": generate_ok,
            **({"result": generated} if generated else {}),
        },
        "queries": [
            {
                "name": r.name,
                "rows": r.rows,
                "median_ms": round(r.median_s * 1000, 2),
                "p95_ms": round(r.p95_s * 1000, 2),
                "index": r.index,
                "sorts": r.sorts,
                "pass": r.ok,
            }
            for r in results
        ],
        "first_paint": [
            {
                "sort": f.sort,
                "window_ms": round(f.window_s * 1000, 2),
                "total_ms": round(f.total_s * 1000, 2),
                "ratio_to_baseline": round(f.total_s / baseline.total_s, 3),
            }
            for f in first_paint
        ],
        "cli": [
            {
                "command": label,
                "median_s": round(median_s, 4),
                "ratio_to_baseline": round(median_s / base_list_s, 3),
                "rows": rows,
            }
            for label, median_s, _all, rows in cli_results
        ],
        "pass": overall,
    }
    print()
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
