"""Opening the database and managing its schema, for the command line and the console.

``with_retries`` is the one way to try a connection again: after a refusal
that passes (a server full of clients, a connection that timed out, a
restart), it waits with exponential backoff and full jitter, so that clients
refused together do not come back together. A refused password is never
retried.
"""

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from backoffice_tui.domain.errors import (
    ConfigError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SchemaMismatch,
    ServerBusy,
)
from backoffice_tui.store import grants, schema
from backoffice_tui.store.database import Database
from backoffice_tui.store.engine import (
    CONNECT_TIMEOUT,
    PasswordResolver,
    create_database_engine,
    parse_database_url,
)

log = logging.getLogger(__name__)
_T = TypeVar("_T")

__all__ = [
    "CONNECT_TIMEOUT",
    "URL",
    "Backoff",
    "Database",
    "Grants",
    "PasswordResolver",
    "SchemaStatus",
    "apply_grants",
    "check_password",
    "grant_statements",
    "jittered",
    "open_database",
    "parse_database_url",
    "with_retries",
]


#: The connections a command or a console keeps in its pool: one, so that a
#: console holds at most two (this one and its change listener's) however
#: often it reconnects, and hundreds of sessions fit one server.
CLIENT_POOL_SIZE = 1


@dataclass(frozen=True)
class Backoff:
    """How often, and after how long, a connection is tried again.

    The n-th wait is a random time between 0 and ``first * 2**n`` seconds,
    capped at ``most`` ("full jitter"): clients refused at the same moment
    spread out instead of knocking again in step.
    """

    attempts: int = 5  # tries in all, the first included
    first: float = 0.25
    most: float = 4.0

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        pick = rng or random.Random()
        for n in range(self.attempts - 1):
            yield pick.uniform(0, min(self.most, self.first * 2**n))


def jittered(seconds: float, rng: random.Random | None = None) -> float:
    """A wait of between half ``seconds`` and ``seconds``, for a loop that
    reconnects for as long as it runs (the console's change feed): clients
    that lost the server together spread out when it comes back."""
    return (rng or random).uniform(seconds / 2, seconds)


#: What a command does when it cannot connect: at most 4 s of waits in all.
COMMAND_BACKOFF = Backoff()


def with_retries(
    call: Callable[[], _T],
    backoff: Backoff = COMMAND_BACKOFF,
    *,
    sleep: Callable[[float], object] = time.sleep,
    rng: random.Random | None = None,
) -> _T:
    """``call()``, tried again while the server refuses for a reason that
    passes (too many clients, a connection timed out, a restart); the last
    refusal is raised as it was. Anything else (a refused password, a server
    that is not there, a missing file) is raised at once."""
    delays = backoff.delays(rng)
    while True:
        try:
            return call()
        except ServerBusy as error:
            delay = next(delays, None)
            if delay is None:
                raise
            log.info("database unavailable (%s); trying again in %.2f s", error, delay)
            sleep(delay)


def open_database(
    url: str,
    *,
    create: bool = False,
    check_schema: bool = True,
    password_resolver: PasswordResolver | None = None,
    pool_size: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    backoff: Backoff | None = None,
) -> Database:
    """Open ``url``; by default refuse a schema other than this program's.

    A missing SQLite file is refused unless ``create`` is true; ``pool_size``
    bounds the connections held and ``connect_timeout`` the seconds one may
    take to open (see ``create_database_engine``). With ``backoff``, the
    first connection to a PostgreSQL server (the schema check) is tried
    again as ``with_retries`` says; a SQLite file is never retried.
    """
    engine = create_database_engine(
        url,
        create=create,
        password_resolver=password_resolver,
        pool_size=pool_size,
        connect_timeout=connect_timeout,
    )
    try:
        if check_schema:
            if backoff is None or engine.dialect.name != "postgresql":
                schema.ensure_current(engine)
            else:
                with_retries(lambda: schema.ensure_current(engine), backoff)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


def check_password(
    url: str, user: str, password: str, *, connect_timeout: float = CONNECT_TIMEOUT
) -> None:
    """Connect to the PostgreSQL server of ``url`` as ``user`` with exactly
    ``password`` (no other source is tried); PasswordRefused if the server
    refuses it, DatabaseUnavailable if it cannot be reached."""
    parsed = parse_database_url(url)
    with_password = parsed.set(username=user, password=password)
    engine = create_database_engine(
        with_password.render_as_string(hide_password=False),
        pool_size=1,
        connect_timeout=connect_timeout,
    )
    try:
        schema.current_revision(engine)  # one connection and one read
    finally:
        engine.dispose()


@dataclass(frozen=True)
class SchemaStatus:
    database: str
    current: str | None
    head: str

    @property
    def status(self) -> str:
        if self.current == self.head:
            return "current"
        return "empty" if self.current is None else "differs"


def schema_status(db: Database) -> SchemaStatus:
    return SchemaStatus(db.description, schema.current_revision(db.engine), schema.head_revision())


def upgrade_schema(db: Database) -> tuple[str | None, str]:
    """Create or upgrade the schema; returns the revisions before and after."""
    return schema.upgrade(db.engine)


# --- PostgreSQL grants for the team set-up ---------------------------------------------


@dataclass(frozen=True)
class Grants:
    """The privileges of the service and reporting roles, as statements."""

    database: str
    schema: str
    service_role: str
    readonly_role: str | None
    statements: tuple[str, ...]


def _plan_grants(
    connection: Connection,
    db: Database,
    service_role: str,
    readonly_role: str | None,
    *,
    applying: bool,
) -> Grants:
    if db.dialect != "postgresql":
        raise ConfigError(
            f"database grants are for PostgreSQL; {db.description} is a SQLite file, "
            "whose file permissions decide who may change it"
        )
    roles = [service_role] if readonly_role is None else [service_role, readonly_role]
    if any(not role.strip() for role in roles):
        raise InvalidInput("a role name is required")
    if service_role == readonly_role:
        raise InvalidInput(f"the service and read-only roles must differ (both {service_role!r})")
    where = grants.placement(connection)
    if where.schema is None:
        raise SchemaMismatch(
            f"the database {db.description} has no backoffice schema; create it with "
            "`backoffice db upgrade` first"
        )
    missing = grants.missing_roles(connection, roles)
    if missing:
        raise NotFound(
            f"no role {', '.join(missing)} on this server; a superuser creates it with "
            f"CREATE ROLE {missing[0]} LOGIN PASSWORD '...'"
        )
    for role in roles:
        why = grants.unrestrictable(connection, role, where.schema)
        if why is not None:
            raise InvalidInput(
                f"role {role} {why}: no grant can restrict it; use a role of its own"
            )
    if applying:
        foreign = grants.not_owned(connection, where.schema)
        if foreign:
            shown = ", ".join(foreign[:3])
            if len(foreign) > 3:
                shown += f" and {len(foreign) - 3} more"
            raise PermissionDenied(
                f"{where.current_role} does not own {shown}; run the grants as the role that "
                "owns the schema and ran `backoffice db upgrade`"
            )
    statements = grants.grant_statements(
        database=where.database,
        schema=where.schema,
        service_role=service_role,
        readonly_role=readonly_role,
    )
    return Grants(db.description, where.schema, service_role, readonly_role, tuple(statements))


def grant_statements(
    db: Database, service_role: str, readonly_role: str | None = None
) -> list[str]:
    """The SQL giving ``service_role`` what the services need and
    ``readonly_role`` read access only, for psql (see store/grants.py)."""
    with db.read() as session:
        plan = _plan_grants(session.connection(), db, service_role, readonly_role, applying=False)
    return list(plan.statements)


def apply_grants(db: Database, service_role: str, readonly_role: str | None = None) -> Grants:
    """Set both roles' privileges in one transaction, as the connected owner."""
    try:
        with db.write() as session:
            connection = session.connection()
            plan = _plan_grants(connection, db, service_role, readonly_role, applying=True)
            grants.execute_statements(connection, plan.statements)
    except DBAPIError as error:
        if error.connection_invalidated:
            raise
        reason = str(error.orig).strip().splitlines()[0]
        raise PermissionDenied(f"the grants were refused and nothing changed: {reason}") from None
    return plan
