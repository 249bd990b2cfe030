"""The session client: what the SSH forced command runs.

    python -m backoffice_tui.gateway.client [--socket PATH] [--config PATH]
        [--database URL] [--screen NAME] [--theme NAME] gateway LOGIN

(the words of ``backoffice gateway LOGIN``, which a forced command may name
instead).

For a console (``SSH_ORIGINAL_COMMAND`` empty, or only ``--screen`` and
``--theme``) it asks the session server for a console as LOGIN, hands it
this process's terminal (stdin, stdout, stderr), forwards the signals the
terminal sends (the session is not in the terminal's session and gets none
itself), and exits with the session's status. It imports the standard
library only, so that it starts in milliseconds. Anything else the operator
sent, and a console when no server is listening, goes to
``backoffice gateway LOGIN`` with the same ``--config`` and ``--database``
(the admin writes those into the forced command; give the server the same),
which checks it as always; without a server that runs the console in this
process, noted in the log file.
"""

from __future__ import annotations

# The C modules behind ``socket`` and ``signal``: those two load ``enum`` and
# ``selectors``, which would grow this process, alive for the whole session,
# by a third of a bare interpreter.
import _socket
import contextlib
import os
import sys
import time

from backoffice_tui.gateway.protocol import (
    FORWARDED_SIGNALS,
    NEEDS_TERMINAL,
    LineReader,
    ProtocolError,
    default_socket_path,
    encode,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal  # the same names, typed
    from collections.abc import Sequence
    from typing import Any, NoReturn
else:
    import _signal

HANGUP_GRACE = 10.0  # seconds a session gets to end after SIGHUP or SIGTERM
USAGE = (
    "usage: python -m backoffice_tui.gateway.client [--socket PATH] [--config PATH] "
    "[--database URL] [--screen NAME] [--theme NAME] gateway LOGIN"
)
OPTIONS = ("--socket", "--config", "--database", "--screen", "--theme")
SIGNAL_NAMES = {getattr(_signal, name): name for name in FORWARDED_SIGNALS}


def session_request(login: str, screen: str = "home", theme: str | None = None) -> bytes:
    """The request for a console as ``login`` on this process's terminal."""
    try:
        columns, rows = os.get_terminal_size(1)
    except OSError:
        columns, rows = 80, 24
    return encode(
        {
            "login": login,
            "screen": screen,
            "theme": theme,
            "term": os.environ.get("TERM") or "xterm-256color",
            "colorterm": os.environ.get("COLORTERM"),
            "no_color": "NO_COLOR" in os.environ,
            "columns": columns,
            "rows": rows,
        }
    )


def connect(path: str) -> _socket.socket | None:
    """A connection to the server, or None if none is listening."""
    client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        client.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        client.close()
        return None
    except OSError:
        client.close()
        raise
    return client


def send_with_terminal(connection: _socket.socket, data: bytes) -> None:
    """Send ``data`` with this process's stdin, stdout and stderr attached."""
    descriptors = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
    connection.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, descriptors)])


class _Terminal:
    """The terminal's modes as they were, put back if a session dies without
    restoring them itself."""

    def __init__(self) -> None:
        self.saved: list[Any] | None = None
        if os.isatty(0):
            import termios

            with contextlib.suppress(termios.error):
                self.saved = termios.tcgetattr(0)

    def restore(self) -> None:
        if self.saved is None:
            return
        import termios

        try:
            termios.tcsetattr(0, termios.TCSANOW, self.saved)
            # leave the alternate screen, show the cursor, stop focus and key reports
            os.write(1, b"\x1b[?1049l\x1b[?25h\x1b[?1004l\x1b[<u")
        except (termios.error, OSError):
            pass


def run_session(
    connection: _socket.socket, login: str, screen: str = "home", theme: str | None = None
) -> int:
    """Ask for a console on ``connection`` and follow it to its end; its status."""
    terminal = _Terminal()
    try:
        send_with_terminal(connection, session_request(login, screen, theme))
    except OSError as error:
        print(f"error: the session server went away: {error}", file=sys.stderr)
        return 1
    deadline: list[float] = []

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            connection.sendall(encode({"signal": SIGNAL_NAMES[signum]}))
        if signum != _signal.SIGWINCH and not deadline:
            deadline.append(time.monotonic() + HANGUP_GRACE)

    for number in SIGNAL_NAMES:
        _signal.signal(number, forward)
    reader = LineReader()
    while True:
        if deadline:
            connection.settimeout(max(0.01, deadline[0] - time.monotonic()))
        try:
            data = connection.recv(4096)
        except TimeoutError:
            terminal.restore()
            return 129  # the session did not end after its hang-up
        except OSError:
            data = b""
        if not data:  # neither the session nor the server is left to say how it ended
            terminal.restore()
            return 1
        try:
            messages = reader.feed(data)
        except ProtocolError:
            continue
        for message in messages:
            if "error" in message:
                print(f"error: {message['error']}", file=sys.stderr)
                return 1
            if "exit" in message:
                code = message["exit"]
                code = code if isinstance(code, int) and not isinstance(code, bool) else 1
                if code >= 128:
                    terminal.restore()
                return code


def gateway_arguments(options: dict[str, str], login: str) -> list[str]:
    """``backoffice``'s arguments for ``gateway LOGIN`` with the forced command's options."""
    arguments = []
    for name in ("config", "database"):
        if name in options:
            arguments += [f"--{name}", options[name]]
    return [*arguments, "gateway", login]


def hand_to_gateway(options: dict[str, str], login: str) -> NoReturn:
    """Replace this process with ``backoffice gateway LOGIN``."""
    command = [sys.executable, "-m", "backoffice_tui.cli.main", *gateway_arguments(options, login)]
    os.execv(sys.executable, command)


def run_in_process(options: dict[str, str], login: str, socket_path: str) -> int:
    """No server: the gateway's console in this process, noted in the log file."""
    from backoffice_tui.cli.logs import log, log_file
    from backoffice_tui.cli.main import cli
    from backoffice_tui.config.paths import keep_files_per_login
    from backoffice_tui.domain.errors import BackofficeError

    try:
        keep_files_per_login(login)
    except BackofficeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if log_file() is not None:
        log.warning("no session server on %s; console started in-process", socket_path)
    words = [f"--{name}={options[name]}" for name in ("screen", "theme") if name in options]
    os.environ["SSH_ORIGINAL_COMMAND"] = " ".join(words)
    try:
        cli.main(gateway_arguments(options, login), prog_name="backoffice")
    except SystemExit as end:
        return end.code if isinstance(end.code, int) else int(end.code is not None)


def console_words(sent: str) -> dict[str, str] | None:
    """The console options in what the operator sent over SSH, or None when
    it is anything else (a command for the gateway to check and run)."""
    options: dict[str, str] = {}
    words = sent.split()
    while words:
        name, equals, value = words.pop(0).partition("=")
        if name not in ("--screen", "--theme"):
            return None
        if not equals:
            if not words:
                return None
            value = words.pop(0)
        options[name[2:]] = value
    return options


def parse_arguments(argv: Sequence[str]) -> tuple[dict[str, str], str]:
    """The options and the login; SystemExit(2) with the usage line otherwise."""
    options: dict[str, str] = {}
    rest = list(argv)
    words: list[str] = []
    while rest:
        argument = rest.pop(0)
        name, equals, value = argument.partition("=")
        if name in OPTIONS:
            if not equals:
                if not rest:
                    break
                value = rest.pop(0)
            options[name[2:]] = value
        elif argument.startswith("-") or len(words) == 2:
            break
        else:
            words.append(argument)
    else:
        if len(words) == 2 and words[0] == "gateway":
            return options, words[1]
    print(USAGE, file=sys.stderr)
    raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    options, login = parse_arguments(sys.argv[1:] if argv is None else argv)
    console = console_words(os.environ.get("SSH_ORIGINAL_COMMAND", ""))
    if console is None:
        hand_to_gateway(options, login)
    options.update(console)
    if not (os.isatty(0) and os.isatty(1)):
        print(f"error: {NEEDS_TERMINAL}", file=sys.stderr)
        return 1
    socket_path = options.get("socket") or default_socket_path()
    try:
        connection = connect(socket_path)
    except OSError as error:
        print(f"error: cannot reach the session server on {socket_path}: {error}", file=sys.stderr)
        return 1
    if connection is None:
        return run_in_process(options, login, socket_path)
    try:
        return run_session(connection, login, options.get("screen", "home"), options.get("theme"))
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
