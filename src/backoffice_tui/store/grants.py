"""PostgreSQL privileges for the team set-up: a service role and a reporting role.

The owner role owns the database and its tables and runs migrations. The
service role, the only one the console and the command line connect as,
may read every table and write only as the services do: no DDL, no
TRUNCATE, no triggers, decisions, revisions and events insert-only, rows
deleted only where a service deletes them, and the schema version left to
the owner. The reporting role may only read.

The statements revoke everything first and then grant, so running them
again after a migration (new tables) converges on exactly these privileges.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

VERSION_TABLE = "alembic_version"
# Immutable records, the append-only event log (also guarded by a trigger),
# and the schema version, which only migrations change.
NEVER_UPDATED = frozenset({"events", "approval_decisions", "document_revisions", VERSION_TABLE})
# The only rows a service deletes: an approver's part handed on by forward()
# (or by a leaver's handover), a role an admin takes from a user, and a work
# item's time so far when it is rebuilt from its events.
DELETED_BY_SERVICES = frozenset({"approval_stage_approvers", "team_memberships", "work_item_stays"})


def table_names() -> list[str]:
    """Every table of the schema, the schema version's included."""
    # the models load here, where every table is needed, rather than with
    # every command that opens a database
    from backoffice_tui.store import models  # noqa: F401  (registers every table)
    from backoffice_tui.store.base import Base

    return sorted([*Base.metadata.tables, VERSION_TABLE])


def service_privileges(table: str) -> tuple[str, ...]:
    privileges = ["SELECT"]
    if table != VERSION_TABLE:
        privileges.append("INSERT")
    if table not in NEVER_UPDATED:
        privileges.append("UPDATE")
    if table in DELETED_BY_SERVICES:
        privileges.append("DELETE")
    return tuple(privileges)


def quote(name: str) -> str:
    """``name`` as a PostgreSQL identifier, always quoted.

    Not SQLAlchemy's preparer: for a driver with the ``%s`` paramstyle it
    doubles every ``%``, which psql would then take literally.
    """
    from psycopg import sql  # the driver loads only where grants are made: on PostgreSQL

    return sql.Identifier(name).as_string(None)


def grant_statements(
    *,
    database: str,
    schema: str,
    service_role: str,
    readonly_role: str | None = None,
) -> list[str]:
    """The statements, in order, that set the privileges of both roles."""
    db, ns = quote(database), quote(schema)
    service = quote(service_role)
    roles = [service] if readonly_role is None else [service, quote(readonly_role)]
    everyone = ", ".join(["PUBLIC", *roles])
    ours = ", ".join(roles)

    def tables(names: Iterable[str]) -> str:
        return ", ".join(f"{ns}.{quote(name)}" for name in names)

    statements = [
        f"REVOKE CREATE ON SCHEMA {ns} FROM PUBLIC",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {ns} FROM {everyone}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {ns} FROM {everyone}",
        f"REVOKE ALL ON SCHEMA {ns} FROM {ours}",
        f"GRANT CONNECT ON DATABASE {db} TO {ours}",
        f"GRANT USAGE ON SCHEMA {ns} TO {ours}",
    ]
    by_privileges: dict[tuple[str, ...], list[str]] = {}
    for name in table_names():
        by_privileges.setdefault(service_privileges(name), []).append(name)
    for privileges, names in sorted(by_privileges.items(), key=lambda pair: -len(pair[0])):
        statements.append(f"GRANT {', '.join(privileges)} ON TABLE {tables(names)} TO {service}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {ns} TO {service}")
    if readonly_role is not None:
        statements.append(f"GRANT SELECT ON TABLE {tables(table_names())} TO {roles[1]}")
    return statements


@dataclass(frozen=True)
class Placement:
    """Where the schema is and who is connected."""

    database: str
    schema: str | None  # None: no backoffice schema in this database
    current_role: str


def placement(connection: Connection) -> Placement:
    row = connection.execute(
        text(
            "SELECT current_database(), "
            "(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE c.oid = to_regclass('{VERSION_TABLE}')), current_user"
        )
    ).one()
    return Placement(database=row[0], schema=row[1], current_role=row[2])


def missing_roles(connection: Connection, roles: Sequence[str]) -> list[str]:
    found = set(
        connection.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"),
            {"names": list(roles)},
        ).scalars()
    )
    return [role for role in roles if role not in found]


def unrestrictable(connection: Connection, role: str, schema: str) -> str | None:
    """Why no grant can restrict ``role`` here (None if grants can)."""
    row = connection.execute(
        text(
            "SELECT r.rolsuper, r.rolbypassrls, "
            "pg_has_role(r.rolname, n.nspowner, 'MEMBER'), "
            "EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid "
            "AND c.relkind IN ('r', 'p', 'S') AND pg_has_role(r.rolname, c.relowner, 'MEMBER')) "
            "FROM pg_roles r, pg_namespace n WHERE r.rolname = :role AND n.nspname = :schema"
        ),
        {"role": role, "schema": schema},
    ).one()
    superuser, bypass_rls, owns_schema, owns_tables = row
    if superuser:
        return "is a superuser"
    if bypass_rls:
        return "bypasses row security"
    if owns_schema or owns_tables:
        return f"owns schema {schema} or its tables (or is a member of their owner)"
    return None


def not_owned(connection: Connection, schema: str) -> list[str]:
    """The schema itself and the tables and sequences in it that the
    connected role cannot grant on, as neither their owner nor a superuser;
    the schema first."""
    return list(
        connection.execute(
            text(
                "SELECT name FROM ("
                "SELECT 0 AS rank, 'schema ' || n.nspname AS name, n.nspowner AS owner "
                "FROM pg_namespace n WHERE n.nspname = :schema "
                "UNION ALL "
                "SELECT 1, c.relname, c.relowner FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'S')"
                ") AS objects "
                "WHERE NOT pg_has_role(current_user, owner, 'USAGE') "
                "AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                "ORDER BY rank, name"
            ),
            {"schema": schema},
        ).scalars()
    )


def execute_statements(connection: Connection, statements: Sequence[str]) -> None:
    # Without parameters the driver sends each statement as written: a quoted
    # role name may hold '%' or ':'.
    plain = connection.execution_options(no_parameters=True)
    for statement in statements:
        plain.exec_driver_sql(statement)
