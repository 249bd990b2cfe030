"""``backoffice teams``: a new database set up from an organisation file, then
templates and users that name its teams."""

from pathlib import Path

from backoffice_tui.resources import sample_data_dir
from tests.cli.support import as_operator, fails, ok, ok_json

ORGANISATION = """
[[teams]]
code = "sales-admin"
name = "Sales administration"

[[teams]]
code = "build"
name = "Build"

[[users]]
login = "owner"
name = "Owner"
admin = true

[[users]]
login = "tanaka"
name = "田中 花子"
teams = { sales-admin = ["operator"] }
"""


def test_a_new_database_is_set_up_with_teams_then_templates(empty_url: str, tmp_path: Path) -> None:
    organisation = tmp_path / "organisation.toml"
    organisation.write_text(ORGANISATION, encoding="utf-8")
    said = ok("--database", empty_url, "teams", "load", str(organisation)).stdout
    assert "2 teams added" in said and "2 users added" in said
    owner = as_operator(empty_url, "owner")
    tanaka = as_operator(empty_url, "tanaka")
    fails(*tanaka, "teams", "add", "legal", contains="only an admin can add teams")
    ok(*owner, "teams", "add", "design", "--name", "Solution design")
    for team in ("provisioning", "operations", "maintenance"):
        ok(*owner, "teams", "add", team)
    teams = {t["code"]: t for t in ok_json("--database", empty_url, "teams", "list")}
    assert set(teams) == {
        "build",
        "design",
        "maintenance",
        "operations",
        "provisioning",
        "sales-admin",
    }
    assert teams["sales-admin"]["members"] == 1 and teams["design"]["name"] == "Solution design"
    templates = [str(p) for p in sorted((sample_data_dir() / "templates").glob("*.toml"))]
    fails(*tanaka, "templates", "load", *templates, contains="only an admin can load")
    loaded = ok_json(*owner, "templates", "load", *templates)
    assert len(loaded) == 5 and all(r["created"] for r in loaded)
    ok(*owner, "users", "add", "sato", "--name", "佐藤", "--team", "design:lead")
    users = {u["login"]: u for u in ok_json("--database", empty_url, "users", "list")}
    assert users["sato"]["teams"] == {"design": ["lead"]}
    fails(*owner, "teams", "load", str(tmp_path / "missing.toml"), contains="no file")
