"""Helpers for driving the ``backoffice`` command in tests.

``invoke`` runs the click command in this process with ``CliRunner`` (stdout
and stderr captured apart); ``as_operator`` gives the global options that make
a demo user the operator on either backend: ``--user`` on SQLite, and on
PostgreSQL a login role of that name with the URL naming it (the identity is
``session_user`` there).
"""

import json
import os
from pathlib import Path
from typing import Any

import psycopg
from click.testing import CliRunner, Result
from psycopg import sql
from sqlalchemy.engine import make_url

from backoffice_tui.cli.main import cli


def invoke(*args: str, input: str | None = None) -> Result:
    """Run ``backoffice ARGS``; an exception other than SystemExit is a bug."""
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"backoffice {' '.join(args)} raised {result.exception!r}"
        ) from result.exception
    return result


def ok(*args: str) -> Result:
    """Run a command that must succeed, with nothing on stderr."""
    result = invoke(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    assert result.stderr == "", (args, result.stderr)
    return result


def ok_json(*args: str) -> Any:
    """Run ``ARGS --json`` and return the parsed output."""
    return json.loads(ok(*args, "--json").stdout)


def assert_one_line_error(result: Result, *, contains: str = "") -> str:
    """Exit 1, stdout empty, exactly one ``error: ...`` line on stderr, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), result.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    assert len(line) > len("error: ") + 10, line
    assert contains in line, (contains, line)
    return line


def fails(*args: str, contains: str = "") -> str:
    """Run a command that must fail as a user error; return its message line."""
    return assert_one_line_error(invoke(*args), contains=contains)


def assert_usage_error(result: Result) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert "Usage:" in result.stderr


# --- PostgreSQL roles ----------------------------------------------------------


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as psycopg.connect takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def url_for_role(url: str, login: str) -> str:
    """``url`` connecting as the login role ``login`` instead of the superuser."""
    return make_url(url).set(username=login).render_as_string(hide_password=False)


def ensure_role(superuser_url: str, login: str, *, grant: bool = True) -> None:
    """Create the login role ``login`` (once per cluster) and, if ``grant``,
    give it the use of every table and sequence of this test database."""
    role = sql.Identifier(login)
    create = sql.SQL(
        "DO $$ BEGIN CREATE ROLE {} LOGIN; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    ).format(role)
    with psycopg.connect(libpq_dsn(superuser_url), autocommit=True) as connection:
        connection.execute(create)
        if grant:
            connection.execute(
                sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA public TO {}").format(role)
            )
            connection.execute(
                sql.SQL("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {}").format(role)
            )


def as_operator(url: str, login: str) -> list[str]:
    """Global options making the demo user ``login`` the operator of ``url``."""
    if is_postgres(url):
        ensure_role(url, login)
        return ["--database", url_for_role(url, login)]
    return ["--database", url, "--user", login]


# --- files -----------------------------------------------------------------------


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder`` (none if it does not exist)."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())


def isolated_home() -> Path:
    """The per-test folder holding the XDG dirs (set by the autouse fixture)."""
    return Path(os.environ["XDG_CONFIG_HOME"]).parent
