"""The PostgreSQL password, from everywhere except config.toml.

For a URL without a password the sources are tried in this order: the system
keyring (service "backoffice-tui"), the BACKOFFICE_DB_PASSWORD environment
variable, the libpq password file (~/.pgpass or PGPASSFILE), and last an
interactive prompt when the caller supplies one.

The keyring is asked in a daemon thread with a time limit: on a jump host a
locked Secret Service reached over SSH can block forever, and a missing
backend must only mean "try the next source". Its answer for one database
is kept for the rest of the process (``backoffice login`` replaces it).

``password_candidates`` gives every source's password, lazily and each with
where it came from, so that a connection the server refuses can go on to
the next source and an error can say which password was refused.
"""

from __future__ import annotations

import logging
import os
import shlex
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from backoffice_tui.domain.errors import ConfigError

if TYPE_CHECKING:
    import keyring.backend

KEYRING_SERVICE = "backoffice-tui"
ENV_DB_PASSWORD = "BACKOFFICE_DB_PASSWORD"
ENV_PGPASSFILE = "PGPASSFILE"

log = logging.getLogger(__name__)

_T = TypeVar("_T")


def keyring_username(user: str, host: str, port: int, database: str) -> str:
    """The keyring "username" under which the password for one database is kept."""
    return f"{user}@{host}:{port}/{database}"


# --------------------------------------------------------------------------
# Keyring


class _KeyringTimeout(Exception):
    pass


def _call_with_timeout(func: Callable[[], _T], timeout: float, name: str) -> _T:
    """Run ``func`` in a daemon thread; raise _KeyringTimeout after ``timeout`` s.

    A thread that never returns is abandoned; being a daemon it does not keep
    the program from exiting.
    """
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = func()
        except BaseException as exc:  # handed to the calling thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _KeyringTimeout(f"the keyring did not answer within {timeout:g} s")
    if "error" in outcome:
        error = outcome["error"]
        assert isinstance(error, BaseException)
        raise error
    return cast(_T, outcome["value"])


def _usable_backend() -> keyring.backend.KeyringBackend:
    # keyring is imported when first asked: it scans entry points, which
    # costs start-up time and memory that a SQLite user never needs.
    import keyring
    import keyring.backends.fail
    import keyring.errors

    backend = keyring.get_keyring()
    if isinstance(backend, keyring.backends.fail.Keyring):
        raise keyring.errors.NoKeyringError("no keyring backend is installed or unlocked")
    return backend


#: The keyring's answers in this process: (backend, username) -> password.
#: The backend is part of the key so that a different keyring is asked afresh.
_keyring_answers: dict[tuple[int, str], tuple[object, str | None]] = {}
_answers_lock = threading.Lock()


def _password_from_keyring(username: str, timeout: float) -> str | None:
    def fetch() -> str | None:
        backend = _usable_backend()
        with _answers_lock:
            known = _keyring_answers.get((id(backend), username))
        if known is not None and known[0] is backend:
            return known[1]
        password = backend.get_password(KEYRING_SERVICE, username)
        with _answers_lock:
            _keyring_answers[(id(backend), username)] = (backend, password)
        return password

    try:
        password = _call_with_timeout(fetch, timeout, "keyring-get-password")
    except _KeyringTimeout as exc:
        log.warning("skipping the keyring: %s", exc)
        return None
    except Exception as exc:  # no backend, a locked one, or its own D-Bus/OS error
        import keyring.errors

        if isinstance(exc, keyring.errors.NoKeyringError):
            # a server without a keyring is normal: the password comes from
            # the environment or ~/.pgpass, so nothing is said on every command
            log.debug("no keyring here: %s", exc)
        else:
            log.warning("skipping the keyring: %s: %s", type(exc).__name__, exc)
        return None
    return password or None


def store_password(
    user: str,
    host: str,
    port: int,
    database: str,
    password: str,
    *,
    keyring_timeout: float = 2.0,
) -> None:
    """Keep ``password`` in the system keyring (``backoffice login``)."""
    username = keyring_username(user, host, port, database)

    def store() -> None:
        import keyring.backends.null
        import keyring.errors

        backend = _usable_backend()
        if isinstance(backend, keyring.backends.null.Keyring):
            # It would accept the password and forget it.
            raise keyring.errors.NoKeyringError("the keyring is switched off (null backend)")
        backend.set_password(KEYRING_SERVICE, username, password)
        with _answers_lock:
            _keyring_answers[(id(backend), username)] = (backend, password)

    advice = f"use {ENV_DB_PASSWORD} or ~/.pgpass instead"
    try:
        _call_with_timeout(store, keyring_timeout, "keyring-set-password")
    except _KeyringTimeout as exc:
        raise ConfigError(f"no keyring is available here ({exc}); {advice}") from exc
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"no keyring is available here ({reason}); {advice}") from exc
    log.info("stored the password for %s in the keyring", username)


# --------------------------------------------------------------------------
# The libpq password file


@dataclass(frozen=True)
class _PgpassField:
    value: str  # with escapes removed
    raw: str  # as written

    def matches(self, wanted: str) -> bool:
        return self.raw == "*" or self.value == wanted


def _split_pgpass_line(line: str) -> list[_PgpassField]:
    """Split at unescaped colons; ``\\:`` and ``\\\\`` stand for ``:`` and ``\\``."""
    fields: list[_PgpassField] = []
    value: list[str] = []
    start = 0
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            value.append(line[index + 1])
            index += 2
            continue
        if char == ":":
            fields.append(_PgpassField("".join(value), line[start:index]))
            value = []
            start = index + 1
        else:
            value.append(char)
        index += 1
    fields.append(_PgpassField("".join(value), line[start:]))
    return fields


def default_pgpass_path(environ: Mapping[str, str]) -> Path | None:
    """PGPASSFILE, else ~/.pgpass (%APPDATA%\\postgresql\\pgpass.conf on Windows)."""
    named = environ.get(ENV_PGPASSFILE, "").strip()
    if named:
        return Path(named).expanduser()
    if os.name == "nt":
        appdata = environ.get("APPDATA", "")
        return Path(appdata, "postgresql", "pgpass.conf") if appdata else None
    try:
        return Path.home() / ".pgpass"
    except RuntimeError:  # no home directory
        return None


def password_from_pgpass(path: Path, user: str, host: str, port: int, database: str) -> str | None:
    """The password of the first matching line of the libpq password file at ``path``.

    A missing file gives None; a file other users can read is refused with a
    ConfigError, as libpq refuses it (we do not ignore it silently).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check its permissions") from exc
    if not stat.S_ISREG(info.st_mode):
        log.warning("skipping %s: not a plain file", path)
        return None
    mode = stat.S_IMODE(info.st_mode)
    if os.name != "nt" and mode & 0o077:
        quoted = shlex.quote(str(path))
        raise ConfigError(
            f"{path} is readable by other users (mode {mode:04o}); run chmod 600 {quoted}"
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check its permissions") from exc

    # libpq matches a Unix-socket (or default) connection against "localhost".
    wanted_host = host if host and not host.startswith(("/", "@")) else "localhost"
    wanted = (wanted_host, str(port), database, user)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = _split_pgpass_line(line)
        if len(fields) < 5:
            continue
        if all(field.matches(want) for field, want in zip(fields[:4], wanted, strict=True)):
            return fields[4].value or None
    return None


# --------------------------------------------------------------------------
# All sources


@dataclass(frozen=True)
class FoundPassword:
    """A password and where it came from, as an error names it."""

    password: str
    source: str


def password_candidates(
    user: str,
    host: str,
    port: int,
    database: str,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
    keyring_timeout: float = 2.0,
    pgpass_path: Path | None = None,
) -> Iterator[FoundPassword]:
    """The password of every source that has one, in order, each looked up
    only when the one before was not enough: the keyring entry,
    BACKOFFICE_DB_PASSWORD, the libpq password file, then ``prompt``.

    Raises ConfigError only for a password file other users can read.
    """
    env = os.environ if environ is None else environ
    target = keyring_username(user, host, port, database)

    password = _password_from_keyring(target, keyring_timeout)
    if password is not None:
        log.info("database password for %s taken from the keyring", target)
        yield FoundPassword(password, f"the keyring entry {target}")

    from_env = env.get(ENV_DB_PASSWORD, "")
    if from_env:
        log.info("database password for %s taken from %s", target, ENV_DB_PASSWORD)
        yield FoundPassword(from_env, ENV_DB_PASSWORD)

    pgpass = pgpass_path if pgpass_path is not None else default_pgpass_path(env)
    if pgpass is not None:
        password = password_from_pgpass(pgpass, user, host, port, database)
        if password is not None:
            log.info("database password for %s taken from %s", target, pgpass)
            yield FoundPassword(password, f"the {pgpass} line for {user}")

    if prompt is not None:
        try:
            answer = prompt(f"Password for {target}: ")
        except EOFError:
            return
        if answer:
            yield FoundPassword(answer, "the password typed at the prompt")


def resolve_password(
    user: str,
    host: str,
    port: int,
    database: str,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
    keyring_timeout: float = 2.0,
    pgpass_path: Path | None = None,
) -> str | None:
    """The password for ``user`` on ``host:port/database``, or None if none is found.

    Tries the keyring, BACKOFFICE_DB_PASSWORD, the libpq password file
    (``pgpass_path``, else PGPASSFILE, else ~/.pgpass), then ``prompt`` (given
    by the command line only when stdin is a terminal). Raises ConfigError
    only for a password file other users can read.
    """
    candidates = password_candidates(
        user,
        host,
        port,
        database,
        environ=environ,
        prompt=prompt,
        keyring_timeout=keyring_timeout,
        pgpass_path=pgpass_path,
    )
    first = next(candidates, None)
    return None if first is None else first.password
