"""Teams and organisation files: a new database gets its teams, users and
roles; only admins change them afterwards; a bad file changes nothing."""

from pathlib import Path

import pytest

from backoffice_tui.domain.errors import Conflict, InvalidInput, PermissionDenied
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.people.teams import (
    add_team,
    list_teams_with_members,
    load_organisation,
)
from backoffice_tui.services.people.users import list_users
from backoffice_tui.services.work.templates import load_templates
from backoffice_tui.store.database import Database
from tests.conftest import resolve_actor_for

ORGANISATION = """
[[teams]]
code = "sales-admin"
name = "Sales administration"

[[teams]]
code = "design"
name = "Solution design"

[[teams]]
code = "build"
name = "Build"

[[teams]]
code = "provisioning"
name = "Provisioning"

[[teams]]
code = "operations"
name = "Operations"

[[teams]]
code = "maintenance"
name = "Maintenance"

[[users]]
login = "owner"
name = "Owner"
admin = true

[[users]]
login = "tanaka"
name = "田中 花子"
teams = { sales-admin = ["operator"], build = ["operator", "lead"] }
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_organisation_file_sets_up_a_new_database(empty_db: Database, tmp_path: Path) -> None:
    result = load_organisation(empty_db, None, _file(tmp_path, ORGANISATION))
    assert (result.teams_added, result.users_added, result.memberships_added) == (6, 2, 3)
    users = {u.login: u for u in list_users(empty_db)}
    assert users["owner"].is_admin and not users["tanaka"].is_admin
    assert users["tanaka"].teams == {"build": ["lead", "operator"], "sales-admin": ["operator"]}
    members = {t.code: t.members for t in list_teams_with_members(empty_db)}
    assert members == {
        "build": 1,
        "design": 0,
        "maintenance": 0,
        "operations": 0,
        "provisioning": 0,
        "sales-admin": 1,
    }
    # with the teams there, every shipped template loads
    owner = resolve_actor_for(empty_db, "owner")
    templates = sorted((sample_data_dir() / "templates").glob("*.toml"))
    results = load_templates(empty_db, owner, templates)
    assert all(r.created for r in results)


def test_loading_again_changes_nothing(empty_db: Database, tmp_path: Path) -> None:
    path = _file(tmp_path, ORGANISATION)
    load_organisation(empty_db, None, path)
    admin = resolve_actor_for(empty_db, "owner")
    again = load_organisation(empty_db, admin, path)
    assert (again.teams_added, again.users_added, again.memberships_added) == (0, 0, 0)


def test_a_new_database_needs_an_admin_in_the_file(empty_db: Database, tmp_path: Path) -> None:
    text = ORGANISATION.replace("admin = true", "admin = false")
    with pytest.raises(InvalidInput, match="mark at least one user admin"):
        load_organisation(empty_db, None, _file(tmp_path, text))
    assert list_users(empty_db) == []


def test_a_bad_file_changes_nothing(empty_db: Database, tmp_path: Path) -> None:
    text = ORGANISATION + '\n[[users]]\nlogin = "sato"\nteams = { nowhere = ["lead"] }\n'
    with pytest.raises(InvalidInput, match="unknown team 'nowhere'"):
        load_organisation(empty_db, None, _file(tmp_path, text))
    assert list_users(empty_db) == [] and list_teams_with_members(empty_db) == []
    bad_role = ORGANISATION.replace('["operator", "lead"]', '["boss"]')
    with pytest.raises(InvalidInput, match="unknown role 'boss'"):
        load_organisation(empty_db, None, _file(tmp_path, bad_role))
    with pytest.raises(InvalidInput, match=r"organisation\.toml"):
        load_organisation(empty_db, None, _file(tmp_path, "[[teams]\n"))


def test_only_admins_change_teams_afterwards(demo_db: Database, as_user, tmp_path: Path) -> None:
    path = _file(tmp_path, ORGANISATION)
    with pytest.raises(PermissionDenied, match="only an admin"):
        load_organisation(demo_db, as_user("david").actor, path)
    with pytest.raises(PermissionDenied, match="only an admin can add teams"):
        add_team(demo_db, as_user("david").actor, "legal", "Legal")
    admin = as_user("admin-ito").actor
    add_team(demo_db, admin, "legal", "Legal")
    assert "legal" in {t.code for t in list_teams_with_members(demo_db)}
    with pytest.raises(Conflict, match="already exists"):
        add_team(demo_db, admin, "legal", "Legal")
    with pytest.raises(InvalidInput, match="one word"):
        add_team(demo_db, admin, "two words")
    result = load_organisation(demo_db, admin, path)
    assert (result.users_added, result.memberships_added) == (
        1,
        2,
    )  # owner; tanaka's sales-admin and build lead
    assert {u.login: u.teams for u in list_users(demo_db)}["tanaka"]["build"] == [
        "lead",
        "operator",
    ]


def test_only_admins_load_templates(demo_db: Database, as_user) -> None:
    cloud = sample_data_dir() / "templates" / "cloud.toml"
    with pytest.raises(PermissionDenied, match="only an admin can load process templates"):
        load_templates(demo_db, as_user("sato").actor, [cloud])
    assert [r.created for r in load_templates(demo_db, as_user("admin-ito").actor, [cloud])] == [
        False
    ]
