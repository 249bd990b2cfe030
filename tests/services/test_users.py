"""Users: the first user bootstraps a database; after that only admins add."""

import pytest

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from backoffice_tui.domain.roles import Role
from backoffice_tui.services.identity import resolve_actor
from backoffice_tui.services.people.users import add_user, list_users, parse_membership
from backoffice_tui.store.database import Database


def test_list_users_with_roles(demo_db: Database) -> None:
    users = {u.login: u for u in list_users(demo_db)}
    assert users["kimura"].teams == {
        "build": ["lead", "operator"],
        "operations": ["approver", "operator"],
    }
    assert users["admin-ito"].is_admin


def test_add_users(demo_db: Database, as_user) -> None:
    with pytest.raises(PermissionDenied, match="only an admin"):
        add_user(demo_db, as_user("david").actor, "newbie", "New", [])
    add_user(
        demo_db, as_user("admin-ito").actor, "newbie", "New", [parse_membership("build:operator")]
    )
    assert list_users(demo_db)[-1].login in {"yamamoto", "newbie"}
    assert {u.login: u.teams for u in list_users(demo_db)}["newbie"] == {"build": ["operator"]}
    with pytest.raises(Conflict):
        add_user(demo_db, as_user("admin-ito").actor, "newbie", "New", [])
    with pytest.raises(NotFound, match="no team 'nope'"):
        add_user(demo_db, as_user("admin-ito").actor, "other", "O", [("nope", Role.OPERATOR)])


def test_first_user_becomes_admin(empty_db: Database) -> None:
    add_user(empty_db, None, "first", "First", [])
    assert list_users(empty_db)[0].is_admin
    with pytest.raises(PermissionDenied):
        add_user(empty_db, None, "second", "Second", [])


def test_membership_parsing() -> None:
    assert parse_membership("build:lead") == ("build", Role.LEAD)
    assert parse_membership("build") == ("build", Role.OPERATOR)
    with pytest.raises(InvalidInput, match="unknown role"):
        parse_membership("build:boss")


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_sqlite_identity_is_the_user_option_or_os_login(demo_db: Database) -> None:
    """On SQLite any user may be named; PostgreSQL identity is tested with real
    login roles in tests/cli/test_identity.py."""
    assert resolve_actor(demo_db, "sato").login == "sato"
    with pytest.raises(NotFound, match="users add"):
        resolve_actor(demo_db, "stranger")
