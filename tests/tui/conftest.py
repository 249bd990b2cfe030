"""Fixtures for driving the real console through Pilot."""

import shutil
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot

from backoffice_tui.config import Settings
from backoffice_tui.demo.load import load_demo
from backoffice_tui.services.connection import CLIENT_POOL_SIZE, open_database, upgrade_schema
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp, create_app
from tests.conftest import resolve_actor_for

SNAPSHOT_DAY = date(2026, 11, 23)

MakeApp = Callable[..., BackofficeApp]


def make_settings(db: Database, tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=str(db.engine.url),
        config_path=tmp_path / "config.toml",
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def console(demo_url: str, tmp_path: Path) -> Iterator[MakeApp]:
    """``console("sato", theme="light")``: the app on the demo database, with
    the one pooled connection a console has."""
    db = open_database(demo_url, pool_size=CLIENT_POOL_SIZE)

    def make(login: str = "kimura", **settings: object) -> BackofficeApp:
        actor = resolve_actor_for(db, login)
        return create_app(make_settings(db, tmp_path, **settings), db, actor)

    yield make
    db.dispose()


@pytest.fixture(scope="session")
def pinned_demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite demo database whose dates are pinned to SNAPSHOT_DAY."""
    path = tmp_path_factory.mktemp("pinned") / "demo.db"
    db = open_database(f"sqlite:///{path}", create=True, check_schema=False)
    upgrade_schema(db)
    load_demo(db, you_login="kimura", today=SNAPSHOT_DAY)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def pinned_console(pinned_demo_file: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The app on the pinned demo data, with today pinned too: same screen every day."""
    opened: list[Database] = []

    def make(login: str = "kimura", **settings: object) -> BackofficeApp:
        path = tmp_path / "demo.db"
        if not path.exists():
            shutil.copyfile(pinned_demo_file, path)
        db = open_database(f"sqlite:///{path}")
        opened.append(db)
        actor = resolve_actor_for(db, login)
        return create_app(make_settings(db, tmp_path, **settings), db, actor, today=SNAPSHOT_DAY)

    yield make
    for db in opened:
        db.dispose()


@pytest.fixture
def utc_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times are shown in local time: pin the zone so the pictures do not
    depend on where the tests run."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def settle(pilot: Pilot[object]) -> None:
    """Let every worker finish and every message be handled."""
    for _ in range(4):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()
