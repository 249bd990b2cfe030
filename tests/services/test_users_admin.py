"""Admins change a user's name, memberships and admin flag; a database keeps
an admin; a deactivated user can no longer sign in."""

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import InvalidInput, NotFound, PermissionDenied
from backoffice_tui.domain.roles import Role
from backoffice_tui.services.identity import resolve_actor
from backoffice_tui.services.people.handover import deactivate_user
from backoffice_tui.services.people.users import UserEdit, edit_user, list_users
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event


def user(db: Database, login: str):  # type: ignore[no-untyped-def]
    return {u.login: u for u in list_users(db)}[login]


def test_an_admin_edits_name_roles_and_admin_flag(demo_db: Database, as_user) -> None:
    admin = as_user("admin-ito").actor
    changes = edit_user(
        demo_db,
        admin,
        "yamamoto",
        UserEdit(
            name="山本 健",
            add=(("build", Role.LEAD), ("design", Role.OPERATOR)),
            remove=(("build", Role.OPERATOR),),
            admin=True,
        ),
    )
    assert changes == [
        "name '山本 大輔' -> '山本 健'",
        "no longer operator in build",
        "lead in build",
        "operator in design",
        "admin",
    ]
    row = user(demo_db, "yamamoto")
    assert row.name == "山本 健" and row.is_admin
    assert row.teams == {"build": ["lead"], "design": ["operator"]}
    with demo_db.read() as session:
        event = session.scalars(select(Event).where(Event.kind == "user.edited")).one()
        assert event.actor_name == "admin-ito" and "lead in build" in event.summary
    # the same again changes nothing and records nothing
    assert edit_user(demo_db, admin, "yamamoto", UserEdit(add=(("build", Role.LEAD),))) == []


def test_edit_refusals(demo_db: Database, as_user) -> None:
    admin = as_user("admin-ito").actor
    with pytest.raises(PermissionDenied, match="only an admin can edit users"):
        edit_user(demo_db, as_user("kimura").actor, "ryan", UserEdit(name="R"))
    with pytest.raises(NotFound, match="no user 'nobody'"):
        edit_user(demo_db, admin, "nobody", UserEdit(name="N"))
    with pytest.raises(NotFound, match="no team 'nope'"):
        edit_user(demo_db, admin, "ryan", UserEdit(add=(("nope", Role.LEAD),)))
    with pytest.raises(InvalidInput, match="ryan is not lead in team build"):
        edit_user(demo_db, admin, "ryan", UserEdit(remove=(("build", Role.LEAD),)))
    with pytest.raises(InvalidInput, match="nothing to change"):
        edit_user(demo_db, admin, "ryan", UserEdit())
    with pytest.raises(InvalidInput, match="name cannot be empty"):
        edit_user(demo_db, admin, "ryan", UserEdit(name="  "))
    # refused whole: the valid part is not applied either
    with pytest.raises(NotFound):
        edit_user(demo_db, admin, "ryan", UserEdit(name="Ryan", add=(("nope", Role.LEAD),)))
    assert user(demo_db, "ryan").name == "Ryan O'Neill"


def test_the_last_admin_stays_an_admin(demo_db: Database, as_user) -> None:
    admin = as_user("admin-ito").actor
    with pytest.raises(PermissionDenied, match="admin-ito is the last admin"):
        edit_user(demo_db, admin, "admin-ito", UserEdit(admin=False))
    edit_user(demo_db, admin, "mori", UserEdit(admin=True))
    assert edit_user(demo_db, admin, "admin-ito", UserEdit(admin=False)) == ["no longer admin"]
    mori = as_user("mori")
    with pytest.raises(PermissionDenied, match="mori is the last admin"):
        edit_user(demo_db, mori.actor, "mori", UserEdit(admin=False))


def test_the_last_admin_is_not_deactivated(demo_db: Database, as_user) -> None:
    """admin-ito's console still says admin after mori took the flag away:
    the service reads the database, and mori is the last admin left."""
    stale_admin = as_user("admin-ito")
    edit_user(demo_db, stale_admin.actor, "mori", UserEdit(admin=True))
    edit_user(demo_db, as_user("mori").actor, "admin-ito", UserEdit(admin=False))
    with pytest.raises(PermissionDenied, match="mori is the last admin"):
        deactivate_user(stale_admin, "mori", None)
    with pytest.raises(PermissionDenied, match="cannot deactivate themselves"):
        deactivate_user(as_user("mori"), "mori", None)


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_a_deactivated_user_cannot_sign_in(demo_db: Database, as_user) -> None:
    """On SQLite identity is the login named; PostgreSQL's session_user is
    tested through the command line (tests/cli/test_users_cli.py)."""
    deactivate_user(as_user("admin-ito"), "ryan", "kimura")
    with pytest.raises(PermissionDenied, match="the account 'ryan' is deactivated"):
        resolve_actor(demo_db, "ryan")
    with pytest.raises(NotFound, match="users add"):
        resolve_actor(demo_db, "stranger")
