"""A report being read stops within a second of being cancelled, on both
backends, and a report not cancelled is not disturbed."""

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backoffice_tui.services.insight.running import Cancelled, Running
from backoffice_tui.store.database import Database

# counting to a billion one row at a time: minutes, unless stopped
SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)
QUICK = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
    "SELECT count(*) FROM n"
)


def count(sql: str, started: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def read(db: Database) -> int:
        with db.read() as session:
            if started is not None:
                started.set()
            return int(session.execute(text(sql)).scalar_one())

    return read


def in_thread(running: Running, db: Database, sql: str) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []
    started = threading.Event()

    def work() -> None:
        try:
            outcome.append(running.run(db, count(sql, started)))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    assert started.wait(10)
    return thread, outcome


def test_a_slow_report_stops_within_a_second_of_cancel(empty_db: Database) -> None:
    running = Running()
    thread, outcome = in_thread(running, empty_db, SLOW)
    time.sleep(0.3)  # the statement is running
    assert thread.is_alive()
    asked = time.monotonic()
    running.cancel()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 1.0
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    # the connection went back to the pool usable
    assert Running().run(empty_db, count(QUICK)) == 10


def test_a_cancelled_report_reads_nothing_more(empty_db: Database) -> None:
    running = Running()
    running.cancel()
    with pytest.raises(Cancelled):
        running.run(empty_db, count(QUICK))
    with pytest.raises(Cancelled), running.watching(empty_db).read():
        pass


def test_cancel_between_two_statements_stops_the_second(empty_db: Database) -> None:
    running = Running()
    answers: list[int] = []

    def read(db: Database) -> None:
        with db.read() as session:
            answers.append(int(session.execute(text(QUICK)).scalar_one()))
            running.cancel()
            answers.append(int(session.execute(text(QUICK)).scalar_one()))

    with pytest.raises(Cancelled):
        running.run(empty_db, read)
    assert answers == [10]


def test_a_report_not_cancelled_answers_and_its_errors_stay_its_own(empty_db: Database) -> None:
    running = Running()
    assert running.run(empty_db, count(QUICK)) == 10
    with pytest.raises(DBAPIError):
        running.run(empty_db, count("SELECT no_such_column FROM no_such_table"))
    assert not running.cancelled
    running.cancel()  # nothing running: nothing to stop, no error
