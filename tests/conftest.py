"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, empty
or with the demo data, fresh for every test."""

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from backoffice_tui.demo.load import load_demo
from backoffice_tui.services.connection import open_database, upgrade_schema
from backoffice_tui.services.context import Context
from backoffice_tui.services.identity import resolve_actor
from backoffice_tui.store.database import Database
from tests.postgres_server import PostgresServer, remove_server, start_server

DEMO_YOU = "kimura"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep every test away from the real user's config, data and keyring."""
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    for variable in ("BACKOFFICE_DATABASE_URL", "BACKOFFICE_CONFIG", "BACKOFFICE_DB_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


# --- PostgreSQL -------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = start_server()
    except FileNotFoundError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{error}; CI must test PostgreSQL")
        pytest.skip(f"{error}: PostgreSQL cases skipped")
    try:
        yield server
    finally:
        remove_server(server)


def pg_admin(server: PostgresServer, sql: str) -> None:
    with psycopg.connect(server.url().replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


_counter = itertools.count()


def _pg_template(server: PostgresServer, name: str, demo: bool) -> str:
    pg_admin(server, f"CREATE DATABASE {name}")
    db = open_database(server.url(name), check_schema=False)
    upgrade_schema(db)
    if demo:
        load_demo(db, you_login=DEMO_YOU)
    db.dispose()
    return name


@pytest.fixture(scope="session")
def pg_templates(pg_server: PostgresServer) -> dict[bool, str]:
    return {
        False: _pg_template(pg_server, "tmpl_empty", False),
        True: _pg_template(pg_server, "tmpl_demo", True),
    }


def _pg_copy(server: PostgresServer, template: str) -> str:
    name = f"t_{os.getpid()}_{next(_counter)}"
    pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    return server.url(name)


# --- SQLite -----------------------------------------------------------------


def _sqlite_template(folder: Path, demo: bool) -> Path:
    path = folder / ("demo.db" if demo else "empty.db")
    db = open_database(f"sqlite:///{path}", create=True, check_schema=False)
    upgrade_schema(db)
    if demo:
        load_demo(db, you_login=DEMO_YOU)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    folder = tmp_path_factory.mktemp("templates")
    return {False: _sqlite_template(folder, False), True: _sqlite_template(folder, True)}


# --- per-test databases -------------------------------------------------------


def _database_url(request: pytest.FixtureRequest, tmp_path: Path, demo: bool) -> str:
    if request.param == "sqlite":
        path = tmp_path / "backoffice.db"
        shutil.copyfile(request.getfixturevalue("sqlite_templates")[demo], path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("pg_server")
    return _pg_copy(server, request.getfixturevalue("pg_templates")[demo])


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh database with the schema and nothing in it."""
    return _database_url(request, tmp_path, demo=False)


@pytest.fixture(params=BACKENDS)
def demo_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh database holding the demo data (the operator is kimura)."""
    return _database_url(request, tmp_path, demo=True)


@pytest.fixture
def empty_db(empty_url: str) -> Iterator[Database]:
    db = open_database(empty_url)
    yield db
    db.dispose()


@pytest.fixture
def demo_db(demo_url: str) -> Iterator[Database]:
    db = open_database(demo_url)
    yield db
    db.dispose()


@pytest.fixture
def as_user(demo_db: Database):  # type: ignore[no-untyped-def]
    """``as_user("sato")`` gives a service context acting as that demo user."""

    def make(login: str) -> Context:
        return Context(demo_db, resolve_actor_for(demo_db, login))

    return make


def resolve_actor_for(db: Database, login: str):  # type: ignore[no-untyped-def]
    """The actor for ``login``: on SQLite directly; on PostgreSQL through the
    superuser test connection, which is no user, so look the user up."""
    if db.dialect == "sqlite":
        return resolve_actor(db, login)
    from sqlalchemy import select

    from backoffice_tui.services.context import Actor
    from backoffice_tui.store.models import User

    with db.read() as session:
        user = session.scalar(select(User).where(User.login == login))
        assert user is not None, login
        return Actor(user.id, user.login, user.name, user.is_admin)


def request_of(db: Database, subject_kind: str, subject_id: int) -> int | None:
    """The subject's pending approval request, if it has one."""
    from sqlalchemy import select

    from backoffice_tui.store.models import ApprovalRequest

    with db.read() as session:
        return session.scalar(
            select(ApprovalRequest.id).where(
                ApprovalRequest.subject_kind == subject_kind,
                ApprovalRequest.subject_id == subject_id,
                ApprovalRequest.state == "pending",
            )
        )


def approve_through(db: Database, subject_kind: str, subject_id: int) -> int | None:
    """Approve the subject's pending request stage by stage, each stage by
    the first user who may decide it; returns the request (None if none)."""
    from backoffice_tui.services.approvals import actions as approvals
    from backoffice_tui.services.approvals.read import request_detail
    from backoffice_tui.store.base import utc_now

    request_id = request_of(db, subject_kind, subject_id)
    if request_id is None:
        return None
    while True:
        anyone = resolve_actor_for(db, "admin-ito")
        detail = request_detail(db, anyone, request_id, utc_now())
        if detail.state != "pending":
            assert detail.state == "approved", detail.state
            return request_id
        decider = detail.current.deciders[0]
        approvals.approve(Context(db, resolve_actor_for(db, decider)), request_id)
