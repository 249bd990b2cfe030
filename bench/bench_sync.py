"""Propagation latency of the change feed, and the load of many followers.

    python bench/bench_sync.py [--changes 100] [--clients 200] [--seconds 10]

Latency: a writer process commits one event at a time (its summary carries
the time just before the commit); this process follows the feed as the console does (LISTEN
wakes it on PostgreSQL, polling every second on SQLite) and measures commit
to delivery, p50 and p95 over N changes. Load: N followers on PostgreSQL,
each with its own pool and listener as a console has, for a while with one
change a second; reports server statements per second (pg_stat_database)
and connections used per client.

PostgreSQL runs on a throwaway server (tests/postgres_server.py).
"""

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from tests.postgres_server import remove_server, start_server

from backoffice_tui.services.connection import open_database, upgrade_schema
from backoffice_tui.services.events import ChangeFeed, record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.sync.listener import ChangeListener

POLL_INTERVAL = 1.0


def write_changes(url: str, count: int, pause: float) -> None:
    db = open_database(url)
    for n in range(count):
        time.sleep(pause)
        with db.write() as session:
            event = record_event(
                session, "bench", utc_now(), entity="bench", entity_id=n, kind="bench", summary=""
            )
            event.summary = repr(time.time())  # just before the commit: an upper bound
    db.dispose()


def follow(url: str, count: int, pause: float) -> list[float]:
    """Follow the feed like the console does; commit to delivery per change."""
    db = open_database(url)
    feed = ChangeFeed(db)
    feed.read()
    wake = threading.Event()
    listener = None
    if db.dialect == "postgresql":
        listener = ChangeListener(db, wake.set)
        listener.start()
        listener.connected.wait(10)
    latencies: list[float] = []
    writer = multiprocessing.Process(target=write_changes, args=(url, count, pause))
    writer.start()
    deadline = time.time() + count * (pause + 0.1) + 30
    while len(latencies) < count and time.time() < deadline:
        wake.wait(POLL_INTERVAL)
        wake.clear()
        events = feed.read()
        now = time.time()
        latencies += [now - float(e.summary) for e in events if e.entity == "bench"]
    writer.join()
    if listener:
        listener.stop()
    db.dispose()
    return latencies


def report(name: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{name}: {len(ordered)} changes, p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


def load(url: str, admin_url: str, clients: int, seconds: float) -> None:
    dbs, listeners, feeds = [], [], []
    stop = threading.Event()
    for _ in range(clients):
        db = open_database(url)
        feed = ChangeFeed(db)
        feed.read()
        wake = threading.Event()
        listener = ChangeListener(db, wake.set)
        listener.start()
        dbs.append(db)
        listeners.append(listener)
        feeds.append((feed, wake))

    def run(feed: ChangeFeed, wake: threading.Event) -> None:
        while not stop.is_set():
            wake.wait(POLL_INTERVAL)
            wake.clear()
            feed.read()

    threads = [threading.Thread(target=run, args=pair, daemon=True) for pair in feeds]
    for thread in threads:
        thread.start()
    time.sleep(2)

    def stats() -> tuple[int, int]:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            xacts = connection.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                "WHERE datname = current_database()"
            ).fetchone()[0]
            used = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name LIKE 'backoffice-tui%'"
            ).fetchone()[0]
        return xacts, used

    before, _ = stats()
    started = time.time()
    writer = open_database(url)
    while time.time() - started < seconds:
        with writer.write() as session:
            record_event(
                session, "bench", utc_now(), entity="bench", entity_id=0, kind="b", summary="-"
            )
        time.sleep(1.0)
    after, used = stats()
    elapsed = time.time() - started
    reads = sum(feed.reads for feed, _ in feeds)
    stop.set()
    for listener in listeners:
        listener.stop(0.1)
    for db in dbs:
        db.dispose()
    writer.dispose()
    print(
        f"load: {clients} clients for {elapsed:.0f} s: {(after - before) / elapsed:.0f} "
        f"transactions/s on the server, {reads / elapsed:.0f} feed reads/s, "
        f"{used} connections ({used / clients:.2f} per client)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--pause", type=float, default=0.05)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_schema(open_database(url, create=True, check_schema=False))
        report("SQLite (polling 1 s)", follow(url, args.changes, args.pause))

    server = start_server()
    try:
        with psycopg.connect(server.url().replace("+psycopg", ""), autocommit=True) as c:
            c.execute("CREATE DATABASE bench")
        url = server.url("bench")
        upgrade_schema(open_database(url, check_schema=False))
        report("PostgreSQL (LISTEN + poll 1 s)", follow(url, args.changes, args.pause))
        if args.clients:
            load(url, url.replace("+psycopg", ""), args.clients, args.seconds)
    finally:
        remove_server(server)


if __name__ == "__main__":
    main()
