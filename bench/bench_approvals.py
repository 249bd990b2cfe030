"""Approvals benchmark: decisions per second, and the inbox with many requests waiting.

Run from the project root with the project's Python::

    python bench/bench_approvals.py [--decisions 2000] [--threads 4] [--waiting 10000]
                                    [--runs 5] [--repeat 20] [--no-postgres] [--no-console]
                                    [--keep DIR]

In one run it measures, on SQLite and (when its server binaries are
installed) on a throwaway PostgreSQL server (tests/postgres_server.py):

1. decisions per second through the services: ``approvals.approve`` on
   ``--decisions`` single-stage requests, one after the other, and again on
   as many fresh requests split over ``--threads`` threads, each with its
   own engine. The baseline, taken on the same database just before, is the
   rate of the smallest write transaction (one event per commit): the ratio
   says how many such transactions one decision costs;
2. the inbox read through the services, as the Approvals screen does it on
   opening (``count_inbox`` and the first ``inbox_window`` of 100 rows), for
   an approver with nothing waiting (the baseline) and with ``--waiting``
   requests waiting; median and p95 of ``--repeat`` calls after a warm-up;
3. on SQLite, in an 80x24 pseudo-terminal: the time from process start to
   the first painted Approvals screen (``backoffice --screen approvals``,
   until its status line shows the count and, with requests, a row is drawn),
   empty vs ``--waiting``; target: at most 1.5x the empty baseline. While the
   Approvals screen is still the "coming soon" placeholder, this part says
   so and measures nothing.

The waiting requests come from ``demo.generate_approvals`` (bulk inserts
of what ``request_approval`` writes for an order). Figures print as tables,
then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from report import heading, ms, p95, table, verdict
from sqlalchemy import select
from tests.postgres_server import PostgresServer, remove_server, start_server
from tests.tui.pty_session import PtySession

from backoffice_tui.demo.generate_approvals import generate_waiting_requests
from backoffice_tui.demo.load import load_base
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.read import count_inbox, inbox_window
from backoffice_tui.services.connection import Database, open_database, upgrade_schema
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.models import User

PAINT_TARGET_RATIO = 1.5
DECIDER = "inoue"  # maintenance approver: decides the generated requests
INBOX_USER = "sato"  # design approver: the one whose inbox fills up
REQUESTER = "shimizu"
WINDOW = 100
ROW_MARKERS = (b"AP-0", b"APC0")  # generated order codes and customer codes


# --------------------------------------------------------------------------
# Output helpers


# --------------------------------------------------------------------------
# Databases


@dataclass
class Backend:
    name: str
    make_url: Callable[[str], str]  # a fresh, empty database named so

    def fresh(self, name: str) -> str:
        """A new database with the schema, the organisation and the templates."""
        url = self.make_url(name)
        db = open_database(url, create=True, check_schema=False)
        try:
            upgrade_schema(db)
            load_base(db, "kimura")
        finally:
            db.dispose()
        return url


def sqlite_backend(folder: Path) -> Backend:
    def make(name: str) -> str:
        path = folder / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"

    return Backend("SQLite", make)


def postgres_backend(server: PostgresServer) -> Backend:
    def make(name: str) -> str:
        admin = server.url().replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")  # type: ignore[arg-type]
            connection.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        return server.url(name)

    return Backend("PostgreSQL", make)


def actor_for(db: Database, login: str) -> Actor:
    with db.read() as session:
        user = session.scalars(select(User).where(User.login == login)).one()
        return Actor(user.id, user.login, user.name, user.is_admin)


# --------------------------------------------------------------------------
# 1. Decisions per second


@dataclass
class DecisionFigures:
    backend: str
    baseline_tps: float  # smallest write transactions per second
    sequential_dps: float
    threaded_dps: float
    threads: int

    @property
    def cost(self) -> float:
        return self.baseline_tps / self.sequential_dps


def write_baseline(db: Database, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        with db.write() as session:
            record_event(
                session, "bench", utc_now(), entity="bench", entity_id=n, kind="bench", summary=""
            )
    return count / (time.perf_counter() - started)


def approve_all(url: str, request_ids: Sequence[int], errors: list[str]) -> None:
    db = open_database(url)
    try:
        ctx = Context(db, actor_for(db, DECIDER))
        for request_id in request_ids:
            approvals.approve(ctx, request_id)
    except Exception as error:  # reported, and the run fails
        errors.append(f"{type(error).__name__}: {error}")
    finally:
        db.dispose()


def measure_decisions(backend: Backend, count: int, threads: int) -> DecisionFigures:
    url = backend.fresh("decisions")
    db = open_database(url)
    try:
        baseline = write_baseline(db, count)
        sequential = generate_waiting_requests(db, DECIDER, count, requester_login=REQUESTER)
        parallel = generate_waiting_requests(db, DECIDER, count, requester_login=REQUESTER)
    finally:
        db.dispose()
    errors: list[str] = []
    started = time.perf_counter()
    approve_all(url, sequential, errors)
    sequential_s = time.perf_counter() - started
    slices = [parallel[n::threads] for n in range(threads)]
    workers = [threading.Thread(target=approve_all, args=(url, s, errors)) for s in slices]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    threaded_s = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{backend.name}: approving failed: {errors[0]}")
    return DecisionFigures(
        backend.name, baseline, count / sequential_s, count / threaded_s, threads
    )


# --------------------------------------------------------------------------
# 2. The inbox through the services


@dataclass
class InboxFigures:
    backend: str
    waiting: int
    count: int
    rows: int
    count_median_s: float
    window_median_s: float
    total_median_s: float
    total_p95_s: float


def measure_inbox(backend: str, url: str, waiting: int, repeat: int) -> InboxFigures:
    db = open_database(url)
    try:
        actor = actor_for(db, INBOX_USER)
        counts, windows, totals = [], [], []
        total = rows = 0
        for run in range(repeat + 1):
            now = datetime.now(UTC)
            started = time.perf_counter()
            total = count_inbox(db, actor, now)
            counted = time.perf_counter()
            rows = len(inbox_window(db, actor, now, 0, WINDOW))
            done = time.perf_counter()
            if run:  # the first call warms the caches
                counts.append(counted - started)
                windows.append(done - counted)
                totals.append(done - started)
    finally:
        db.dispose()
    return InboxFigures(
        backend,
        waiting,
        total,
        rows,
        statistics.median(counts),
        statistics.median(windows),
        statistics.median(totals),
        p95(totals),
    )


def inbox_database(backend: Backend, name: str, waiting: int) -> str:
    url = backend.fresh(name)
    if waiting:
        db = open_database(url)
        try:
            generate_waiting_requests(db, INBOX_USER, waiting, requester_login=REQUESTER)
        finally:
            db.dispose()
    return url


# --------------------------------------------------------------------------
# 3. First paint of the Approvals screen (SQLite, in a pty)


def first_paint(url: str, has_rows: bool, runs: int, timeout: float = 60.0) -> list[float]:
    """Seconds from process start until the status line shows the count
    and, with requests waiting, a row of the inbox is drawn."""
    times = []
    for _ in range(runs):
        session = PtySession(
            ["--database", url, "--user", INBOX_USER, "--screen", "approvals"],
            env={"BACKOFFICE_CONFIG": "/nonexistent/config.toml"},
        )
        try:
            deadline = time.perf_counter() + timeout
            while True:
                output = bytes(session.output)
                if has_rows:  # the count replaces "counting…" once it is known
                    painted = b" requests" in output and any(m in output for m in ROW_MARKERS)
                else:
                    painted = b"0 requests" in output
                if painted:
                    times.append(time.perf_counter() - session.started)
                    break
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"approvals screen not painted; got {output[-600:]!r}")
                session.read(0.01)
        finally:
            session.close()
    return times


# --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="first-paint runs per database")
    parser.add_argument("--repeat", type=int, default=20, help="service calls per inbox size")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-console", action="store_true", help="skip the pty first paint")
    parser.add_argument(
        "--keep", type=Path, help="keep the SQLite databases in this folder (to inspect them)"
    )
    args = parser.parse_args()

    print("command: " + " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="backoffice-approvals-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    backends = [sqlite_backend(folder)]
    server = None
    if not args.no_postgres:
        try:
            server = start_server()
            backends.append(postgres_backend(server))
        except FileNotFoundError as error:
            print(f"PostgreSQL skipped: {error}")

    decisions: list[DecisionFigures] = []
    inbox: list[InboxFigures] = []
    paints: dict[int, list[float]] = {}
    try:
        for backend in backends:
            started = time.perf_counter()
            decisions.append(measure_decisions(backend, args.decisions, args.threads))
            print(f"{backend.name}: decisions measured ({time.perf_counter() - started:.1f} s)")
            urls = {}
            for waiting in (0, args.waiting):
                started = time.perf_counter()
                urls[waiting] = inbox_database(backend, f"inbox_{waiting}", waiting)
                print(
                    f"{backend.name}: inbox database with {waiting:,} waiting ready "
                    f"({time.perf_counter() - started:.1f} s)"
                )
                inbox.append(measure_inbox(backend.name, urls[waiting], waiting, args.repeat))
            if backend.name == "SQLite" and not args.no_console:
                for waiting, url in urls.items():
                    paints[waiting] = first_paint(url, waiting > 0, args.runs)
    finally:
        if server is not None:
            remove_server(server)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)

    heading(f"decisions per second through approvals.approve ({args.decisions:,} each)")
    table(
        [
            "backend",
            "baseline tx/s",
            "sequential/s",
            "tx per decision",
            f"{args.threads} threads/s",
            "speed-up",
        ],
        [
            (
                d.backend,
                f"{d.baseline_tps:,.0f}",
                f"{d.sequential_dps:,.0f}",
                f"{d.cost:.1f}x",
                f"{d.threaded_dps:,.0f}",
                f"{d.threaded_dps / d.sequential_dps:.2f}x",
            )
            for d in decisions
        ],
    )
    print("(baseline: one event per write transaction, same database, same run)")

    heading(f"inbox on opening: count_inbox + inbox_window(0, {WINDOW}), {args.repeat} calls")
    baselines = {f.backend: f.total_median_s for f in inbox if f.waiting == 0}
    table(
        [
            "backend",
            "waiting",
            "count",
            "rows",
            "count ms",
            "window ms",
            "total ms",
            "p95 ms",
            "vs empty",
        ],
        [
            (
                f.backend,
                f"{f.waiting:,}",
                f"{f.count:,}",
                f.rows,
                ms(f.count_median_s),
                ms(f.window_median_s),
                ms(f.total_median_s),
                ms(f.total_p95_s),
                f"{f.total_median_s / baselines[f.backend]:.1f}x",
            )
            for f in inbox
        ],
    )

    checks: dict[str, bool] = {}
    ratio = None
    heading("first painted Approvals screen, from process start (SQLite, 80x24 pty)")
    if paints:
        baseline = statistics.median(paints[0])
        table(
            ["waiting", "median s", "vs empty", "runs"],
            [
                (
                    f"{waiting:,}",
                    f"{statistics.median(times):.3f}",
                    f"{statistics.median(times) / baseline:.2f}x",
                    ", ".join(f"{t:.2f}" for t in times),
                )
                for waiting, times in paints.items()
            ],
        )
        ratio = statistics.median(paints[args.waiting]) / baseline
        checks[f"first paint at {args.waiting:,} waiting <= {PAINT_TARGET_RATIO}x empty"] = (
            ratio <= PAINT_TARGET_RATIO
        )
    else:
        print("skipped (--no-console)")
    print()
    for check, ok in checks.items():
        print(f"{verdict(ok)}  {check}")
    print(
        json.dumps(
            {
                "decisions_per_s": {
                    d.backend: {
                        "baseline_tx": round(d.baseline_tps),
                        "sequential": round(d.sequential_dps),
                        f"threads_{d.threads}": round(d.threaded_dps),
                    }
                    for d in decisions
                },
                "inbox_open_ms": {
                    f"{f.backend}_{f.waiting}": round(f.total_median_s * 1000, 1) for f in inbox
                },
                "first_paint_s": {str(k): statistics.median(v) for k, v in paints.items()},
                "paint_ratio": ratio,
                "pass": all(checks.values()) if checks else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
