"""The gateway behind a real OpenSSH server: two operators' keys in the
service account's authorized_keys, each one its own operator, for commands
and for the console in a pty; shell lines and identity options refused.

sshd runs as the current user on 127.0.0.1 and a free port, with a host key,
an authorized_keys and a configuration of its own in a temporary folder.
"""

import contextlib
import fcntl
import getpass
import json
import os
import pty
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.support import ok_json

SSHD = Path("/usr/sbin/sshd")
OPERATORS = {"kimura": "木村 翔太", "tanaka": "田中 花子"}
TEAMS = {"kimura": "build", "tanaka": "sales-admin"}


@dataclass(frozen=True)
class GatewayHost:
    url: str
    port: int
    keys: dict[str, Path]
    service_home: Path
    config: Path
    environment: dict[str, str]  # the service account's, as sshd gives it to the forced command

    def ssh_args(self, login: str, *options: str) -> list[str]:
        return [
            "ssh",
            *options,
            "-F",
            "/dev/null",
            "-i",
            str(self.keys[login]),
            "-p",
            str(self.port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=10",
            f"{getpass.getuser()}@127.0.0.1",
        ]

    def ssh(self, login: str, *command: str) -> subprocess.CompletedProcess[str]:
        """``ssh ACCOUNT@host COMMAND`` with ``login``'s key."""
        return subprocess.run(
            [*self.ssh_args(login), "--", *command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )


def _required_programs() -> None:
    missing = [p for p in (str(SSHD), "ssh", "ssh-keygen") if shutil.which(p) is None]
    if missing:
        reason = (
            f"OpenSSH ({', '.join(missing)}) is not installed: the sshd gateway test is skipped"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must test the SSH gateway")
        pytest.skip(reason)


def _keygen(path: Path, comment: str) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True
    )
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as c:
            c.settimeout(2)
            if c.recv(8).startswith(b"SSH-"):
                return True
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def gateway_host(
    sqlite_templates: dict[bool, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayHost]:
    _required_programs()
    folder = tmp_path_factory.mktemp("jumphost")
    database = folder / "backoffice.db"
    shutil.copyfile(sqlite_templates[True], database)
    url = f"sqlite:///{database}"
    home = folder / "service"
    service_env = {
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    config = folder / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    authorized_keys = folder / "authorized_keys"
    keys = {login: _keygen(folder / f"{login}_key", f"{login}@laptop") for login in OPERATORS}
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")},
        **service_env,
    }
    for login, key in keys.items():
        subprocess.run(
            [
                *(sys.executable, "-m", "backoffice_tui.cli.main", "--config", str(config)),
                *("--user", "admin-ito", "ssh-keys", "add", login, f"{key}.pub"),
                *("--authorized-keys", str(authorized_keys)),
            ],
            env=environment,
            check=True,
            capture_output=True,
            timeout=60,
        )
    host_key = _keygen(folder / "host_key", "jumphost")
    as_root = os.geteuid() == 0
    if as_root:
        # sshd's privilege separation folder, which the system service
        # would create when it starts (it is not started here)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    set_env = " ".join(f"{k}={v}" for k, v in service_env.items())
    process: subprocess.Popen[bytes] | None = None
    log = folder / "sshd.log"
    try:
        for _attempt in range(3):
            port = _free_port()
            sshd_config = folder / "sshd_config"
            sshd_config.write_text(
                f"Port {port}\n"
                "ListenAddress 127.0.0.1\n"
                f"HostKey {host_key}\n"
                f"PidFile {folder / 'sshd.pid'}\n"
                f"AuthorizedKeysFile {authorized_keys}\n"
                "StrictModes no\n"
                "UsePAM no\n"
                + ("PermitRootLogin forced-commands-only\n" if as_root else "")
                + "AuthenticationMethods publickey\n"
                "PasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\n"
                "PermitUserEnvironment no\n"
                "DisableForwarding yes\n"
                "PermitTTY yes\n"
                f"SetEnv {set_env}\n"
                "LogLevel VERBOSE\n"
            )
            with log.open("ab") as stream:
                process = subprocess.Popen(
                    [str(SSHD), "-D", "-e", "-f", str(sshd_config)],
                    stdout=stream,
                    stderr=stream,
                    start_new_session=True,
                )
            if _answers(port, 10):
                break
            _stop(process)
        else:
            pytest.fail(f"sshd did not start: {log.read_text()[-2000:]}")
        yield GatewayHost(
            url=url,
            port=port,
            keys=keys,
            service_home=home,
            config=config,
            environment=environment,
        )
    finally:
        if process is not None:
            _stop(process)


# --- commands -------------------------------------------------------------------------


def test_each_key_is_its_own_operator(gateway_host: GatewayHost) -> None:
    for login, name in OPERATORS.items():
        result = gateway_host.ssh(login, "whoami", "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {
            "login": login,
            "name": name,
            "admin": False,
            "identified_by": "gateway",
            "acting_admin": None,
        }
        mine = gateway_host.ssh(login, "queue list --assignee me --limit 1000 --json")
        assert mine.returncode == 0, mine.stderr
        assignees = {row["assignee"] for row in json.loads(mine.stdout)}
        assert assignees == {login}


def test_a_write_over_ssh_is_that_operators_event(gateway_host: GatewayHost) -> None:
    url = gateway_host.url
    for login, team in TEAMS.items():
        free = ok_json(
            "--database", url, "queue", "list", "--team", team, "--status", "ready",
            "--assignee", "none",
        )  # fmt: skip
        assert free, team
        last = max(e["id"] for e in ok_json("--database", url, "events", "--limit", "100000"))
        result = gateway_host.ssh(login, "queue", "claim", str(free[0]["id"]), "--json")
        assert result.returncode == 0, result.stderr
        events = ok_json("--database", url, "events", "--since", str(last))
        assert [(e["kind"], e["actor"]) for e in events] == [("work_item.claimed", login)]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("--user admin-ito queue list", "--user is the gateway's to choose"),
        ("--database sqlite:////tmp/x.db queue list", "--database is the gateway's to choose"),
        ("queue list; id", "no shell runs it"),
        ("queue list $(id)", "no shell runs it"),
        ("config set ui.theme light", "`config` changes the service account's configuration"),
        ("", "the console needs a terminal: connect with `ssh -t`"),
    ],
)
def test_refused_over_ssh_with_one_line(
    gateway_host: GatewayHost, command: str, message: str
) -> None:
    result = gateway_host.ssh("tanaka", *([command] if command else []))
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert message in result.stderr


# --- the console ---------------------------------------------------------------------


class SshTerminal:
    """``ssh -tt`` in a pty of its own, as an operator's terminal runs it."""

    def __init__(self, args: Sequence[str]) -> None:
        self.master, terminal = pty.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.process = subprocess.Popen(
            list(args),
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env={**os.environ, "TERM": "xterm-256color"},
            start_new_session=True,
        )
        os.close(terminal)
        self.output = bytearray()

    def wait_for(self, *markers: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(m in self.output for m in markers):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{markers} not shown; got {bytes(self.output[-800:])!r}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.1))
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the other end is closed
                    raise AssertionError(f"{markers} not shown: {bytes(self.output)!r}") from None

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(10)
        os.close(self.master)


def test_the_console_over_ssh_opens_as_each_keys_operator(gateway_host: GatewayHost) -> None:
    for login, name in OPERATORS.items():
        terminal = SshTerminal(gateway_host.ssh_args(login, "-tt"))
        try:
            terminal.wait_for(name.encode(), f"{login} (".encode(), b"My queue", timeout=30)
            for other, other_name in OPERATORS.items():
                if other != login:
                    assert other_name.encode() not in terminal.output
            os.write(terminal.master, b"\x11")  # ctrl+q
            assert terminal.process.wait(15) == 0
        finally:
            terminal.close()
        state = gateway_host.service_home / "state" / "backoffice-tui"
        assert (state / "log" / "logins" / login).is_dir()  # its own log folder


def test_with_the_session_server_each_login_is_a_session_of_its_own(
    gateway_host: GatewayHost,
) -> None:
    state = gateway_host.service_home / "state" / "backoffice-tui"
    log = gateway_host.config.parent / "sessions.log"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "backoffice_tui.cli.main"),
            *("--config", str(gateway_host.config), "sessions", "serve"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env=gateway_host.environment,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while b"serving console sessions" not in log.read_bytes():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        for login, name in OPERATORS.items():
            terminal = SshTerminal(gateway_host.ssh_args(login, "-tt"))
            try:
                terminal.wait_for(name.encode(), f"{login} (".encode(), b"My queue", timeout=30)
                assert f"for {login}".encode() in log.read_bytes()  # forked by the server
                os.write(terminal.master, b"\x11")  # ctrl+q
                assert terminal.process.wait(15) == 0
            finally:
                terminal.close()
        assert (state / "sessions.sock").is_socket()
        assert server.poll() is None  # still serving
    finally:
        _stop(server)
