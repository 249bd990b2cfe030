"""The team set-up on PostgreSQL: a non-superuser owner runs the migrations
and the grants; the service role can do everything the services do and
nothing else; the reporting role can only read."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from sqlalchemy import select

from backoffice_tui.demo.load import load_demo
from backoffice_tui.domain.errors import (
    ConfigError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.domain.roles import Role
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.io.importing import prepare_import
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.connection import (
    apply_grants,
    grant_statements,
    open_database,
    schema_status,
    upgrade_schema,
)
from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.records import (
    CustomerChanges,
    NewCustomer,
    add_customer,
    edit_customer,
)
from backoffice_tui.services.events import ChangeFeed
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs.documents import add_document, add_revision
from backoffice_tui.services.imports import ImportOptions, RecordKind, run_import
from backoffice_tui.services.people.delegations import add_delegation, end_delegation
from backoffice_tui.services.people.handover import deactivate_user
from backoffice_tui.services.people.users import UserEdit, add_user, edit_user
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.cancel import cancel_line
from backoffice_tui.services.work.edits import edit_item
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.store.database import Database
from backoffice_tui.store.grants import table_names
from backoffice_tui.store.models import (
    ApprovalStageApprover,
    Customer,
    Event,
    TeamMembership,
    User,
    WorkItem,
)
from backoffice_tui.sync.listener import ChangeListener
from tests.cli.support import fails, ok, ok_json
from tests.conftest import DEMO_YOU, approve_through, pg_admin, resolve_actor_for
from tests.helpers import stage
from tests.io.files import japanese_customers_cp932
from tests.postgres_server import PostgresServer
from tests.services.test_approvals import detail, open_on_order
from tests.services.test_handoffs import find_handoff
from tests.services.test_work_items import find_item

OWNER, SERVICE, REPORTING = "owner", "service", "reporting"
DATABASE = "team"
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def create_role(server: PostgresServer, role: str, options: str = "LOGIN") -> None:
    """Create ``role`` once per server (roles are shared by its databases)."""
    pg_admin(
        server,
        sql.SQL(
            "DO $$ BEGIN CREATE ROLE {} " + options + "; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        .format(sql.Identifier(role))
        .as_string(),
    )


def libpq(url: str) -> str:
    return url.replace("+psycopg", "")


@dataclass
class Team:
    server: PostgresServer
    owner: Database
    service: Database

    def url(self, role: str) -> str:
        return self.server.url(DATABASE, user=role)

    def connect(self, role: str) -> psycopg.Connection[Any]:
        return psycopg.connect(libpq(self.url(role)), autocommit=True)

    def as_user(self, login: str) -> Context:
        """A demo user acting through the service role's connection."""
        return Context(self.service, resolve_actor_for(self.service, login))


@pytest.fixture(scope="module")
def team(pg_server: PostgresServer) -> Iterator[Team]:
    """A database owned by a non-superuser, its schema upgraded by that owner,
    the grants applied by it, and the demo loaded through the service role."""
    for role in (OWNER, SERVICE, REPORTING):
        create_role(pg_server, role)
    pg_admin(pg_server, f"CREATE DATABASE {DATABASE} OWNER {OWNER}")
    owner = open_database(pg_server.url(DATABASE, user=OWNER), check_schema=False)
    upgrade_schema(owner)
    apply_grants(owner, SERVICE, REPORTING)
    service = open_database(pg_server.url(DATABASE, user=SERVICE))
    load_demo(service, you_login=DEMO_YOU)
    try:
        yield Team(pg_server, owner, service)
    finally:
        service.dispose()
        owner.dispose()


def privileges_of(team: Team, role: str) -> dict[str, set[str]]:
    """What ``role`` may do: per table, and on the schema and its sequences."""
    with team.connect(OWNER) as connection:
        found: dict[str, set[str]] = {}
        for table in table_names():
            found[table] = {
                privilege
                for privilege in TABLE_PRIVILEGES
                if connection.execute(
                    "SELECT has_table_privilege(%s, %s, %s)", (role, f"public.{table}", privilege)
                ).fetchone()[0]  # type: ignore[index]
            }
        found["schema"] = {
            privilege
            for privilege in ("USAGE", "CREATE")
            if connection.execute(
                "SELECT has_schema_privilege(%s, 'public', %s)", (role, privilege)
            ).fetchone()[0]  # type: ignore[index]
        }
        sequences = connection.execute(
            "SELECT c.oid::regclass::text FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'S'"
        ).fetchall()
        assert sequences
        found["sequences"] = set.intersection(
            *(
                {
                    privilege
                    for privilege in ("USAGE", "SELECT", "UPDATE")
                    if connection.execute(
                        "SELECT has_sequence_privilege(%s, %s, %s)", (role, name, privilege)
                    ).fetchone()[0]  # type: ignore[index]
                }
                for (name,) in sequences
            )
        )
    return found


# --- the owner ------------------------------------------------------------------------------


def test_a_non_superuser_owner_upgrades_the_schema_and_owns_every_table(team: Team) -> None:
    assert schema_status(team.owner).status == "current"
    with team.connect(OWNER) as connection:
        assert connection.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s",
            (OWNER,),
        ).fetchone() == (False, False, False)
        owners = connection.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    assert owners == [(OWNER,)]


def test_the_privileges_are_exactly_those_the_services_need(team: Team) -> None:
    service = privileges_of(team, SERVICE)
    assert service.pop("schema") == {"USAGE"}
    assert service.pop("sequences") == {"USAGE", "SELECT"}
    assert service.pop("alembic_version") == {"SELECT"}
    for table in ("events", "approval_decisions", "document_revisions"):
        assert service.pop(table) == {"SELECT", "INSERT"}, table
    for table in ("approval_stage_approvers", "team_memberships", "work_item_stays"):
        assert service.pop(table) == {"SELECT", "INSERT", "UPDATE", "DELETE"}, table
    assert len(service) > 15
    assert all(granted == {"SELECT", "INSERT", "UPDATE"} for granted in service.values()), service

    reporting = privileges_of(team, REPORTING)
    assert reporting.pop("schema") == {"USAGE"}
    assert reporting.pop("sequences") == set()
    assert set(reporting) == set(table_names())
    assert all(granted == {"SELECT"} for granted in reporting.values()), reporting


def test_running_the_grants_again_changes_nothing_and_undoes_any_drift(team: Team) -> None:
    before = {role: privileges_of(team, role) for role in (SERVICE, REPORTING)}
    statements = grant_statements(team.owner, SERVICE, REPORTING)
    assert apply_grants(team.owner, SERVICE, REPORTING).statements == tuple(statements)
    assert {role: privileges_of(team, role) for role in (SERVICE, REPORTING)} == before

    with team.connect(OWNER) as connection:
        connection.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {SERVICE}, {REPORTING}")
        connection.execute(f"GRANT CREATE ON SCHEMA public TO {SERVICE}, PUBLIC")
        connection.execute("GRANT SELECT ON public.users TO PUBLIC")
        connection.execute(f"REVOKE INSERT ON public.events FROM {SERVICE}")
    assert privileges_of(team, SERVICE)["users"] == set(TABLE_PRIVILEGES)
    apply_grants(team.owner, SERVICE, REPORTING)
    assert {role: privileges_of(team, role) for role in (SERVICE, REPORTING)} == before
    with team.connect(OWNER) as connection:
        public = connection.execute(
            "SELECT has_schema_privilege('public', 'public', 'CREATE'), "
            "EXISTS (SELECT 1 FROM information_schema.role_table_grants "
            "WHERE grantee = 'PUBLIC' AND table_schema = 'public')"
        ).fetchone()
    assert public == (False, False)


# --- the service role ---------------------------------------------------------------------------


def test_the_service_role_runs_every_kind_of_action(team: Team, tmp_path: Path) -> None:
    db, as_user = team.service, team.as_user
    with db.read() as session:
        assert session.execute(select(Event.id).limit(1)).scalar() is not None

    approved = open_on_order(as_user("david"), stage("Design", "sato"))
    approvals.approve(as_user("sato"), approved, "fine")
    assert detail(as_user("david"), approved).state == "approved"

    rejected = open_on_order(as_user("david"), stage("Design", "sato"))
    approvals.reject(as_user("sato"), rejected, "not this quarter")
    assert detail(as_user("david"), rejected).state == "rejected"

    forwarded = open_on_order(as_user("david"), stage("Sales", "suzuki"))
    approvals.forward(as_user("suzuki"), forwarded, "emily", "Emily owns this account")
    assert detail(as_user("david"), forwarded).current.approvers == ("emily",)
    with db.read() as session:
        entries = session.scalars(select(ApprovalStageApprover.approver)).all()
    assert "emily" in entries

    item = find_item(db, "design", WorkStatus.READY)
    david = as_user("david")
    work_items.claim(david, item.id)
    lifecycle.start(david, item.id)
    approve_through(db, "work_item", item.id)
    lifecycle.done(david, item.id)

    row = find_handoff(db, "ORD-2026-0042", "submitted")
    handoffs.accept(as_user("olivia"), row.id)
    draft = find_handoff(db, "ORD-2026-0007", "draft")
    document = add_document(as_user("kimura"), draft.id, "Speed test", "//fs/speed-r1.csv")
    assert add_revision(as_user("ryan"), document, "//fs/speed-r2.csv") == 2

    path = japanese_customers_cp932(tmp_path / "顧客.csv")
    with prepare_import(path, RecordKind.CUSTOMERS) as prepared:
        report = run_import(as_user("admin-ito"), prepared.source(), ImportOptions())
    assert report.created == 3
    with db.read() as session:
        assert session.scalar(select(Customer.name).where(Customer.code == "K001"))


SERVICE_REFUSED = [
    "UPDATE approval_decisions SET comment = 'forged'",
    "DELETE FROM approval_decisions",
    "UPDATE events SET summary = 'forged'",
    "DELETE FROM events",
    "INSERT INTO alembic_version VALUES ('9999')",
    "UPDATE alembic_version SET version_num = '9999'",
    "DELETE FROM alembic_version",
    "UPDATE document_revisions SET location = '//elsewhere'",
    "DELETE FROM document_revisions",
    "DELETE FROM users",
    "DELETE FROM delegations",
    "DELETE FROM approval_requests",
    "DELETE FROM work_items",
    *(f"TRUNCATE {table}" for table in ("events", "users", "approval_stage_approvers")),
    "CREATE TABLE stash (secret text)",
    "CREATE TABLE public.stash (secret text)",
    "ALTER TABLE users ADD COLUMN backdoor text",
    "ALTER TABLE events DISABLE TRIGGER events_append_only",
    "DROP TABLE approval_decisions",
    "CREATE FUNCTION public.wipe() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RETURN NULL; END $$",
    "CREATE TRIGGER hide BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_notify()",
    "ALTER TABLE users ADD CONSTRAINT fk_x FOREIGN KEY (id) REFERENCES teams (id)",
]


def test_the_service_role_keeps_the_everyday_records(team: Team) -> None:
    """Every write of the records a back office enters by hand, through the
    role the console and the command line connect as."""
    db, as_user, admin = team.service, team.as_user, team.as_user("admin-ito")
    add_customer(
        as_user("kimura"), NewCustomer("G001", "権限テスト", attributes={"Region": "Kanto"})
    )
    edit_customer(as_user("kimura"), "G001", CustomerChanges(segment="smb"), expected_version=1)
    order_id = create_order(
        as_user("kimura"), NewOrder("G-1", "G001", ("cloud", "network-line"), date.today())
    )
    cancel_line(as_user("kimura"), "G-1", 2, "one site only")
    with db.read() as session:
        step = session.scalars(
            select(WorkItem).where(WorkItem.order_id == order_id).order_by(WorkItem.id)
        ).first()
        assert step is not None
        step_id, version, team_id = step.id, step.version, step.team_id
        lead = session.scalars(
            select(User.login)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(TeamMembership.team_id == team_id, TeamMembership.role == "lead")
        ).first()
    assert lead is not None
    edit_item(as_user(lead), step_id, priority=1, reason="urgent", expected_version=version)
    away = add_delegation(
        admin, to_login="sato", starts_on=date.today(), ends_on=date.today(), from_login="emily"
    )
    end_delegation(admin, away)
    add_user(db, admin.actor, "leaver", "Leaves", [("build", Role.OPERATOR), ("build", Role.LEAD)])
    edit_user(db, admin.actor, "leaver", UserEdit(remove=(("build", Role.LEAD),)))
    deactivate_user(admin, "leaver", None)
    with db.read() as session:
        kinds = set(session.scalars(select(Event.kind).where(Event.id > 0)))
    assert {"customer.created", "customer.edited", "order.created", "work_item.edited"} <= kinds
    assert {"delegation.added", "delegation.ended", "user.edited", "user.deactivated"} <= kinds


@pytest.mark.parametrize("statement", SERVICE_REFUSED)
def test_the_service_role_cannot_tamper(team: Team, statement: str) -> None:
    with team.connect(SERVICE) as connection, pytest.raises(errors.InsufficientPrivilege):
        connection.execute(statement)


def test_even_the_owner_cannot_change_an_event(team: Team) -> None:
    with team.connect(OWNER) as connection, pytest.raises(errors.RaiseException):
        connection.execute("UPDATE events SET summary = 'forged'")


# --- the reporting role ---------------------------------------------------------------------


REPORTING_REFUSED = [
    "UPDATE approval_requests SET state = 'approved'",
    "INSERT INTO delegations (from_user_id, to_user_id, starts_on, ends_on) "
    "SELECT a.id, b.id, current_date, current_date + 30 FROM users a, users b "
    "WHERE a.login = 'sato' AND b.login = 'ryan'",
    "UPDATE users SET is_admin = true WHERE login = 'ryan'",
    "UPDATE users SET login = CASE login WHEN 'sato' THEN 'ryan' ELSE 'sato' END "
    "WHERE login IN ('sato', 'ryan')",
    "INSERT INTO events (at, actor_name, entity, entity_id, kind, summary, payload) VALUES "
    "('2020-01-01', 'sato', 'work_item', 1, 'work_item.done', 'done long ago', '{}')",
    "UPDATE alembic_version SET version_num = '0001'",
    "DELETE FROM alembic_version",
    "DELETE FROM work_items",
    "TRUNCATE customers",
    "CREATE TABLE public.stash (secret text)",
    "SELECT nextval('events_id_seq')",
]


def test_the_reporting_role_reads_everything(team: Team) -> None:
    with team.connect(REPORTING) as connection:
        for table in table_names():
            connection.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()
        assert connection.execute("SELECT count(*) FROM events").fetchone()[0] > 100  # type: ignore[index]


@pytest.mark.parametrize("statement", REPORTING_REFUSED)
def test_the_reporting_role_writes_nothing(team: Team, statement: str) -> None:
    with team.connect(REPORTING) as connection, pytest.raises(errors.InsufficientPrivilege):
        connection.execute(statement)


# --- the console's change feed -------------------------------------------------------------


def test_a_new_service_connection_follows_the_change_feed(team: Team) -> None:
    db = open_database(team.url(SERVICE))
    woken = threading.Event()
    listener = ChangeListener(db, woken.set, check_every=0.1)
    try:
        feed = ChangeFeed(db)
        assert feed.read() == []
        listener.start()
        assert listener.connected.wait(10)
        woken.clear()
        item = find_item(db, "design", WorkStatus.READY)
        work_items.claim(team.as_user("david"), item.id)
        records = feed.read()
        assert [(r.kind, r.entity_id) for r in records] == [("work_item.claimed", item.id)]
        assert woken.wait(10)
    finally:
        listener.stop()
        db.dispose()


# --- refusals ---------------------------------------------------------------------------------


def test_grants_need_postgresql_existing_roles_and_the_owner(team: Team, tmp_path: Path) -> None:
    sqlite = open_database(f"sqlite:///{tmp_path / 'x.db'}", create=True, check_schema=False)
    try:
        with pytest.raises(ConfigError, match="grants are for PostgreSQL"):
            grant_statements(sqlite, SERVICE)
    finally:
        sqlite.dispose()
    with pytest.raises(NotFound, match="no role nobody"):
        grant_statements(team.owner, SERVICE, "nobody")
    with pytest.raises(InvalidInput, match="must differ"):
        grant_statements(team.owner, SERVICE, SERVICE)
    with pytest.raises(InvalidInput, match=f"role {OWNER} owns schema public"):
        grant_statements(team.owner, OWNER)
    with pytest.raises(InvalidInput, match="role postgres is a superuser"):
        grant_statements(team.owner, "postgres")
    reporting = open_database(team.url(REPORTING))
    try:
        with pytest.raises(PermissionDenied, match=f"{REPORTING} does not own schema public"):
            apply_grants(reporting, SERVICE)
    finally:
        reporting.dispose()


def test_role_names_are_quoted(team: Team) -> None:
    odd = 'Odd "role"; %s:x'
    create_role(team.server, odd, "NOLOGIN")
    applied = apply_grants(team.owner, odd)
    assert any('"Odd ""role""; %s:x"' in s for s in applied.statements)
    assert privileges_of(team, odd)["users"] == {"SELECT", "INSERT", "UPDATE"}
    assert privileges_of(team, odd)["events"] == {"SELECT", "INSERT"}


# --- the command line ---------------------------------------------------------------------------


def test_db_grants_prints_the_statements_and_applies_them(team: Team, tmp_path: Path) -> None:
    owner = ["--database", team.url(OWNER)]
    printed = ok(*owner, "db", "grants", "--service", SERVICE, "--readonly", REPORTING).stdout
    lines = printed.splitlines()
    assert lines == [f"{s};" for s in grant_statements(team.owner, SERVICE, REPORTING)]
    assert lines[0] == 'REVOKE CREATE ON SCHEMA "public" FROM PUBLIC;'
    assert lines[-1].startswith("GRANT SELECT ON TABLE ")
    assert lines[-1].endswith(f' TO "{REPORTING}";')
    # ready for psql: the printed script applied as the owner gives the same privileges
    before = privileges_of(team, SERVICE)
    with team.connect(OWNER) as connection:
        connection.execute(printed)
    assert privileges_of(team, SERVICE) == before

    said = ok(*owner, "db", "grants", "--service", SERVICE, "--readonly", REPORTING, "--apply")
    assert said.stdout.startswith("granted on ") and f"/{DATABASE} (" in said.stdout
    assert f"{REPORTING} may only read" in said.stdout
    as_json = ok_json(*owner, "db", "grants", "--service", SERVICE, "--apply")
    assert as_json["applied"] is True and as_json["readonly"] is None
    assert as_json["statements"] == grant_statements(team.owner, SERVICE)
    assert privileges_of(team, SERVICE) == before

    fails(*owner, "db", "grants", "--service", "nobody", contains="no role nobody")
    fails(
        "--database",
        team.url(SERVICE),
        "db",
        "grants",
        "--service",
        REPORTING,
        "--apply",
        contains=f"{SERVICE} does not own",
    )
    path = tmp_path / "local.db"
    ok("--database", f"sqlite:///{path}", "db", "upgrade")
    fails(
        "--database",
        f"sqlite:///{path}",
        "db",
        "grants",
        "--service",
        SERVICE,
        contains="grants are for PostgreSQL",
    )
