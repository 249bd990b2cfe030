"""Faults that are expected: a full disk, a read-only file, a lost privilege,
a server with no connection to spare.

Each is one line naming what and where, with nothing half written. A full
disk is a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored) on a real
``backoffice`` process. A read-only file is made immutable (``chattr +i``)
when the tests run as root, whom permission bits do not stop, and
``chmod`` otherwise.
"""

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from backoffice_tui.domain.errors import PasswordRefused, ServerBusy, StorageError
from backoffice_tui.services.connection import Backoff, open_database, upgrade_schema, with_retries
from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.records import NewCustomer, add_customer
from backoffice_tui.store.models import Customer, Team, User
from tests.cli.support import (
    as_operator,
    assert_one_line_error,
    ensure_role,
    invoke,
    libpq_dsn,
    ok_json,
    url_for_role,
)
from tests.conftest import _pg_copy, resolve_actor_for
from tests.postgres_server import PostgresServer


@pytest.fixture
def pg_demo_url(pg_server: PostgresServer, pg_templates: dict[bool, str]) -> str:
    """A fresh PostgreSQL database with the demo data."""
    return _pg_copy(pg_server, pg_templates[True])


# --- helpers -------------------------------------------------------------------------


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make ``paths`` unwritable for this process, even as root."""
    changed: list[tuple[Path, int]] = []
    try:
        for path in paths:
            mode = path.stat().st_mode
            if os.geteuid() == 0:
                done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
                if done.returncode != 0:
                    pytest.skip(f"chattr +i is not available here: {done.stderr.strip()}")
            else:
                path.chmod(0o555 if path.is_dir() else 0o444)
            changed.append((path, mode))
        assert all(not os.access(path, os.W_OK) for path in paths)
        yield
    finally:
        for path, mode in reversed(changed):
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            path.chmod(mode)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _archive(sqlite_templates: dict[bool, Path], folder: Path) -> Path:
    folder.mkdir()
    path = folder / "archive.db"
    shutil.copyfile(sqlite_templates[True], path)
    return path


def _backoffice(
    args: list[str], *, file_size_limit: int | None = None
) -> "subprocess.CompletedProcess[str]":
    """Run the real ``backoffice`` in a process of its own, optionally unable
    to make any file larger than ``file_size_limit`` bytes (a full disk)."""

    def limit() -> None:
        if file_size_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [sys.executable, "-m", "backoffice_tui.cli.main", *args],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PGPASSFILE": str(Path(__file__).with_name("no-such-pgpass"))},
    )


def _one_line(stderr: str, *contains: str) -> str:
    """The error is one line, the last; progress lines may come before it."""
    assert "Traceback" not in stderr and "unexpected" not in stderr, stderr
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:], stderr
    for part in contains:
        assert part in errors[0], (part, errors[0])
    return errors[0]


# --- read-only SQLite --------------------------------------------------------------------


@pytest.mark.parametrize("what", ["the file", "the file and its folder"])
def test_a_read_only_archive_opens_for_reading_and_refuses_writes(
    sqlite_templates: dict[bool, Path], tmp_path: Path, what: str
) -> None:
    path = _archive(sqlite_templates, tmp_path / "archive")
    url = f"sqlite:///{path}"
    before = _digest(path)
    frozen = [path] if what == "the file" else [path, path.parent]
    with read_only(*frozen):
        rows = ok_json("--database", url, "--user", "kimura", "customers", "list")
        assert len(rows) > 10
        line = assert_one_line_error(
            invoke("--database", url, "--user", "kimura", "customers", "add", "X1", "--name", "X"),
            contains=f"{path} is read-only",
        )
        assert "nothing was changed" in line

        db = open_database(url)
        try:
            assert db.read_only
            with db.read() as session:
                customers = session.scalar(select(func.count()).select_from(Customer))
            assert customers == len(rows)
            ctx = Context(db, resolve_actor_for(db, "kimura"))
            with pytest.raises(StorageError, match="is read-only: it was opened for reading"):
                add_customer(ctx, NewCustomer(code="X2", name="Refused"))
        finally:
            db.dispose()
    assert _digest(path) == before
    if what == "the file and its folder":
        assert sorted(p.name for p in path.parent.iterdir()) == ["archive.db"]


def test_a_writable_file_is_not_opened_read_only(
    sqlite_templates: dict[bool, Path], tmp_path: Path
) -> None:
    path = _archive(sqlite_templates, tmp_path / "live")
    db = open_database(f"sqlite:///{path}")
    try:
        assert not db.read_only
        ctx = Context(db, resolve_actor_for(db, "kimura"))
        add_customer(ctx, NewCustomer(code="W1", name="Written"))
    finally:
        db.dispose()


# --- a full disk -------------------------------------------------------------------------


def _empty_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    db = open_database(url, create=True, check_schema=False)
    upgrade_schema(db)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return url


def _count(url: str, model: type) -> int:
    db = open_database(url)
    try:
        with db.read() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        db.dispose()


def test_demo_load_on_a_full_disk_writes_nothing_and_says_where(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    url = _empty_sqlite(path)
    done = _backoffice(["--database", url, "demo", "load"], file_size_limit=200_000)
    assert done.returncode == 1, (done.stdout, done.stderr)
    _one_line(done.stderr, f"cannot write {path}", "nothing was changed")
    assert (_count(url, Team), _count(url, User), _count(url, Customer)) == (0, 0, 0)

    # with room, the same load goes through: nothing was left half written
    again = _backoffice(["--database", url, "demo", "load", "--json"])
    assert again.returncode == 0, again.stderr
    assert _count(url, Team) > 0


def test_generate_on_a_full_disk_writes_nothing(
    sqlite_templates: dict[bool, Path], tmp_path: Path
) -> None:
    path = _archive(sqlite_templates, tmp_path / "busy")
    url = f"sqlite:///{path}"
    before = _count(url, Customer)
    done = _backoffice(
        ["--database", url, "demo", "generate", "--customers", "500", "--work-items", "3000"],
        file_size_limit=path.stat().st_size + 50_000,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    _one_line(done.stderr, f"cannot write {path}", "nothing was changed")
    assert _count(url, Customer) == before


def test_an_export_to_a_full_disk_is_one_line(pg_demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    done = _backoffice(
        ["--database", pg_demo_url, "export", "events", "--output", str(out)], file_size_limit=4_096
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    _one_line(done.stderr, "cannot write", "File too large")


# --- PostgreSQL: a lost privilege, a full server --------------------------------------------


def test_a_lost_privilege_is_one_line(pg_demo_url: str) -> None:
    options = as_operator(pg_demo_url, "kimura")
    before = _count(pg_demo_url, Customer)
    with psycopg.connect(libpq_dsn(pg_demo_url), autocommit=True) as connection:
        connection.execute("REVOKE INSERT ON customers FROM kimura")
    line = assert_one_line_error(
        invoke(*options, "customers", "add", "P1", "--name", "Refused"),
        contains="refused: permission denied for table customers",
    )
    assert "nothing was changed" in line
    assert _count(pg_demo_url, Customer) == before


@contextmanager
def _connection_limit(superuser_url: str, role: str, limit: int) -> Iterator[None]:
    with psycopg.connect(libpq_dsn(superuser_url), autocommit=True) as connection:
        connection.execute(f'ALTER ROLE "{role}" CONNECTION LIMIT {limit}')  # type: ignore[arg-type]
    try:
        yield
    finally:
        with psycopg.connect(libpq_dsn(superuser_url), autocommit=True) as connection:
            connection.execute(f'ALTER ROLE "{role}" CONNECTION LIMIT -1')  # type: ignore[arg-type]


def test_a_server_with_no_connection_to_spare_is_one_line_then_retried(pg_demo_url: str) -> None:
    role = f"busy_{os.getpid()}"
    ensure_role(pg_demo_url, role)
    url = url_for_role(pg_demo_url, role)
    with _connection_limit(pg_demo_url, role, 1):
        holder = psycopg.connect(libpq_dsn(url))
        try:
            line = assert_one_line_error(invoke("--database", url, "db", "current"))
            assert "refuses more connections" in line and "max_connections" in line, line

            with pytest.raises(ServerBusy):
                with_retries(lambda: open_database(url).dispose(), Backoff(attempts=2, first=0.05))

            # the holder lets go while the client waits: a retry gets in
            threading.Timer(0.4, holder.close).start()
            started = time.monotonic()
            db = with_retries(lambda: open_database(url), Backoff(attempts=8, first=0.1, most=0.5))
            db.dispose()
            assert time.monotonic() - started >= 0.3
        finally:
            holder.close()


def test_a_refused_password_is_never_retried() -> None:
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise PasswordRefused("password authentication failed")

    with pytest.raises(PasswordRefused):
        with_retries(refused, Backoff(attempts=5, first=0.01))
    assert calls == [1]
