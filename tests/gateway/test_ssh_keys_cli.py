"""``backoffice ssh-keys``: admins let operators' keys in through the gateway."""

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import update

from backoffice_tui.gateway.client import parse_arguments
from backoffice_tui.services.connection import open_database
from backoffice_tui.store.models import User
from tests.cli.support import as_operator, assert_one_line_error, invoke, ok, ok_json
from tests.helpers import newest_event_id


def public_key(folder: Path, name: str) -> Path:
    path = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@pc", "-f", str(path)],
        check=True,
    )
    return path.with_suffix(".pub")


def forced_command_of(line: str) -> list[str]:
    assert line.startswith('command="'), line
    return shlex.split(line[len('command="') : line.index('",')])


def test_an_admin_adds_lists_and_removes_keys(demo_url: str, tmp_path: Path) -> None:
    admin = as_operator(demo_url, "admin-ito")
    path = tmp_path / "ssh" / "authorized_keys"
    where = ["--authorized-keys", str(path)]
    kimura, tanaka = public_key(tmp_path, "kimura"), public_key(tmp_path, "tanaka")
    last_event = newest_event_id(demo_url)

    added = ok_json(*admin, "ssh-keys", "add", "kimura", str(kimura), *where)
    assert added["login"] == "kimura" and added["fingerprint"].startswith("SHA256:")
    from_stdin = invoke(*admin, "ssh-keys", "add", "tanaka", "-", *where, input=tanaka.read_text())
    assert from_stdin.exit_code == 0, from_stdin.stderr
    assert from_stdin.stdout.startswith("ssh-ed25519 key SHA256:")
    assert from_stdin.stdout.endswith("may now log in as tanaka\n")

    listed = ok_json(*admin, "ssh-keys", "list", *where)
    assert [(k["login"], k["key_type"], k["comment"]) for k in listed] == [
        ("kimura", "ssh-ed25519", "kimura@pc"),
        ("tanaka", "ssh-ed25519", "tanaka@pc"),
    ]
    table = ok(*admin, "ssh-keys", "list", *where).stdout.splitlines()
    assert table[0].split() == ["LOGIN", "TYPE", "FINGERPRINT", "COMMENT"]
    assert table[1].split() == ["kimura", "ssh-ed25519", listed[0]["fingerprint"], "kimura@pc"]

    lines = path.read_text().splitlines()
    for line, login in zip(lines, ("kimura", "tanaka"), strict=True):
        command = forced_command_of(line)
        python = Path(command[0])
        assert python.is_absolute() and os.access(python, os.X_OK)
        # the session client; neither the admin's --database nor the --user it acted as
        assert command[1:] == ["-m", "backoffice_tui.gateway.client", "gateway", login]
        assert parse_arguments(command[3:]) == ({}, login)
        assert line.split('",', 1)[1].startswith("restrict,pty ssh-ed25519 ")

    events = ok_json("--database", demo_url, "events", "--since", str(last_event))
    assert [(e["kind"], e["actor"]) for e in events] == [
        ("user.ssh_key_added", "admin-ito"),
        ("user.ssh_key_added", "admin-ito"),
    ]
    assert events[0]["payload"]["fingerprint"] == listed[0]["fingerprint"]

    removed = ok_json(*admin, "ssh-keys", "remove", "tanaka", listed[1]["fingerprint"], *where)
    assert [k["fingerprint"] for k in removed] == [listed[1]["fingerprint"]]
    assert [k["login"] for k in ok_json(*admin, "ssh-keys", "list", *where)] == ["kimura"]
    assert_one_line_error(
        invoke(*admin, "ssh-keys", "remove", "tanaka", *where), contains="tanaka has no gateway key"
    )
    last = ok_json("--database", demo_url, "events", "--since", str(last_event))[-1]
    assert (last["kind"], last["actor"]) == ("user.ssh_key_removed", "admin-ito")


def test_only_admins_manage_keys(demo_url: str, tmp_path: Path) -> None:
    path = tmp_path / "authorized_keys"
    where = ["--authorized-keys", str(path)]
    key = public_key(tmp_path, "tanaka")
    tanaka = as_operator(demo_url, "tanaka")
    for args in (
        ["add", "tanaka", str(key)],
        ["list"],
        ["remove", "tanaka"],
    ):
        assert_one_line_error(
            invoke(*tanaka, "ssh-keys", *args, *where),
            contains="only an admin can manage SSH keys; tanaka is not one",
        )
    assert not path.exists()


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_keys_for_unknown_inactive_or_unwritable_logins_are_refused(
    demo_url: str, tmp_path: Path
) -> None:
    admin = as_operator(demo_url, "admin-ito")
    path = tmp_path / "authorized_keys"
    path.write_text("# kept\n")
    where = ["--authorized-keys", str(path)]
    key = public_key(tmp_path, "someone")
    db = open_database(demo_url)
    with db.write() as session:
        session.execute(update(User).where(User.login == "sato").values(active=False))
    db.dispose()
    for login, message in (
        ("nobody", "'nobody' is not a user of this database"),
        ("sato", "'sato' is a deactivated user"),
        ("kimura;id", "cannot be a gateway login"),
        ("..", "cannot be a gateway login"),
    ):
        assert_one_line_error(
            invoke(*admin, "ssh-keys", "add", login, str(key), *where), contains=message
        )
    ok(*admin, "ssh-keys", "add", "kimura", str(key), *where)
    assert_one_line_error(
        invoke(*admin, "ssh-keys", "add", "tanaka", str(key), *where),
        contains="is already in",
    )
    assert_one_line_error(
        invoke(*admin, "ssh-keys", "add", "tanaka", str(key.with_suffix("")), *where),
        contains="this is a private key",
    )
    assert path.read_text().startswith("# kept\n")
    assert len(path.read_text().splitlines()) == 2


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_the_forced_command_names_the_config_it_was_given(demo_url: str, tmp_path: Path) -> None:
    config = tmp_path / "service" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'[database]\nurl = "{demo_url}"\n', encoding="utf-8")
    path = tmp_path / "authorized_keys"
    key = public_key(tmp_path, "kimura")
    ok(
        "--config",
        str(config),
        "--user",
        "admin-ito",
        "ssh-keys",
        "add",
        "kimura",
        str(key),
        "--authorized-keys",
        str(path),
    )
    command = forced_command_of(path.read_text())
    assert command[3:] == ["--config", str(config), "gateway", "kimura"]
    assert parse_arguments(command[3:]) == ({"config": str(config)}, "kimura")


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_through_the_gateway_only_the_accounts_own_file_is_changed(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "SSH_ORIGINAL_COMMAND", f"ssh-keys list --authorized-keys {tmp_path}/config.toml"
    )
    assert_one_line_error(
        invoke("--database", demo_url, "gateway", "admin-ito"),
        contains="refused: --authorized-keys names a file on the jump host",
    )
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "ssh-keys list --json")
    monkeypatch.setenv("HOME", str(tmp_path))
    listed = invoke("--database", demo_url, "gateway", "admin-ito")
    assert (listed.exit_code, listed.stdout.strip()) == (0, "[]"), listed.stderr
