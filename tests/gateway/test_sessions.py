"""The session server and its client through real pseudo-terminals: a
preloaded ``backoffice sessions serve`` forks one console per request, each
as its own operator, resized and hung up through its client, refusing what
is not a session request, and outliving a server that stops."""

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backoffice_tui.config.paths import state_dir
from backoffice_tui.gateway import protocol
from backoffice_tui.gateway.client import parse_arguments
from backoffice_tui.gateway.sessions import RequestRefused, parse_request
from tests.gateway.client_session import ClientSession, session_pids

OPERATORS = {"kimura": "木村 翔太", "tanaka": "田中 花子"}


def home_of(login: str) -> tuple[bytes, ...]:
    """The home screen painted for ``login``: its counts and the header naming them."""
    return (b"Overdue in my teams", f"{login} ({OPERATORS[login]})".encode())


@dataclass
class SessionServer:
    process: subprocess.Popen[bytes]
    socket_path: Path
    url: str
    log: Path
    forked: set[int] = field(default_factory=set)  # sessions to kill at the end

    def client(self, login: str, *options: str, columns: int = 80, rows: int = 24) -> ClientSession:
        return ClientSession(
            ["--socket", str(self.socket_path), *options, "gateway", login],
            columns=columns,
            rows=rows,
        )

    def sessions(self) -> list[int]:
        return session_pids(self.process.pid) if self.process.poll() is None else []

    def wait_for_sessions(self, count: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.sessions()) != count:
            assert time.monotonic() < deadline, f"{self.sessions()} sessions, not {count}"
            time.sleep(0.05)


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def demo_sqlite(tmp_path: Path, sqlite_templates: dict[bool, Path]) -> str:
    path = tmp_path / "backoffice.db"
    shutil.copyfile(sqlite_templates[True], path)
    return f"sqlite:///{path}"


@contextlib.contextmanager
def serving(url: str) -> Iterator[SessionServer]:
    """``backoffice sessions serve`` on ``url``, until the block ends; then
    the server and every session it forked are killed."""
    folder = Path(tempfile.mkdtemp(prefix="bo-"))  # a Unix socket path is short
    log = folder / "server.log"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "backoffice_tui.cli.main", "--database", url,
            "sessions", "serve", "--socket", str(folder / "s.sock"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )  # fmt: skip
    started = SessionServer(process, folder / "s.sock", url, log)
    try:
        deadline = time.monotonic() + 60
        while b"serving console sessions" not in log.read_bytes():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        yield started
    finally:
        started.forked.update(started.sessions())
        for pid in started.forked:  # in sessions of their own: not in the server's group
            kill_group(pid)
        kill_group(process.pid)
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server(demo_sqlite: str) -> Iterator[SessionServer]:
    with serving(demo_sqlite) as started:
        yield started


def test_two_operators_get_their_own_sessions_resized_and_quit(server: SessionServer) -> None:
    assert stat.S_IMODE(server.socket_path.stat().st_mode) == 0o600
    kimura, tanaka = server.client("kimura"), server.client("tanaka")
    try:
        kimura.wait_for(*home_of("kimura"), timeout=30)
        tanaka.wait_for(*home_of("tanaka"), timeout=30)
        assert OPERATORS["tanaka"].encode() not in kimura.output
        assert OPERATORS["kimura"].encode() not in tanaka.output
        server.wait_for_sessions(2)

        kimura.quiet()
        kimura.output.clear()
        kimura.resize(100, 30)
        # the redraw reaches the 30th line and the 100th column, which 80x24 has not
        kimura.wait_for(b"\x1b[30;", b"Team load", timeout=15)

        for session in (kimura, tanaka):
            session.quiet()
            session.send(b"\x11")  # ctrl+q
            assert session.process.wait(15) == 0
        server.wait_for_sessions(0)
    finally:
        kimura.close()
        tanaka.close()
    ended = server.log.read_text()
    assert ended.count("started for kimura") == 1
    assert ended.count("ended with status 0") == 2


@pytest.mark.parametrize("demo_url", ["postgresql"], indirect=True)
def test_sessions_on_postgresql_open_their_own_connections(demo_url: str) -> None:
    with serving(demo_url) as server:
        sessions = [server.client(login) for login in OPERATORS]
        try:
            for login, session in zip(OPERATORS, sessions, strict=True):
                session.wait_for(*home_of(login), timeout=30)
            for session in sessions:
                session.quiet()
                session.send(b"\x11")
                assert session.process.wait(15) == 0
        finally:
            for session in sessions:
                session.close()


def _pty_fds() -> tuple[int, list[int]]:
    import pty

    master, slave = pty.openpty()
    return master, [slave, slave, slave]


def _ask(server: SessionServer, payload: bytes, with_terminal: bool = True) -> dict[str, object]:
    master, fds = _pty_fds()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(server.socket_path))
            if with_terminal:
                socket.send_fds(client, [payload], fds)
            else:
                client.sendall(payload)
            client.settimeout(10)
            reply = b""
            while b"\n" not in reply:
                chunk = client.recv(4096)
                if not chunk:
                    break
                reply += chunk
            assert client.recv(4096) == b"", "the server closes the connection after refusing"
    finally:
        os.close(master)
        os.close(fds[0])
    lines = reply.decode().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


@pytest.mark.parametrize(
    ("payload", "with_terminal", "reason"),
    [
        (b'{"login": "kimura", "database": "sqlite:////tmp/other.db"}\n', True, "'database'"),
        (b'{"login": "kimura", "config": "/tmp/other.toml"}\n', True, "'config'"),
        (b'{"login": "kimura", "user": "admin-ito"}\n', True, "'user'"),
        (b"queue list; id\n", True, "not a JSON"),
        (b'{"login": "../kimura"}\n', True, "gateway login"),
        (b'{"login": "kimura", "screen": "shell"}\n', True, "no screen"),
        (b'{"login": "kimura", "columns": 80.5}\n', True, "flat JSON"),
        (b'{"login": {"name": "kimura"}}\n', True, "flat JSON"),
        (b'{"login": "kimura"}\n', False, "stdin, stdout and stderr"),
    ],
)
def test_a_request_that_is_not_a_session_gets_one_line_and_no_child(
    server: SessionServer, payload: bytes, with_terminal: bool, reason: str
) -> None:
    reply = _ask(server, payload, with_terminal)
    assert set(reply) == {"error"}
    error = str(reply["error"])
    assert error.startswith("refused: ") and reason in error and "\n" not in error
    assert server.sessions() == []
    assert server.process.poll() is None


def test_the_client_shows_a_refusal_as_one_line(server: SessionServer) -> None:
    session = server.client("kimura", "--screen", "nowhere")
    try:
        assert session.process.wait(15) == 1
        session.read(0.5)
        assert bytes(session.output).strip() == b"error: refused: no screen 'nowhere'"
        assert server.sessions() == []
    finally:
        session.close()


@pytest.mark.skipif(os.getuid() != 0, reason="switching to another OS user needs root")
def test_another_os_user_is_refused(server: SessionServer) -> None:
    os.chmod(server.socket_path, 0o666)  # let the other user reach the check itself
    os.chmod(server.socket_path.parent, 0o755)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child only connects and reports
        try:
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(str(server.socket_path))
                client.sendall(b'{"login": "admin-ito"}\n')
                client.settimeout(10)
                os.write(write, client.recv(4096))
        except BaseException as error:
            os.write(write, repr(error).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as replies:
        reply = replies.read()
    _, status = os.waitpid(pid, 0)
    assert reply.startswith(b"{"), (reply, status, server.log.read_text())
    assert json.loads(reply) == {"error": "refused: only the service account may ask for a session"}
    assert server.sessions() == []


def test_a_session_outlives_a_stopped_server(server: SessionServer) -> None:
    session = server.client("kimura")
    try:
        session.wait_for(*home_of("kimura"), timeout=30)
        server.wait_for_sessions(1)
        forked = server.sessions()
        server.forked.update(forked)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(15) == 0
        assert not server.socket_path.exists()
        session.quiet()
        session.output.clear()
        session.send(b"2")  # the console still answers
        session.wait_for(b"sorted by due date", timeout=15)
        session.quiet()
        session.send(b"\x11")
        assert session.process.wait(15) == 0  # its status comes from the session itself
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in forked):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        session.close()


def test_a_client_that_goes_away_hangs_its_session_up(server: SessionServer) -> None:
    session = server.client("tanaka")
    try:
        session.wait_for(*home_of("tanaka"), timeout=30)
        server.wait_for_sessions(1)
        os.killpg(session.process.pid, signal.SIGKILL)  # no chance to forward anything
        session.process.wait(10)
        server.wait_for_sessions(0)
        assert "ended with status 0" in server.log.read_text()
    finally:
        session.close()


def test_sighup_reaches_the_session_through_the_client(server: SessionServer) -> None:
    session = server.client("tanaka")
    try:
        session.wait_for(*home_of("tanaka"), timeout=30)
        session.quiet()
        os.kill(session.process.pid, signal.SIGHUP)  # what the terminal sends on hang-up
        assert session.process.wait(15) == 0
        server.wait_for_sessions(0)
    finally:
        session.close()


def test_without_a_server_the_client_runs_the_console_itself(
    demo_sqlite: str, tmp_path: Path
) -> None:
    session = ClientSession(
        ["--socket", str(tmp_path / "none.sock"), "--database", demo_sqlite, "gateway", "kimura"]
    )
    try:
        session.wait_for(*home_of("kimura"), timeout=30)
        assert b"session server" not in session.output  # a note in the log, not on the screen
        session.quiet()
        session.send(b"\x11")
        assert session.process.wait(15) == 0
    finally:
        session.close()
    logs = list(Path(os.environ["XDG_STATE_HOME"]).rglob("backoffice.log"))
    assert [p.parent.name for p in logs] == ["kimura"]
    assert "no session server on" in logs[0].read_text()


def test_a_command_sent_over_ssh_goes_to_the_gateway(demo_sqlite: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "backoffice_tui.gateway.client",
            "--socket", str(tmp_path / "none.sock"), "--database", demo_sqlite,
            "gateway", "tanaka",
        ],
        env={**os.environ, "SSH_ORIGINAL_COMMAND": "whoami --json"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["login"] == "tanaka"
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "backoffice_tui.gateway.client",
            "--database",
            demo_sqlite,
            "gateway",
            "tanaka",
        ],
        env={**os.environ, "SSH_ORIGINAL_COMMAND": "--user admin-ito queue list"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "refused" in refused.stderr


def test_the_console_needs_a_terminal(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "backoffice_tui.gateway.client",
            "--socket",
            "/nonexistent",
            "gateway",
            "kimura",
        ],
        env={k: v for k, v in os.environ.items() if k != "SSH_ORIGINAL_COMMAND"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "error: the console needs a terminal: connect with `ssh -t`, or send a command "
        "such as `queue list --json`\n"
    )


# --- without a terminal ----------------------------------------------------------------


def test_the_client_imports_neither_textual_nor_sqlalchemy() -> None:
    script = (
        "import sys, backoffice_tui.gateway.client\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules})\n"
        "print(' '.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(result.stdout.split())
    assert not loaded & {"textual", "rich", "sqlalchemy", "click", "json", "re", "socket"}


def test_the_client_takes_the_words_of_backoffice_gateway() -> None:
    assert parse_arguments(["gateway", "kimura"]) == ({}, "kimura")
    assert parse_arguments(["--config=/srv/c.toml", "--screen", "queue", "gateway", "kimura"]) == (
        {"config": "/srv/c.toml", "screen": "queue"},
        "kimura",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["kimura"],
        ["gateway"],
        ["gateway", "kimura", "tanaka"],
        ["console", "kimura"],
        ["--user", "tanaka", "gateway", "kimura"],
        ["gateway", "kimura", "--socket"],
    ],
)
def test_the_client_refuses_other_words_with_its_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        parse_arguments(argv)
    assert ended.value.code == 2
    assert capsys.readouterr().err.startswith("usage: python -m backoffice_tui.gateway.client ")


def test_the_client_finds_the_server_where_it_listens_by_default() -> None:
    assert Path(protocol.default_socket_path()) == state_dir() / protocol.SOCKET_NAME


@pytest.mark.parametrize(
    "message",
    [
        {"login": "kimura", "screen": "home", "theme": None, "no_color": False, "rows": 24},
        {"error": 'refused: "quoted" \\ back\tslash 田中 \U0001f600'},
        {},
        {"exit": -1, "started": 0},
    ],
)
def test_protocol_messages_are_json(message: dict[str, object]) -> None:
    line = protocol.encode(message)
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and line.isascii()
    assert json.loads(line) == message
    assert protocol.decode(line) == message
    assert protocol.decode(json.dumps(message, ensure_ascii=False).encode()) == message


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"[]",
        b'{"a": [1]}',
        b'{"a": 1.5}',
        b'{"a": 01}',
        b'{"a": 1} {}',
        b'{"a" 1}',
        b"{'a': 1}",
    ],
)
def test_protocol_refuses_what_is_not_a_flat_object(line: bytes) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(line)


def test_a_request_keeps_to_its_fields() -> None:
    request = parse_request({"login": "kimura", "screen": "queue", "term": "xterm", "rows": 30})
    assert (request.login, request.screen, request.term, request.rows) == (
        "kimura",
        "queue",
        "xterm",
        30,
    )
    for bad in (
        {"login": "kimura", "term": "xterm; rm"},
        {"login": "kimura", "theme": "../../etc"},
        {"login": "kimura", "no_color": "yes"},
        {"login": "kimura", "rows": True},
        {"login": "-kimura"},
        {},
    ):
        with pytest.raises(RequestRefused):
            parse_request(bad)
