"""A console's engine holds at most the connections it is given, through
concurrent reads and after the server dropped every connection."""

import threading
from datetime import date

import psycopg
import pytest

from backoffice_tui.services.connection import open_database
from backoffice_tui.services.work.queue import QueueFilter, count_queue
from backoffice_tui.store.database import Database
from tests.cli.support import libpq_dsn
from tests.helpers import database_connections


def _drop_connections(url: str, database: str) -> None:
    with psycopg.connect(libpq_dsn(url), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )


def _read_queue(db: Database, errors: list[BaseException]) -> None:
    try:
        for _ in range(5):
            count_queue(db, None, QueueFilter(), today=date.today())
    except BaseException as error:  # reported by the test
        errors.append(error)


@pytest.mark.parametrize("demo_url", ["postgresql"], indirect=True)
def test_one_pooled_connection_through_threads_and_reconnects(demo_url: str) -> None:
    db = open_database(demo_url, pool_size=1)
    name = db.engine.url.database
    assert name is not None
    try:
        for _round in range(3):
            errors: list[BaseException] = []
            threads = [threading.Thread(target=_read_queue, args=(db, errors)) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert errors == []
            assert database_connections(demo_url) <= 1
            _drop_connections(demo_url, name)  # as a server restart would
    finally:
        db.dispose()
