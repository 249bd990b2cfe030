"""The README's "PostgreSQL for a team" set-up, followed step by step on a
real server: its SQL as the superuser, then its commands as the (non-super)
owner, with its organisation file; afterwards the service role works and the
set-up is complete (teams, users, templates)."""

import itertools
import re
import shlex
from pathlib import Path

import psycopg
import pytest

from backoffice_tui.resources import sample_data_dir
from tests.cli.support import ok, ok_json
from tests.postgres_server import PostgresServer

README = Path(__file__).resolve().parents[2] / "README.md"
_runs = itertools.count()


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def test_the_readme_team_set_up_completes(
    pg_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = _section("PostgreSQL for a team")
    (sql_block,) = _blocks(section, "sql")
    (commands,) = _blocks(section, "sh")
    (organisation,) = _blocks(section, "toml")
    run = next(_runs)
    # The README's names, made unique for this server (roles are cluster-wide).
    names = {
        "owner": f"readme_owner_{run}",
        "backoffice_service": f"readme_service_{run}",
        "reporting": f"readme_reporting_{run}",
    }

    def rename(text: str) -> str:
        text = re.sub(r"\b(owner|backoffice_service|reporting)\b", lambda m: names[m[1]], text)
        text = re.sub(r"\bDATABASE backoffice\b", f"DATABASE readme_{run}", text)
        text = text.replace("\\c backoffice", f"\\c readme_{run}")
        url = pg_server.url(f"readme_{run}", user=names["owner"]).replace("+psycopg", "")
        return text.replace(f"postgresql://{names['owner']}@db.example.com/backoffice", url)

    # 1. the SQL, as the superuser (the test server trusts local connections)
    database = "postgres"
    for statement in rename(sql_block).split("\n"):
        statement = statement.split("--", 1)[0].strip()
        if not statement:
            continue
        if statement.startswith("\\c "):
            database = statement.split()[1]
            continue
        statement = re.sub(r" PASSWORD '[^']*'", "", statement)
        dsn = pg_server.url(database).replace("+psycopg", "")
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(statement.rstrip(";"))  # type: ignore[arg-type]

    # 2. the commands, as the owner, with the README's organisation file
    (tmp_path / "organisation.toml").write_text(rename(organisation), encoding="utf-8")
    processes = tmp_path / "processes"
    processes.mkdir()
    for template in (sample_data_dir() / "templates").glob("*.toml"):
        (processes / template.name).write_text(template.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    ran = 0
    for line in rename(commands).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = shlex.split(line)
        if words[0] == "export":
            variable, _, value = words[1].partition("=")
            monkeypatch.setenv(variable, value)
            continue
        assert words[0] == "backoffice", line
        arguments = [
            str(path) for word in words[1:] for path in (sorted(tmp_path.glob(word)) or [word])
        ]
        ok(*arguments)
        ran += 1
    assert ran >= 4

    # 3. complete: teams, users and templates are there, and the service role works
    service_url = pg_server.url(f"readme_{run}", user=names["backoffice_service"])
    monkeypatch.delenv("BACKOFFICE_DATABASE_URL")
    teams = {t["code"] for t in ok_json("--database", service_url, "teams", "list")}
    assert "sales-admin" in teams
    users = {u["login"]: u for u in ok_json("--database", service_url, "users", "list")}
    assert users[names["owner"]]["is_admin"] and "tanaka" in users
    assert len(ok_json("--database", service_url, "templates", "list")) == 5
