"""A crowded PostgreSQL server: many clients, few connections, short think time.

    python bench/bench_connections.py [--clients 200] [--processes 4]
        [--limit 100] [--seconds 15] [--cli-runs 5]

Clients: N consoles (threads in a few processes) connect at the same moment
(a connection and the schema check each, with the default 5 s connect
timeout), then read a page of the queue, think 50-150 ms, and read again
until the time is up. ``--limit`` (0: none) caps the connections the bench
role may hold, to crowd the server further. The same load runs twice:
without retries (the baseline: a refused or timed-out connection is a
failure) and with the retries every command has
(``services.connection.with_retries``, jittered backoff). Reports clients
connected, failures, retried connections, connect p95 and read latency
(p50, p95); the target is 0 failures with retries.

CLI: the CPU time (user + sys, of the child process) of ``backoffice queue
list --json`` on PostgreSQL, against ``python -c pass`` in the same run;
the target is at most 0.5 s.

PostgreSQL runs on a throwaway server (tests/postgres_server.py).
"""

import argparse
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from report import heading, ms, p95, table, verdict
from tests.postgres_server import remove_server, start_server

from backoffice_tui.demo.load import load_demo
from backoffice_tui.domain.errors import DatabaseUnavailable
from backoffice_tui.services.connection import (
    COMMAND_BACKOFF,
    open_database,
    upgrade_schema,
    with_retries,
)
from backoffice_tui.services.work.queue import QueueFilter, list_queue

BENCH_ROLE = "kimura"  # a demo user, so that the CLI run has an operator
CPU_TARGET = 0.5


def _client(
    url: str, seconds: float, retries: bool, start: threading.Barrier, out: list[Any]
) -> None:
    """One console: connect (all clients at the same moment), then read a page
    of the queue, think, and read again, until the time is up."""
    rng = random.Random()
    attempts = 0

    def open_once() -> Any:
        nonlocal attempts
        attempts += 1
        return open_database(url, pool_size=1)

    start.wait()
    began = time.monotonic()
    try:
        db = with_retries(open_once, COMMAND_BACKOFF) if retries else open_once()
    except DatabaseUnavailable as error:
        out.append(("connect failed", time.monotonic() - began, attempts - 1, str(error)[:120]))
        return
    out.append(("connected", time.monotonic() - began, attempts - 1, ""))
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                list_queue(db, None, QueueFilter(), today=date.today(), limit=20)
            except DatabaseUnavailable as error:
                out.append(("read failed", time.monotonic() - began, 0, str(error)[:120]))
            else:
                out.append(("read", time.monotonic() - began, 0, ""))
            time.sleep(rng.uniform(0.05, 0.15))
    finally:
        db.dispose()


def _process(url: str, threads: int, seconds: float, retries: bool, results: Any) -> None:
    out: list[Any] = []
    start = threading.Barrier(threads)
    workers = [
        threading.Thread(target=_client, args=(url, seconds, retries, start, out))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(out)


def crowd(url: str, clients: int, processes: int, seconds: float, retries: bool) -> list[Any]:
    results: Any = multiprocessing.Queue()
    per = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    children = [
        multiprocessing.Process(target=_process, args=(url, n, seconds, retries, results))
        for n in per
    ]
    for child in children:
        child.start()
    outcomes: list[Any] = []
    for _ in children:
        outcomes += results.get(timeout=seconds + 120)
    for child in children:
        child.join()
    return outcomes


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])}... failed: {done.stderr.strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--limit", type=int, default=0, help="connections the role may hold")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--cli-runs", type=int, default=5)
    args = parser.parse_args()

    server = start_server()
    try:
        admin = server.url("postgres").replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE bench")
        db = open_database(server.url("bench"), create=True, check_schema=False)
        upgrade_schema(db)
        load_demo(db, you_login=BENCH_ROLE)
        db.dispose()
        with psycopg.connect(server.url("bench").replace("+psycopg", ""), autocommit=True) as c:
            limit = args.limit if args.limit > 0 else -1
            c.execute(f"CREATE ROLE {BENCH_ROLE} LOGIN CONNECTION LIMIT {limit}")  # type: ignore[arg-type]
            c.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {BENCH_ROLE}")  # type: ignore[arg-type]
            c.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {BENCH_ROLE}")  # type: ignore[arg-type]
        url = server.url("bench", user=BENCH_ROLE)

        heading(
            f"{args.clients} clients in {args.processes} processes, "
            f"{args.limit or 'max_connections'} connections allowed, think 50-150 ms, "
            f"{args.seconds:g} s each, {os.cpu_count()} cores"
        )
        rows = []
        failures_with_retries = -1
        for retries in (False, True):
            outcomes = crowd(url, args.clients, args.processes, args.seconds, retries)
            connects = [o for o in outcomes if o[0] == "connected"]
            refused = [o for o in outcomes if o[0] == "connect failed"]
            reads = [o[1] for o in outcomes if o[0] == "read"] or [0.0]
            failed_reads = [o for o in outcomes if o[0] == "read failed"]
            connect_times = [o[1] for o in connects] or [0.0]
            rows.append(
                [
                    "with retries" if retries else "no retries (baseline)",
                    f"{len(connects)}/{args.clients}",
                    len(refused),
                    sum(1 for o in connects if o[2] > 0),
                    ms(p95(connect_times)),
                    len(reads),
                    len(failed_reads),
                    ms(statistics.median(reads)),
                    ms(p95(reads)),
                ]
            )
            if retries:
                failures_with_retries = len(refused) + len(failed_reads)
            for failure in (refused + failed_reads)[:1]:
                print(f"a failure ({'with' if retries else 'no'} retries): {failure[3]}")
        table(
            [
                "run",
                "connected",
                "failed",
                "retried",
                "connect p95 ms",
                "reads",
                "failed",
                "read p50 ms",
                "read p95 ms",
            ],
            rows,
        )
        print(f"0 failed connections with retries: {verdict(failures_with_retries == 0)}")

        heading(f"CPU time of one command on PostgreSQL ({args.cli_runs} runs each, user+sys)")
        env = {
            **os.environ,
            "BACKOFFICE_DATABASE_URL": url,
            "PGPASSFILE": str(Path(server.root) / "no-pgpass"),
        }
        env.pop("BACKOFFICE_CONFIG", None)
        # an installed program has its bytecode compiled: let the warm-up write it
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        base = [cpu_seconds([sys.executable, "-c", "pass"], env) for _ in range(args.cli_runs)]
        libraries = [sys.executable, "-c", "import sqlalchemy, psycopg"]
        command = [sys.executable, "-m", "backoffice_tui.cli.main", "queue", "list", "--json"]
        cpu_seconds(command, env)  # the warm-up
        floor, runs = [], []
        for _ in range(args.cli_runs):  # alternated, so that a busy moment weighs on both
            floor.append(cpu_seconds(libraries, env))
            runs.append(cpu_seconds(command, env))
        baseline = statistics.median(base)

        def row(name: str, figures: list[float]) -> list[object]:
            median = statistics.median(figures)
            ratio = f"{median / baseline:.1f}" if baseline else "-"
            return [name, f"{median:.3f}", f"{max(figures):.3f}", ratio]

        table(
            ["command", "median CPU s", "max CPU s", "x baseline"],
            [
                row("python -c pass (baseline)", base),
                row("python -c 'import sqlalchemy, psycopg'", floor),
                row("backoffice queue list --json", runs),
            ],
        )
        print(f"CPU time <= {CPU_TARGET} s: {verdict(max(runs) <= CPU_TARGET)}")
    finally:
        remove_server(server)


if __name__ == "__main__":
    main()
