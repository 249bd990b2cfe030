"""What an operator may send over SSH: one backoffice command, never a shell
line, and nothing that chooses the database, the config or the operator."""

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import Result

from backoffice_tui.cli.commands.gateway import (
    GatewayCommand,
    is_file_parameter,
    parse_ssh_command,
)
from backoffice_tui.cli.main import cli
from backoffice_tui.domain.errors import InvalidInput
from tests.cli.support import as_operator, assert_one_line_error, invoke, is_postgres, ok_json


def parsed(text: str) -> GatewayCommand:
    return parse_ssh_command(text, cli)


def refusal(text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        parsed(text)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("refused: "), message
    return message


@pytest.mark.parametrize(
    ("text", "args", "command"),
    [
        ("queue list --json", ("queue", "list", "--json"), "queue"),
        (
            "  queue   list --team build  --status ready ",
            ("queue", "list", "--team", "build", "--status", "ready"),
            "queue",
        ),
        (
            "queue note 12 'called the site, 3 pm'",
            ("queue", "note", "12", "called the site, 3 pm"),
            "queue",
        ),
        ('customers search "名古屋 精工"', ("customers", "search", "名古屋 精工"), "customers"),
        ("--theme light --screen queue", ("--theme", "light", "--screen", "queue"), None),
        ("--theme=light whoami --json", ("--theme=light", "whoami", "--json"), "whoami"),
        ("--customer C0001", ("--customer", "C0001"), None),
        ("-- whoami", ("--", "whoami"), "whoami"),
        ("queue list --text '#12'", ("queue", "list", "--text", "#12"), "queue"),
        ("", (), None),
    ],
)
def test_an_allowed_command_passes_through_exactly(
    text: str, args: tuple[str, ...], command: str | None
) -> None:
    sent = parsed(text)
    assert sent.args == args
    assert sent.command == command


def test_only_an_empty_or_option_only_command_opens_the_console() -> None:
    assert parsed("").opens_console
    assert parsed("--screen approvals").opens_console
    assert not parsed("--help").opens_console
    assert not parsed("--version").opens_console
    assert not parsed("queue list").opens_console


@pytest.mark.parametrize("character", list(";|&$`<>(){}*?!~\\"))
def test_every_shell_character_is_refused(character: str) -> None:
    for text in (f"queue list {character}", f"queue list '{character}'", f"queue{character}list"):
        assert "no shell runs it" in refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "queue list; id",
        "queue list $(id)",
        "queue list `id`",
        "queue list | cat",
        "queue list && id",
        "queue list > /tmp/x",
        "queue list\nid",
        "queue list\r",
        "queue list \x1b[2J",
        "queue list \x00",
    ],
)
def test_shell_lines_and_control_characters_are_refused(text: str) -> None:
    refusal(text)


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("--database sqlite:////tmp/x.db queue list", "--database"),
        ("--database=sqlite:////tmp/x.db queue list", "--database"),
        ("--data sqlite:////tmp/x.db queue list", "--database"),
        ("--datab=x queue list", "--database"),
        ("--da x queue list", "--database"),
        ("--config /tmp/c.toml queue list", "--config"),
        ("--config=/tmp/c.toml queue list", "--config"),
        ("--conf /tmp/c.toml queue list", "--config"),
        ("--co=x queue list", "--config"),
        ("--user admin-ito queue list", "--user"),
        ("--user=admin-ito queue list", "--user"),
        ("--use admin-ito queue list", "--user"),
        ("--us=admin-ito queue list", "--user"),
        ("queue list --user admin-ito", "--user"),
        ("queue list -- --database x", "--database"),
        ("--theme light --user admin-ito", "--user"),
    ],
)
def test_options_choosing_database_config_or_operator_are_refused(text: str, option: str) -> None:
    assert f"{option} is the gateway's to choose" in refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "config set ui.theme light",
        "config init --force",
        "--theme light config path",
        "-- config path",
        "login",
        "gateway admin-ito",
        "demo load",
        "sessions serve",
        "db upgrade",
        "db grants --service backoffice_service --apply",
    ],
)
def test_commands_changing_the_service_account_are_refused(text: str) -> None:
    command = next(word for word in text.split() if not word.startswith("-") and word != "light")
    assert f"`{command}`" in refusal(text)


def test_an_unreadable_command_is_refused() -> None:
    assert "cannot read the command" in refusal("queue note 12 'unfinished")


# --- through `backoffice gateway LOGIN` ----------------------------------------------


def gateway(url: str, login: str, sent: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    """``backoffice --database URL gateway LOGIN`` with ``sent`` as the SSH command."""
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", sent)
    return invoke("--database", url, "gateway", login)


def test_the_gateway_login_is_the_operator_on_both_backends(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # on PostgreSQL the test connects as the superuser, no user of the demo:
    # the login the forced command names is the operator all the same
    for login, name, admin in (("tanaka", "田中 花子", False), ("admin-ito", "伊藤 誠", True)):
        result = gateway(demo_url, login, "whoami --json", monkeypatch)
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout) == {
            "login": login,
            "name": name,
            "admin": admin,
            "identified_by": "gateway",
            "acting_admin": None,
        }
    direct = ok_json(*as_operator(demo_url, "tanaka"), "whoami")
    expected = "database login" if is_postgres(demo_url) else "--user"
    assert (direct["login"], direct["identified_by"]) == ("tanaka", expected)


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("sent", "contains"),
    [
        ("--user admin-ito queue list", "--user is the gateway's to choose"),
        ("--database sqlite:////tmp/x.db queue list", "--database is the gateway's"),
        ("queue list; id", "no shell runs it"),
        ("queue list $(id)", "no shell runs it"),
        ("config set ui.theme light", "`config`"),
        ("", "the console needs a terminal: connect with `ssh -t`"),
        ("--screen queue", "ssh -t"),
    ],
)
def test_refusals_are_one_line_and_exit_1(
    demo_url: str, sent: str, contains: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_one_line_error(gateway(demo_url, "kimura", sent, monkeypatch), contains=contains)


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_an_unknown_or_deactivated_login_is_told_to_ask_an_admin(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import update

    from backoffice_tui.services.connection import open_database
    from backoffice_tui.store.models import User

    assert_one_line_error(
        gateway(demo_url, "nobody", "whoami", monkeypatch), contains="ask an admin to add it"
    )
    db = open_database(demo_url)
    with db.write() as session:
        session.execute(update(User).where(User.login == "tanaka").values(active=False))
    db.dispose()
    assert_one_line_error(
        gateway(demo_url, "tanaka", "queue list", monkeypatch),
        contains="deactivated user of this database; ask an admin to reactivate it",
    )


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("login", ["..", ".hidden", "-x", "a/b", "kimura ", "木村", "a" * 65])
def test_a_login_the_gateway_cannot_name_is_refused(
    demo_url: str, login: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = gateway(demo_url, login, "whoami", monkeypatch)
    if login == "-x":  # click takes it for an option: a usage error
        assert result.exit_code == 2
        return
    assert_one_line_error(result, contains="cannot be a gateway login")


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_the_gateway_keeps_its_own_options_and_refuses_user(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(f'[database]\nurl = "{demo_url}"\n', encoding="utf-8")
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "queue list --assignee me --json --limit 1000")
    # as an SSH client's environment might try to; the forced command's --config wins
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.db")
    result = invoke("--config", str(config), "gateway", "kimura")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and {r["assignee"] for r in rows} == {"kimura"}
    assert_one_line_error(
        invoke("--database", demo_url, "--user", "admin-ito", "gateway", "kimura"),
        contains="--user does not apply",
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("export queue --output /home/backoffice/.ssh/authorized_keys", "--output"),
        ("export queue -o queue.csv", "--output"),
        ("export events --output=events.xlsx", "--output"),
        ("customers timeline C0001 --output c0001.csv", "--output"),
        ("import /home/backoffice/.pgpass --as customers --dry-run", "FILE"),
        ("import --as customers --mapping m.toml", "--mapping"),
        ("import --as customers --errors bad.csv", "--errors"),
        ("templates load a.toml b.toml", "FILES"),
        ("teams load org.toml", "FILE"),
        ("applications load kinds/", "PATH"),
        ("approvals request order ORD-2026-0003 --route route.toml", "--route"),
        ("ssh-keys add tanaka /home/backoffice/.pgpass", "KEYFILE"),
        ("ssh-keys list --authorized-keys /tmp/keys", "--authorized-keys"),
    ],
)
def test_files_on_the_jump_host_are_refused(text: str, named: str) -> None:
    assert f"refused: {named} names a file on the jump host" in refusal(text)


@pytest.mark.parametrize(
    "text",
    ["export queue --team build", "export queue -o -", "export queue --output=- --format json",
     "ssh-keys add tanaka -", "handoffs document add 12 --title Runbook --location //fs/r1.docx"],
)  # fmt: skip
def test_standard_input_and_output_are_no_file(text: str) -> None:
    assert parsed(text).args == tuple(text.split())


def test_every_parameter_naming_a_file_is_known_as_one() -> None:
    """A new option that takes a file must be typed as a path (or be listed),
    so that the gateway refuses it; a name or help that speaks of files,
    folders or paths is taken as a sign of one."""
    not_files = {"force", "fmt", "log_format", "location"}  # flags, formats, a text kept as written
    hint = re.compile(r"file|folder|director|path|socket", re.IGNORECASE)
    unknown = []

    def walk(command: click.Command, ctx: click.Context, where: str) -> None:
        for param in command.params:
            described = f"{param.name} {getattr(param, 'help', '') or ''}"
            named = hint.search(described) and param.name not in not_files
            if named and not is_file_parameter(param):
                unknown.append(f"{where} {param.name}")
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, click.Context(sub, info_name=name, parent=ctx), f"{where} {name}")

    walk(cli, click.Context(cli, info_name="backoffice"), "backoffice")
    assert unknown == []
