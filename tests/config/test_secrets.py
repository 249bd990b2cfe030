"""Password sources: keyring, BACKOFFICE_DB_PASSWORD, ~/.pgpass, prompt."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from backoffice_tui.config import (
    KEYRING_SERVICE,
    keyring_username,
    resolve_password,
    store_password,
)
from backoffice_tui.domain.errors import ConfigError

DB = ("alice", "db.example.com", 5432, "backoffice")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that keeps passwords in a dict."""

    # Below the fail backend (0), so keyring's own detection never picks it.
    priority = -100  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    """An in-memory keyring (conftest restores the previous one after the test)."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


class SleepingKeyring(MemoryKeyring):
    """A keyring that hangs, like a locked Secret Service reached over SSH."""

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(10)
        return "too-late"

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(10)


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


def pgpass(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "pgpass"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def no_pgpass(tmp_path: Path) -> dict[str, str]:
    return {"PGPASSFILE": str(tmp_path / "no-such-pgpass")}


def test_keyring_username() -> None:
    assert keyring_username(*DB) == "alice@db.example.com:5432/backoffice"
    assert KEYRING_SERVICE == "backoffice-tui"


# --- keyring -----------------------------------------------------------------


def test_keyring_comes_first(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, keyring_username(*DB), "from-keyring")
    environ = {"BACKOFFICE_DB_PASSWORD": "from-env", **no_pgpass(tmp_path)}
    assert resolve_password(*DB, environ=environ) == "from-keyring"


def test_store_password_then_resolve(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    store_password(*DB, "stored")
    assert memory_keyring.passwords == {(KEYRING_SERVICE, keyring_username(*DB)): "stored"}
    assert resolve_password(*DB, environ=no_pgpass(tmp_path)) == "stored"
    # Another database on the same host does not get it.
    assert resolve_password("alice", "db.example.com", 5432, "other", environ={}) is None


def test_hanging_keyring_times_out_and_falls_through(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keyring.set_keyring(SleepingKeyring())
    environ = {"BACKOFFICE_DB_PASSWORD": "from-env", **no_pgpass(tmp_path)}
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="backoffice_tui.config.secrets"):
        password = resolve_password(*DB, environ=environ, keyring_timeout=0.3)
    elapsed = time.monotonic() - started
    assert password == "from-env"
    assert elapsed < 1.5
    assert "did not answer within 0.3 s" in caplog.text
    assert "from-env" not in caplog.text  # passwords are never logged


def test_a_host_without_a_keyring_says_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No keyring on a server is normal: the password comes from elsewhere,
    and no warning is printed on every command."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    environ = {"BACKOFFICE_DB_PASSWORD": "from-env", **no_pgpass(tmp_path)}
    with caplog.at_level(logging.WARNING, logger="backoffice_tui.config.secrets"):
        assert resolve_password(*DB, environ=environ) == "from-env"
    assert caplog.text == ""


def test_hanging_keyring_makes_store_fail(tmp_path: Path) -> None:
    keyring.set_keyring(SleepingKeyring())
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        store_password(*DB, "pw", keyring_timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert str(caught.value).startswith("no keyring is available here (the keyring did not")
    assert str(caught.value).endswith("use BACKOFFICE_DB_PASSWORD or ~/.pgpass instead")


def test_fail_backend_falls_through(tmp_path: Path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    environ = {"BACKOFFICE_DB_PASSWORD": "from-env", **no_pgpass(tmp_path)}
    assert resolve_password(*DB, environ=environ) == "from-env"
    assert resolve_password(*DB, environ=no_pgpass(tmp_path)) is None


def test_keyring_error_falls_through(tmp_path: Path) -> None:
    keyring.set_keyring(BrokenKeyring())
    path = pgpass(tmp_path, "*:*:*:*:from-pgpass\n")
    assert resolve_password(*DB, environ={}, pgpass_path=path) == "from-pgpass"


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
def test_store_password_without_a_usable_keyring(
    backend: type[keyring.backend.KeyringBackend],
) -> None:
    keyring.set_keyring(backend())
    with pytest.raises(ConfigError) as caught:
        store_password(*DB, "pw")
    message = str(caught.value)
    assert message.startswith("no keyring is available here (")
    assert message.endswith("; use BACKOFFICE_DB_PASSWORD or ~/.pgpass instead")
    assert "\n" not in message


# --- environment and pgpass --------------------------------------------------


def test_env_password_beats_pgpass(tmp_path: Path) -> None:
    path = pgpass(tmp_path, "*:*:*:*:from-pgpass\n")
    environ = {"BACKOFFICE_DB_PASSWORD": "from-env"}
    assert resolve_password(*DB, environ=environ, pgpass_path=path) == "from-env"
    assert resolve_password(*DB, environ={}, pgpass_path=path) == "from-pgpass"


PGPASS = r"""# comment line
otherhost:5432:backoffice:alice:wrong-host
db.example.com:6432:backoffice:alice:wrong-port
db.example.com:5432:backoffice:bob:wrong-user
db.example.com:5432:*:alice:first-match
*:*:*:alice:too-late
localhost:5432:local\:db:carol:col\:on\\back\\slash
*:*:*:st\*r:escaped-star
short:line
"""


@pytest.mark.parametrize(
    ("user", "host", "port", "database", "expected"),
    [
        ("alice", "db.example.com", 5432, "backoffice", "first-match"),
        ("alice", "db.example.com", 5432, "anything", "first-match"),
        ("alice", "elsewhere", 1, "x", "too-late"),
        ("bob", "db.example.com", 5432, "backoffice", "wrong-user"),
        ("carol", "localhost", 5432, "local:db", r"col:on\back\slash"),
        ("carol", "", 5432, "local:db", r"col:on\back\slash"),
        ("carol", "/var/run/postgresql", 5432, "local:db", r"col:on\back\slash"),
        ("carol", "localhost", 5432, "local", None),
        ("st*r", "h", 1, "d", "escaped-star"),
        ("stxr", "h", 1, "d", None),
        ("dave", "db.example.com", 5432, "backoffice", None),
    ],
)
def test_pgpass_matching(
    tmp_path: Path, user: str, host: str, port: int, database: str, expected: str | None
) -> None:
    path = pgpass(tmp_path, PGPASS)
    assert resolve_password(user, host, port, database, environ={}, pgpass_path=path) == expected


def test_pgpass_from_pgpassfile_env(tmp_path: Path) -> None:
    path = pgpass(tmp_path, "db.example.com:5432:backoffice:alice:via-env-file\n")
    assert resolve_password(*DB, environ={"PGPASSFILE": str(path)}) == "via-env-file"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_pgpass_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = pgpass(tmp_path, "*:*:*:*:leaky\n", mode)
    with pytest.raises(ConfigError) as caught:
        resolve_password(*DB, environ={}, pgpass_path=path)
    assert str(caught.value) == (
        f"{path} is readable by other users (mode {mode:04o}); run chmod 600 {path}"
    )


def test_pgpass_private_is_used(tmp_path: Path) -> None:
    path = pgpass(tmp_path, "*:*:*:*:private\n", 0o600)
    assert resolve_password(*DB, environ={}, pgpass_path=path) == "private"
    os.chmod(path, 0o400)
    assert resolve_password(*DB, environ={}, pgpass_path=path) == "private"


def test_missing_pgpass_is_skipped(tmp_path: Path) -> None:
    assert resolve_password(*DB, environ=no_pgpass(tmp_path)) is None


def test_pgpass_that_is_not_a_file_is_skipped() -> None:
    assert resolve_password(*DB, environ={"PGPASSFILE": os.devnull}) is None


# --- prompt ------------------------------------------------------------------


def test_prompt_is_last_and_optional(tmp_path: Path) -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed"

    environ = no_pgpass(tmp_path)
    assert resolve_password(*DB, environ=environ, prompt=prompt) == "typed"
    assert asked == ["Password for alice@db.example.com:5432/backoffice: "]
    assert resolve_password(*DB, environ=environ) is None
    assert resolve_password(*DB, environ=environ, prompt=lambda _: "") is None

    environ["BACKOFFICE_DB_PASSWORD"] = "from-env"
    asked.clear()
    assert resolve_password(*DB, environ=environ, prompt=prompt) == "from-env"
    assert asked == []


def test_prompt_end_of_input_gives_none(tmp_path: Path) -> None:
    def prompt(text: str) -> str:
        raise EOFError

    assert resolve_password(*DB, environ=no_pgpass(tmp_path), prompt=prompt) is None


# --- every source, lazily, with where it came from ------------------------------


class CountingKeyring(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.lookups += 1
        return super().get_password(service, username)


def test_candidates_come_in_order_each_with_its_source(tmp_path: Path) -> None:
    from backoffice_tui.config.secrets import password_candidates

    backend = CountingKeyring()
    keyring.set_keyring(backend)
    backend.set_password(KEYRING_SERVICE, keyring_username(*DB), "from-keyring")
    path = pgpass(tmp_path, "*:*:*:alice:from-pgpass\n")
    typed: list[str] = []

    def prompt(label: str) -> str:
        typed.append(label)
        return "typed"

    found = password_candidates(
        *DB, environ={"BACKOFFICE_DB_PASSWORD": "from-env"}, pgpass_path=path, prompt=prompt
    )
    first = next(found)
    assert (first.password, first.source) == (
        "from-keyring",
        "the keyring entry alice@db.example.com:5432/backoffice",
    )
    assert typed == []  # nothing further is asked before it is wanted
    rest = [(c.password, c.source) for c in found]
    assert rest == [
        ("from-env", "BACKOFFICE_DB_PASSWORD"),
        ("from-pgpass", f"the {path} line for alice"),
        ("typed", "the password typed at the prompt"),
    ]
    assert len(typed) == 1


def test_the_keyring_is_asked_once_per_process(tmp_path: Path) -> None:
    backend = CountingKeyring()
    keyring.set_keyring(backend)
    backend.set_password(KEYRING_SERVICE, keyring_username(*DB), "first")
    environ = no_pgpass(tmp_path)
    assert resolve_password(*DB, environ=environ) == "first"
    assert resolve_password(*DB, environ=environ) == "first"
    assert backend.lookups == 1
    store_password(*DB, "second")  # `backoffice login` replaces what was kept
    assert resolve_password(*DB, environ=environ) == "second"
    assert backend.lookups == 1

    other = CountingKeyring()  # another keyring is asked afresh
    keyring.set_keyring(other)
    assert resolve_password(*DB, environ=environ) is None
    assert other.lookups == 1
