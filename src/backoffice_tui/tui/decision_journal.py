"""Held decisions on disk, so that a console that dies keeps its promises.

Every console keeps the decisions it holds in a session file of its own,
``held-decisions/LOGIN/SESSION.json`` in the state folder (the gateway
login's own behind the SSH gateway, next to the drafts). A decision is
written there, fsynced, before it is shown as held, and taken out once it
is committed or undone.

``SESSION.lock`` beside it stays locked (``flock``) while the console runs;
the kernel lets go of the lock however the process ends. At start-up a
console takes the lock of every other session it can: those consoles have
stopped, and their entries are offered again. Holding that lock is also
what adopts the entries, so of two consoles of one login that start at once
only one offers them. An entry committed whose removal did not reach the
disk is offered again and refused by the approval service, whose decisions
need the stage still pending: a decision is never committed twice.
"""

import contextlib
import fcntl
import json
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from backoffice_tui.config import state_dir

log = logging.getLogger(__name__)

FORMAT = 1
FOLDER = "held-decisions"
ASIDE = "unreadable"  # sub-folder where unreadable session files are kept

Record = dict[str, Any]  # one held decision as JSON; its "key" names it
T = TypeVar("T")


def journal_folder(login: str) -> Path:
    """Where the sessions of ``login`` keep their held decisions."""
    return state_dir() / FOLDER / quote(login, safe="")


def _write_json(path: Path, payload: Mapping[str, Any], durable: bool) -> None:
    """Replace ``path`` atomically; ``durable`` waits until it is on the disk."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, ensure_ascii=False)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if durable:
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _take_lock(path: Path) -> int | None:
    """The lock of a session whose console has stopped; None while it runs
    (or when the session is gone)."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # taken after another console finished the session and removed its files?
        if not os.path.samestat(os.fstat(descriptor), os.stat(path)):
            raise FileNotFoundError(path)
    except (BlockingIOError, FileNotFoundError):
        os.close(descriptor)
        return None
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


class _Session:
    """One console's session file and its lock, held by this process."""

    def __init__(self, folder: Path, name: str, lock: int, payload: Record) -> None:
        self.folder = folder
        self.name = name
        self._lock: int | None = lock
        self.payload = payload

    @property
    def path(self) -> Path:
        return self.folder / f"{self.name}.json"

    @property
    def lock_path(self) -> Path:
        return self.folder / f"{self.name}.lock"

    @property
    def entries(self) -> list[Record]:
        entries: list[Record] = self.payload["entries"]
        return entries

    @property
    def locked(self) -> bool:
        return self._lock is not None

    def save(self, durable: bool) -> None:
        if self.entries:
            _write_json(self.path, self.payload, durable)
        else:
            _unlink(self.path)

    def finish(self) -> None:
        """Nothing left: the files go, then the lock."""
        _unlink(self.path)
        _unlink(self.lock_path)
        self.release()

    def release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


@dataclass
class Stopped(Generic[T]):
    """What consoles of this login held when they stopped, adopted by this
    one until it commits, discards or releases them."""

    decisions: list[T] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each
    _sessions: list[_Session] = field(default_factory=list)
    _where: dict[str, _Session] = field(default_factory=dict)  # entry key -> its session

    def add(self, session: _Session, decisions: list[tuple[str, T]]) -> None:
        self._sessions.append(session)
        for key, decision in decisions:
            self._where[key] = session
            self.decisions.append(decision)

    def settled(self, key: str) -> None:
        """This entry is committed, or refused: it is not offered again."""
        session = self._where.pop(key, None)
        if session is None:
            return
        session.payload["entries"] = [e for e in session.entries if e.get("key") != key]
        try:
            session.save(durable=False)
        except OSError as error:
            log.warning("cannot update held decisions in %s: %s", session.path, error)

    def discard(self) -> list[str]:
        """Drop every entry; returns one line per session that could not be removed."""
        return self._end(finish=True)

    def release(self) -> list[str]:
        """Done with them: the sessions with entries left are offered again
        at the next start; the empty ones are removed."""
        return self._end(finish=False)

    def _end(self, finish: bool) -> list[str]:
        problems: list[str] = []
        for session in self._sessions:
            try:
                if finish or not session.entries:
                    session.finish()
                else:
                    session.release()
            except OSError as error:
                session.release()
                problems.append(f"cannot remove held decisions {session.path}: {error}")
        self._sessions.clear()
        self._where.clear()
        return problems


class DecisionJournal:
    """This console's held decisions on disk, and what stopped consoles of
    the same login and database left behind.

    ``add`` raises ``OSError`` when the journal cannot be written (a full
    disk, a read-only home); everything else reports problems as lines.
    Safe to use from the UI loop and from workers.
    """

    def __init__(self, folder: Path, database: str) -> None:
        self.folder = folder
        self.database = database  # as shown to people: never with a password
        self._session: _Session | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_login(cls, login: str, database: str) -> "DecisionJournal":
        return cls(journal_folder(login), database)

    @property
    def path(self) -> Path | None:
        """This console's session file, once it has held something."""
        return self._session.path if self._session is not None else None

    # --- this console's own entries -----------------------------------------------------

    def add(self, records: Iterable[Record]) -> None:
        """Write entries and wait until they are on the disk."""
        new = list(records)
        with self._lock:
            session = self._session
            if session is None or not session.locked:
                session = self._open()
            session.entries.extend(new)
            try:
                session.save(durable=True)
            except OSError:
                keys = {r["key"] for r in new}
                session.payload["entries"] = [e for e in session.entries if e["key"] not in keys]
                raise

    def remove(self, keys: Iterable[str]) -> None:
        """Take entries out (committed or undone). Not fsynced: an entry that
        comes back after a power cut is refused by the service, never
        committed twice."""
        gone = set(keys)
        with self._lock:
            session = self._session
            if session is None or not gone:
                return
            before = len(session.entries)
            session.payload["entries"] = [e for e in session.entries if e["key"] not in gone]
            if len(session.entries) == before:
                return
            try:
                session.save(durable=False)
            except OSError as error:
                log.warning("cannot update held decisions in %s: %s", session.path, error)

    def holds(self, key: str) -> bool:
        with self._lock:
            session = self._session
            return session is not None and any(e["key"] == key for e in session.entries)

    def close(self) -> None:
        """The console ends: an empty session goes; one with entries left
        stays, to be offered at the next start. Entries committed after
        this (on the way out) are still taken out of it."""
        with self._lock:
            session = self._session
            if session is None:
                return
            try:
                if session.entries:
                    session.release()
                else:
                    self._session = None
                    session.finish()
            except OSError as error:
                session.release()
                log.warning("cannot remove %s: %s", session.lock_path, error)

    def _open(self) -> _Session:
        """This console's session: its lock is taken before its name is visible."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}-{secrets.token_hex(4)}"
        hidden = self.folder / f".{name}.lock"
        descriptor = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(hidden, self.folder / f"{name}.lock")
        except BaseException:
            os.close(descriptor)
            _unlink(hidden)
            raise
        payload: Record = {
            "format": FORMAT,
            "database": self.database,
            "pid": os.getpid(),
            "started": datetime.now(UTC).isoformat(),
            "entries": [],
        }
        self._session = _Session(self.folder, name, descriptor, payload)
        return self._session

    # --- what stopped consoles left ---------------------------------------------------

    def stopped(self, parse: Callable[[Record], T]) -> Stopped[T]:
        """Adopt the entries of every stopped session of this login on this
        database, oldest first. ``parse`` turns an entry into a decision and
        raises ``KeyError``, ``TypeError`` or ``ValueError`` when it cannot:
        such a session file is kept aside, with a warning, like an unreadable one."""
        found: Stopped[T] = Stopped()
        try:
            locks = sorted(self.folder.glob("*.lock"))
        except OSError as error:
            found.problems.append(f"cannot read held decisions in {self.folder}: {error}")
            return found
        own = self._session.name if self._session is not None else None
        for lock in locks:
            if lock.stem == own:
                continue
            try:
                self._adopt(lock, parse, found)
            except OSError as error:
                found.problems.append(
                    f"cannot read held decisions {lock.with_suffix('.json')}: {error}"
                )
        return found

    def _adopt(self, lock: Path, parse: Callable[[Record], T], found: Stopped[T]) -> None:
        descriptor = _take_lock(lock)
        if descriptor is None:
            return  # that console still runs, or another one has just taken its entries
        session = _Session(self.folder, lock.stem, descriptor, {"entries": []})
        try:
            data = session.path.read_bytes()
        except FileNotFoundError:
            session.finish()  # it stopped holding nothing
            return
        except BaseException:
            session.release()
            raise
        try:
            payload = json.loads(data.decode("utf-8"))
            if not isinstance(payload, dict) or not isinstance(payload.get("entries"), list):
                raise ValueError("not a journal of held decisions")
            if payload.get("format") != FORMAT:
                raise ValueError(f"format {payload.get('format')!r}, not {FORMAT}")
            if payload.get("database") != self.database:
                session.release()  # another database's: offered when that one is opened
                return
            decisions = [(str(entry["key"]), parse(entry)) for entry in payload["entries"]]
        except (KeyError, TypeError, ValueError) as error:
            found.problems.append(self._set_aside(session, error))
            return
        session.payload = payload
        if not decisions:
            session.finish()
            return
        found.add(session, decisions)

    def _set_aside(self, session: _Session, error: Exception) -> str:
        """Keep an unreadable session file where it cannot be offered again."""
        aside = self.folder / ASIDE / session.path.name
        try:
            aside.parent.mkdir(exist_ok=True)
            os.replace(session.path, aside)
            _unlink(session.lock_path)
        except OSError as move_error:
            session.release()
            return (
                f"held decisions unreadable in {session.path} ({error}); "
                f"cannot keep it aside: {move_error}"
            )
        session.release()
        return f"held decisions unreadable in {session.path} ({error}); kept aside as {aside}"
