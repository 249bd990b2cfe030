"""Opening the database and managing its schema, for the command line and the console."""

from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from backoffice_tui.domain.errors import (
    ConfigError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SchemaMismatch,
)
from backoffice_tui.store import grants, schema
from backoffice_tui.store.database import Database
from backoffice_tui.store.engine import PasswordResolver, create_database_engine, parse_database_url

__all__ = [
    "URL",
    "Database",
    "Grants",
    "PasswordResolver",
    "SchemaStatus",
    "apply_grants",
    "grant_statements",
    "open_database",
    "parse_database_url",
]


#: The connections a command or a console keeps in its pool: one, so that a
#: console holds at most two (this one and its change listener's) however
#: often it reconnects, and hundreds of sessions fit one server.
CLIENT_POOL_SIZE = 1


def open_database(
    url: str,
    *,
    create: bool = False,
    check_schema: bool = True,
    password_resolver: PasswordResolver | None = None,
    pool_size: int | None = None,
) -> Database:
    """Open ``url``; by default refuse a schema other than this program's.

    A missing SQLite file is refused unless ``create`` is true; ``pool_size``
    bounds the connections held (see ``create_database_engine``).
    """
    engine = create_database_engine(
        url, create=create, password_resolver=password_resolver, pool_size=pool_size
    )
    try:
        if check_schema:
            schema.ensure_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


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
