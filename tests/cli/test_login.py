"""``backoffice login`` and where a PostgreSQL password comes from.

The server here asks one role for a password (scram-sha-256), as a team's
server does; everyone else is trusted. A wrong password in one source gives
way to the next; one that no source can make right is named in the error.
"""

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import psycopg
import pytest
from click.testing import Result
from psycopg import sql

from backoffice_tui.config import KEYRING_SERVICE, keyring_username
from backoffice_tui.config.secrets import ENV_DB_PASSWORD
from tests.cli.support import invoke, libpq_dsn, ok, url_for_role
from tests.conftest import _pg_copy
from tests.postgres_server import PostgresServer

RIGHT = "right-pw"
PASSWORD_ROLE_PREFIX = "pw_"
PASSWORD_GROUP = "pw_asked"  # the server asks its members for a password
_roles = itertools.count()


class CountingKeyring(keyring.backend.KeyringBackend):
    """A keyring in memory that counts how often it is asked."""

    priority = -100  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[str, str] = {}
        self.lookups = 0

    def get_password(self, service: str, username: str) -> str | None:
        assert service == KEYRING_SERVICE
        self.lookups += 1
        return self.passwords.get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop(username, None)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CountingKeyring]:
    previous = keyring.get_keyring()
    backend = CountingKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def password_server(pg_server: PostgresServer) -> PostgresServer:
    """The test server, now asking the members of PASSWORD_GROUP for their password."""
    hba = pg_server.root / "data" / "pg_hba.conf"
    line = f"host all +{PASSWORD_GROUP} 127.0.0.1/32 scram-sha-256\n"
    with psycopg.connect(libpq_dsn(pg_server.url()), autocommit=True) as connection:
        connection.execute(
            "DO $$ BEGIN CREATE ROLE pw_asked NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        text = hba.read_text()
        if line not in text:
            hba.write_text(line + text)
        connection.execute("SELECT pg_reload_conf()")
    return pg_server


@pytest.fixture
def password_url(password_server: PostgresServer, pg_templates: dict[bool, str]) -> str:
    """A demo database and the URL of a role whose password is RIGHT."""
    url = _pg_copy(password_server, pg_templates[True])
    role = f"{PASSWORD_ROLE_PREFIX}{os.getpid()}_{next(_roles)}"
    with psycopg.connect(libpq_dsn(url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                sql.Identifier(role), sql.Literal(RIGHT), sql.Identifier(PASSWORD_GROUP)
            )
        )
        connection.execute(
            sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(role))
        )
    return url_for_role(url, role)


def _entry(url: str) -> str:
    """The keyring username for the role and database of ``url``."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    assert parsed.username and parsed.host and parsed.port and parsed.database
    return keyring_username(parsed.username, parsed.host, parsed.port, parsed.database)


def _error_line(result: Result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.output and "unexpected" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# --- login ----------------------------------------------------------------------------


def test_login_stores_only_a_password_the_server_accepts(
    password_url: str, memory_keyring: CountingKeyring
) -> None:
    wrong = invoke("--database", password_url, "login", input="not-it\n")
    line = _error_line(wrong)
    assert "refused the password" in line and "nothing was stored" in line, line
    assert "password authentication failed" in line
    assert "not-it" not in wrong.output + wrong.stderr
    assert memory_keyring.passwords == {}

    right = invoke("--database", password_url, "login", input=f"{RIGHT}\n")
    assert right.exit_code == 0, right.stderr
    assert f"password for {_entry(password_url)} checked and stored" in right.stdout
    assert memory_keyring.passwords == {_entry(password_url): RIGHT}
    ok("--database", password_url, "db", "current")


def test_login_to_a_server_that_is_not_there_stores_nothing(
    memory_keyring: CountingKeyring,
) -> None:
    url = "postgresql://someone@127.0.0.1:1/backoffice"
    line = _error_line(invoke("--database", url, "login", input="pw\n"))
    assert "cannot check the password" in line and "nothing was stored" in line, line
    assert memory_keyring.passwords == {}


# --- where the password comes from --------------------------------------------------------


def test_a_wrong_keyring_entry_gives_way_to_the_right_environment_password(
    password_url: str, memory_keyring: CountingKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.passwords[_entry(password_url)] = "an-old-password"
    monkeypatch.setenv(ENV_DB_PASSWORD, RIGHT)
    ok("--database", password_url, "db", "current")


def test_a_wrong_keyring_entry_gives_way_to_the_right_pgpass_line(
    password_url: str,
    memory_keyring: CountingKeyring,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    memory_keyring.passwords[_entry(password_url)] = "an-old-password"
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:*:{RIGHT}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    ok("--database", password_url, "db", "current")


def test_a_wrong_stored_password_is_named_with_its_source(
    password_url: str, memory_keyring: CountingKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.passwords[_entry(password_url)] = "an-old-password"
    line = _error_line(invoke("--database", password_url, "db", "current"))
    assert "password authentication failed" in line, line
    assert f"the password came from the keyring entry {_entry(password_url)}" in line, line
    assert "backoffice login" in line
    assert "an-old-password" not in line

    monkeypatch.setenv(ENV_DB_PASSWORD, "also-wrong")
    line = _error_line(invoke("--database", password_url, "db", "current"))
    assert f"the keyring entry {_entry(password_url)} then {ENV_DB_PASSWORD}" in line, line


def test_no_password_anywhere_says_where_one_is_looked_for(
    password_url: str, memory_keyring: CountingKeyring
) -> None:
    line = _error_line(invoke("--database", password_url, "db", "current"))
    assert "none was found in the keyring, BACKOFFICE_DB_PASSWORD or ~/.pgpass" in line, line


def test_the_keyring_is_asked_once_and_only_when_a_password_is_needed(
    password_url: str, memory_keyring: CountingKeyring, pg_server: PostgresServer
) -> None:
    memory_keyring.passwords[_entry(password_url)] = RIGHT
    ok("--database", password_url, "db", "current")
    assert memory_keyring.lookups == 1

    # a trusted role connects without one: the keyring is not asked
    trusted = url_for_role(password_url, pg_server.superuser)
    ok("--database", trusted, "db", "current")
    assert memory_keyring.lookups == 1


def test_a_sqlite_file_never_asks_the_keyring(
    memory_keyring: CountingKeyring, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'local.db'}"
    ok("--database", url, "db", "upgrade")
    ok("--database", url, "db", "current")
    assert memory_keyring.lookups == 0


def test_the_change_listener_connects_with_the_accepted_password(password_url: str) -> None:
    import threading

    from backoffice_tui.config.secrets import FoundPassword
    from backoffice_tui.services.connection import open_database
    from backoffice_tui.sync.listener import ChangeListener

    db = open_database(
        password_url,
        password_resolver=lambda _url: iter(
            [FoundPassword("stale", "an old entry"), FoundPassword(RIGHT, "the right one")]
        ),
    )
    woken = threading.Event()
    listener = ChangeListener(db, woken.set)
    listener.start()
    try:
        assert listener.connected.wait(10)
        assert woken.wait(5)
    finally:
        listener.stop()
        db.dispose()
