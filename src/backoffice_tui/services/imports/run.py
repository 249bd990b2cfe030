"""One pass over a file: what every kind of import shares (the report, the
digest, the events, the people) while it checks and writes rows."""

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import PermissionDenied
from backoffice_tui.domain.text import search_key
from backoffice_tui.services.context import Context
from backoffice_tui.services.imports.bulk import BulkStatement
from backoffice_tui.services.imports.records import (
    CHUNK,
    BadRow,
    Change,
    ImportOptions,
    ImportReport,
    ImportSource,
    SourceRow,
)
from backoffice_tui.services.insight.rollup import refresh as refresh_stays
from backoffice_tui.services.insight.stays import STATE_KINDS
from backoffice_tui.store.base import table_of
from backoffice_tui.store.models import Event, TeamMembership, User, WorkItem


class Invalid(Exception):
    """A bad cell found while checking a row (``row``: another row of its group)."""

    def __init__(self, field_name: str, reason: str, row: "SourceRow | None" = None) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason
        self.row = row


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@functools.lru_cache(maxsize=8192)
def name_key(text: str) -> str:
    """How names typed in a file are compared (step, service, user names);
    cached, as a file repeats the same few names on every row."""
    return search_key(text).replace(" ", "").replace("\u3000", "")


class Run:
    """What every kind of import shares: the report, the digest, the events."""

    def __init__(
        self, ctx: Context, session: Session, source: ImportSource, options: ImportOptions
    ) -> None:
        self.ctx = ctx
        self.session = session
        self.source = source
        self.options = options
        self.applying = False
        self.now = ctx.now()
        self.report = ImportReport(kind=source.kind.value, source=source.name)
        self.attribute_names = frozenset(source.attributes)
        self._digest = hashlib.sha256()
        self._last_bad = -1
        self._pending: list[tuple[BadRow, bool]] = []  # (problem, refused), this chunk's
        self._events: list[dict[str, Any]] = []
        self._insert_events: BulkStatement | None = None
        actor = ctx.actor
        self._actor_fields = {
            "actor_id": actor.real_user_id or actor.user_id,
            "actor_name": actor.real_login or actor.login,
            "on_behalf_of_id": actor.user_id if actor.real_user_id is not None else None,
            "at": self.now,
        }

    @property
    def writing(self) -> bool:
        """Apply this chunk? Not once the import is sure to be rolled back."""
        if not self.applying or self.report.bad_rows:
            return False
        refused = self.report.refused or any(r for _, r in self._pending)
        return not any(not r for _, r in self._pending) and (not refused or self.options.skip_stale)

    def column(self, field_name: str) -> str:
        return self.source.columns.get(field_name, field_name)

    def problem(self, bad: BadRow) -> None:
        self._pending.append((bad, False))

    def refuse(self, bad: BadRow) -> None:
        """A row changed in the database since the export."""
        self._pending.append((bad, True))

    def _report_problems(self) -> None:
        """The chunk's problems and refusals, in row order (the cells that did
        not parse are found before the rest)."""
        self._pending.sort(key=lambda pending: pending[0].row)
        report, listed = self.report, self.options.listed
        for bad, refused in self._pending:
            if refused:
                report.refused += 1
                self._digest.update(f"refused\x1f{bad.row}\x1f{bad.value}\x1e".encode())
                if len(report.refusals) < listed:
                    report.refusals.append(bad)
            else:
                if bad.row != self._last_bad:
                    self._last_bad = bad.row
                    report.bad_rows += 1
                report.problems_total += 1
                if len(report.problems) < listed:
                    report.problems.append(bad)
            if self.options.on_problem is not None:
                self.options.on_problem(bad)
        self._pending.clear()

    def invalid(self, row: SourceRow, error: Invalid) -> None:
        row = error.row or row
        value = row.values.get(error.field)
        self.problem(BadRow(row.number, self.column(error.field), shown(value), error.reason))

    def created(self, key: str, values: Mapping[str, Any], listed: bool = True) -> None:
        """A new record (``listed``: named in the report's list of them)."""
        self.report.created += 1
        text = "\x1f".join(f"{k}={shown(v)}" for k, v in sorted(values.items()))
        self._digest.update(f"created\x1f{key}\x1f{text}\x1e".encode())
        if listed and len(self.report.created_keys) < self.options.listed:
            self.report.created_keys.append(key)

    def updated(
        self, row: int, item: str, diffs: list[tuple[str, Any, Any]], version: int | None = None
    ) -> None:
        """An update; ``version`` (of the record as read) is part of the digest,
        so any change to the record after a dry run is noticed."""
        self.report.updated += 1
        self._digest.update(f"{item}\x1f{version}\x1e".encode())
        for name, old, new in diffs:
            self.report.changes_total += 1
            change = Change(row, item, name, shown(old), shown(new))
            self._digest.update(f"{name}\x1f{change.old}\x1f{change.new}\x1e".encode())
            if len(self.report.changes) < self.options.listed:
                self.report.changes.append(change)

    def event(
        self,
        *,
        entity: str,
        entity_id: int,
        kind: str,
        summary: str,
        customer_id: int | None,
        payload: dict[str, Any],
        order_id: int | None = None,
        order_line_id: int | None = None,
        team_id: int | None = None,
        source_key: str | None = None,
        happened: tuple[datetime, int | None, str] | None = None,
    ) -> None:
        """An event of the import; ``happened`` (at, actor id, actor name):
        one a log records, at its own time and by its own actor."""
        self._events.append(
            {
                **self._actor_fields,
                **(
                    {}
                    if happened is None
                    else {
                        "at": happened[0],
                        "actor_id": happened[1],
                        "actor_name": happened[2],
                        "on_behalf_of_id": None,
                    }
                ),
                "entity": entity,
                "entity_id": entity_id,
                "customer_id": customer_id,
                "order_id": order_id,
                "order_line_id": order_line_id,
                "team_id": team_id,
                "kind": kind,
                "summary": summary,
                "payload": payload,
                "source_key": source_key,
            }
        )

    def note(self, text: str) -> None:
        """A change to a record already counted (created or updated) in this
        import, said the same way in a dry run and when applying: in the
        digest only."""
        self._digest.update(f"{text}\x1e".encode())

    def payload(self, row: int, diffs: Iterable[tuple[str, Any, Any]] = ()) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source.name, "row": row}
        changes = {name: [shown(old), shown(new)] for name, old, new in diffs}
        if changes:
            data["changes"] = changes
        return data

    def flush_events(self) -> None:
        if not self._events:
            return
        if self._insert_events is None:
            table = table_of(Event)
            keys = list(self._events[0])
            self._insert_events = BulkStatement(
                self.session, insert(table), {k: table.c[k] for k in keys}, keys=keys
            )
        self._insert_events.execute(self._events)
        # the time so far of the items whose status these events change
        changed = sorted(
            {
                row["entity_id"]
                for row in self._events
                if row["entity"] == "work_item" and row["kind"] in STATE_KINDS
            }
        )
        if changed:
            refresh_stays(self.session, select(WorkItem.id).where(WorkItem.id.in_(changed)))
        self._events.clear()

    def execute(self, make_importer: "Callable[[Run], Importer]", applying: bool) -> ImportReport:
        self.applying = applying
        importer = make_importer(self)
        for chunk in importer.chunks(self.source.rows()):
            importer.process(chunk)
            self._report_problems()
            self.flush_events()
        importer.finish()
        self.flush_events()
        self.report.digest = self._digest.hexdigest()
        return self.report


class Importer(Protocol):
    """One kind of record: rows grouped in chunks, each checked then written."""

    def chunks(self, rows: Iterator[SourceRow]) -> Iterator[Any]: ...

    def process(self, chunk: Any) -> None: ...

    def finish(self) -> None: ...


def batches(rows: Iterator[SourceRow], size: int = CHUNK) -> Iterator[list[SourceRow]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def check_rows(run: Run, chunk: list[SourceRow]) -> list[SourceRow]:
    """Count the rows; report the cells that did not parse; return the others."""
    run.report.rows += len(chunk)
    good = []
    for row in chunk:
        if row.problems:
            for bad in row.problems:
                run.problem(bad)
        else:
            good.append(row)
    return good


class People:
    """Users by login or display name (or the login a mapping's ``[users]``
    gives a name), and who belongs to which team.

    With ``create`` a name nobody has becomes an inactive placeholder user:
    until the chunk is written it has a stand-in id (negative), which
    ``write`` turns into the real one (``real``)."""

    def __init__(
        self, session: Session, aliases: Mapping[str, str] | None = None, create: bool = False
    ) -> None:
        self.by_id: dict[int, tuple[str, bool]] = {}
        self.placeholders: set[int] = set()
        self._logins: dict[str, int] = {}
        self._names: dict[str, list[int]] = {}
        for user_id, login, name, active, placeholder in session.execute(
            select(User.id, User.login, User.name, User.active, User.placeholder)
        ):
            self._add(user_id, login, name, active)
            if placeholder:
                self.placeholders.add(user_id)
        self.members = set(session.execute(select(TeamMembership.user_id, TeamMembership.team_id)))
        self._aliases = {name_key(name): login for name, login in (aliases or {}).items()}
        self._create = create
        self._new: dict[int, tuple[str, str]] = {}  # stand-in id -> (login, name), not written
        self._real: dict[int, int] = {}  # stand-in id -> the id written

    def _add(self, user_id: int, login: str, name: str, active: bool) -> None:
        self.by_id[user_id] = (login, active)
        self._logins[login.casefold()] = user_id
        self._names.setdefault(name_key(name), []).append(user_id)

    def login(self, user_id: int | None) -> str | None:
        return None if user_id is None else self.by_id[user_id][0]

    def find(self, text: str, field_name: str, run: "Run | None" = None) -> int:
        """The active user (or placeholder) with this login, or else this
        display name; ``run`` reports a placeholder made for it."""
        alias = self._aliases.get(name_key(text))
        if alias is not None:
            user_id = self._logins.get(alias.casefold())
            if user_id is None:
                raise Invalid(field_name, f"[users] maps {text} to {alias}, and no user is {alias}")
        else:
            user_id = self._logins.get(text.casefold())
        if user_id is None:
            named = self._names.get(name_key(text), [])
            if len(named) > 1:
                raise Invalid(field_name, f"{len(named)} users are named {text}; use the login")
            if not named:
                if not self._create:
                    raise Invalid(
                        field_name,
                        f"no user {text} (map it to a login in [users], or create_users = true)",
                    )
                return self._placeholder(text, run)
            user_id = named[0]
        if not self.by_id[user_id][1] and user_id not in self.placeholders:
            raise Invalid(field_name, f"user {self.by_id[user_id][0]} is not active")
        return user_id

    def _placeholder(self, text: str, run: "Run | None") -> int:
        base = (
            re.sub(r"\s+", "-", unicodedata.normalize("NFKC", text).strip().casefold())[:120]
            or "user"
        )
        login, suffix = base, 1
        while login.casefold() in self._logins:
            suffix += 1
            login = f"{base}-{suffix}"
        stand_in = -1 - len(self._new)
        self._new[stand_in] = (login, text)
        self._add(stand_in, login, text, False)
        self.placeholders.add(stand_in)
        if run is not None:
            run.created(f"user {login} (placeholder)", {"login": login, "name": text})
        return stand_in

    def real(self, user_id: int | None) -> int | None:
        """The id to write for ``user_id`` (a placeholder's, once written)."""
        if user_id is None or user_id >= 0:
            return user_id
        return self._real[user_id]

    def write(self, run: "Run") -> None:
        """Insert the placeholders not written yet, each with its event."""
        new = [(stand_in, *user) for stand_in, user in self._new.items()]
        if not new:
            return
        self._new.clear()
        table = table_of(User)
        ids = run.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {
                    "login": login,
                    "name": name,
                    "active": False,
                    "placeholder": True,
                    "is_admin": False,
                    "created_at": run.now,
                }
                for _, login, name in new
            ],
        ).scalars()
        label = run.ctx.actor.label
        for user_id, (stand_in, login, name) in zip(ids, new, strict=True):
            self._real[stand_in] = user_id
            run.event(
                entity="user",
                entity_id=user_id,
                kind="import.created",
                summary=f"{label} imported {name} as placeholder user {login} (inactive)",
                customer_id=None,
                payload={"source": run.source.name},
            )


class IdSet:
    """Ids seen so far, one bit each: small however long the file is."""

    def __init__(self) -> None:
        self._bits = bytearray()

    def add(self, number: int) -> bool:
        """Add ``number``; True if it was there already."""
        index, bit = divmod(number, 8)
        if index >= len(self._bits):
            self._bits.extend(bytes(index + 4096 - len(self._bits)))
        mask = 1 << bit
        seen = bool(self._bits[index] & mask)
        self._bits[index] |= mask
        return seen

    def __contains__(self, number: int) -> bool:
        index, bit = divmod(number, 8)
        return index < len(self._bits) and bool(self._bits[index] & (1 << bit))


def require_admin(run: Run, what: str) -> None:
    if not run.ctx.actor.is_admin:
        raise PermissionDenied(f"only an admin can import {what}; {run.ctx.actor.login} is not one")


@dataclass
class Pending:
    """A checked create or update, held until its chunk is written."""

    row: int
    key: str
    values: dict[str, Any]
    record_id: int | None = None  # None for a new record
    diffs: list[tuple[str, Any, Any]] = field(default_factory=list)


def attribute_changes(
    run: Run, given: Mapping[str, str] | None, current: Mapping[str, str]
) -> tuple[dict[str, str], list[tuple[str, Any, Any]]]:
    """A record's attributes after its row (``given``: the row's), and a
    (name, old, new) for each one the row changes, named ``[name]`` apart
    from fields. The file's attribute columns are the truth for those names
    (a blank cell removes one); the others are left alone."""
    if not current:  # a new record's (most of a log's rows)
        merged = dict(given or {})
        return merged, [(f"[{name}]", None, value) for name, value in merged.items()]
    names = run.attribute_names
    merged = {k: v for k, v in current.items() if k not in names}
    merged.update(given or {})
    diffs = [
        (f"[{name}]", current.get(name), merged.get(name))
        for name in dict.fromkeys([*current, *merged])
        if current.get(name) != merged.get(name)
    ]
    return merged, diffs


def present_diffs(row: SourceRow, current: Any, names: Iterable[str]) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for the fields the file has that differ from ``current``."""
    diffs = []
    for name in names:
        if name in row.values:
            old = getattr(current, name)
            if row.values[name] != old:
                diffs.append((name, old, row.values[name]))
    return diffs
