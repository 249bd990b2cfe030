"""The change feed delivers every committed event exactly once, also when
ids commit out of order on PostgreSQL."""

import random
import threading
import time

import pytest
from sqlalchemy import text

from backoffice_tui.services.connection import open_database
from backoffice_tui.services.events import ChangeFeed, record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.schema import current_revision, head_revision, upgrade
from backoffice_tui.sync.listener import ChangeListener
from tests.conftest import pg_admin


def write_event(db: Database, summary: str) -> int:
    with db.write() as session:
        event = record_event(
            session, "test", utc_now(), entity="test", entity_id=1, kind="test.x", summary=summary
        )
        session.flush()
        return event.id


def test_the_feed_starts_now_and_delivers_each_new_event_once(empty_db: Database) -> None:
    write_event(empty_db, "before")
    feed = ChangeFeed(empty_db)
    assert feed.read() == []  # places the cursor; the past is not replayed
    ids = [write_event(empty_db, f"e{n}") for n in range(3)]
    assert [e.id for e in feed.read()] == ids
    assert feed.read() == []
    later = write_event(empty_db, "later")
    events = feed.read()
    assert [(e.id, e.summary, e.actor) for e in events] == [(later, "later", "test")]


def test_a_feed_resumes_from_its_cursor(empty_db: Database) -> None:
    feed = ChangeFeed(empty_db)
    feed.read()
    first = write_event(empty_db, "one")
    cursor = feed.cursor
    second = write_event(empty_db, "two")
    assert [e.id for e in ChangeFeed(empty_db, cursor).read()] == [first, second]


@pytest.mark.parametrize("empty_url", ["postgresql"], indirect=True)
def test_out_of_order_commits_are_neither_missed_nor_repeated(empty_db: Database) -> None:
    feed = ChangeFeed(empty_db)
    feed.read()
    slow = open_database(str(empty_db.engine.url))
    try:
        with slow.write() as held:
            low = record_event(
                held, "slow", utc_now(), entity="test", entity_id=1, kind="test.x", summary="slow"
            )
            held.flush()  # takes the lowest id, not yet committed
            aborted_id = None
            try:
                with empty_db.write() as session:
                    aborted = record_event(
                        session, "t", utc_now(), entity="test", entity_id=1, kind="t", summary="x"
                    )
                    session.flush()
                    aborted_id = aborted.id
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
            fast = [write_event(empty_db, f"fast {n}") for n in range(5)]
            assert all(low.id < f for f in fast)
            assert [e.id for e in feed.read()] == fast  # the slow one is still running
            assert feed.read() == []
        # the slow transaction commits now, after higher ids were read
        assert [e.id for e in feed.read()] == [low.id]
        assert feed.read() == []
        assert aborted_id is not None
    finally:
        slow.dispose()


@pytest.mark.parametrize("empty_url", ["postgresql"], indirect=True)
def test_concurrent_writers_with_random_delays(empty_db: Database) -> None:
    feed = ChangeFeed(empty_db)
    feed.read()
    committed: list[int] = []
    lock = threading.Lock()
    writers = [open_database(str(empty_db.engine.url)) for _ in range(6)]

    def write(db: Database, seed: int) -> None:
        chance = random.Random(seed)
        for n in range(15):
            with db.write() as session:
                event = record_event(
                    session, "w", utc_now(), entity="test", entity_id=n, kind="t", summary="w"
                )
                session.flush()
                time.sleep(chance.random() * 0.02)  # commit after others took later ids
                new_id = event.id
            with lock:
                committed.append(new_id)

    threads = [threading.Thread(target=write, args=(db, n)) for n, db in enumerate(writers)]
    for thread in threads:
        thread.start()
    delivered: list[int] = []
    while any(t.is_alive() for t in threads):
        delivered += [e.id for e in feed.read()]
        time.sleep(0.003)
    for thread in threads:
        thread.join()
    delivered += [e.id for e in feed.read()]
    for db in writers:
        db.dispose()
    assert len(delivered) == len(set(delivered)) == 90
    assert sorted(delivered) == sorted(committed)
    assert delivered != sorted(delivered) or feed.reads > 2  # reads really interleaved


@pytest.mark.parametrize("empty_url", ["postgresql"], indirect=True)
def test_the_listener_wakes_on_commit(empty_db: Database) -> None:
    woken = threading.Event()
    listener = ChangeListener(empty_db, woken.set)
    listener.start()
    try:
        assert listener.connected.wait(10)
        assert woken.wait(5)  # a wake on connecting: re-read from the cursor
        woken.clear()
        with empty_db.write() as session:
            record_event(session, "t", utc_now(), entity="test", entity_id=1, kind="t", summary="x")
            session.flush()
            time.sleep(0.2)
            assert not woken.is_set()  # nothing before the commit
        assert woken.wait(2)
    finally:
        listener.stop()


def _upgrade_from_0001(url: str) -> None:
    db = open_database(url, create=True, check_schema=False)
    try:
        upgrade(db.engine, "0001")
        assert current_revision(db.engine) == "0001"
        upgrade(db.engine)
        assert current_revision(db.engine) == head_revision()
        first = write_event(db, "after upgrade")
        with db.read() as session:
            tx_id = session.execute(
                text("SELECT tx_id FROM events WHERE id = :id"), {"id": first}
            ).scalar()
        assert (tx_id is not None) == (db.dialect == "postgresql")
    finally:
        db.dispose()


def test_db_upgrade_brings_a_0001_sqlite_database_to_head(tmp_path) -> None:
    _upgrade_from_0001(f"sqlite:///{tmp_path / 'old.db'}")


def test_db_upgrade_brings_a_0001_postgresql_database_to_head(request) -> None:
    server = request.getfixturevalue("pg_server")
    name = f"old_{int(time.time() * 1000) % 10**9}_{random.randrange(10**6)}"
    pg_admin(server, f"CREATE DATABASE {name}")
    _upgrade_from_0001(server.url(name))
