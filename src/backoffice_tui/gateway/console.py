"""One console session, forked by the session server for one operator.

The fork takes the client's terminal as its stdin, stdout and stderr, the
client's terminal type and colour wishes as its environment, and runs the
console exactly as ``backoffice`` does (``cli.console.run_console``) as the
login of the request. It is not in the terminal's session, so the terminal
sends it no signals: the client forwards them over the connection, and a
connection that closes (the client is gone) hangs the session up.
"""

import contextlib
import os
import select
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from backoffice_tui.cli.console import run_console
from backoffice_tui.cli.logs import log, log_file
from backoffice_tui.cli.state import CliState
from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.gateway.protocol import (
    FORWARDED_SIGNALS,
    LineReader,
    ProtocolError,
    encode,
)

_server_streams: list[object] = []


@dataclass(frozen=True)
class ConsoleOptions:
    """The server's own ``--database`` and ``--config``: every session uses them."""

    database: str | None = None
    config: Path | None = None


@dataclass(frozen=True)
class SessionRequest:
    login: str
    screen: str = "home"
    theme: str | None = None
    term: str = "xterm-256color"
    colorterm: str | None = None
    no_color: bool = False
    columns: int = 80
    rows: int = 24


def console_state(login: str, options: ConsoleOptions) -> CliState:
    """The state of a console whose operator is the gateway login ``login``,
    as ``backoffice gateway LOGIN`` binds it (its files kept per login too)."""
    return CliState(
        database_option=options.database,
        config_option=options.config,
        user_option=None,
        gateway_login=login,
    )


def run_console_as(state: CliState, *, screen: str = "home", theme: str | None = None) -> int:
    """Run the console of ``state`` until it ends; its exit status. The
    database opens without a password prompt (``_open_without_prompt``).

    Expected failures are one line on stderr and status 1, as on the command
    line; an unexpected one also keeps its traceback in the log file.
    """
    try:
        _open_without_prompt(state)
        run_console(state, theme, screen)
        return 0
    except BackofficeError as error:
        click.echo(f"error: {error}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        path = log_file()
        if path is not None:
            log.error("unexpected error in a console session", exc_info=error)
        where = f"; details in {path}" if path else ""
        click.echo(f"error: unexpected error: {type(error).__name__}: {error}{where}", err=True)
        return 1
    finally:
        state.close()


def _open_without_prompt(state: CliState) -> None:
    """Open the database with no terminal on stdin: the service account's
    password comes from its keyring, environment or password file, and is
    never asked of the operator on the other end."""
    terminal = sys.stdin
    with open(os.devnull) as nothing:
        sys.stdin = nothing
        try:
            state.database()
        finally:
            sys.stdin = terminal


def _take_terminal(fds: list[int]) -> None:
    """Make the received descriptors this process's 0, 1 and 2, with the
    streams Python gives a terminal: UTF-8, output flushed line by line."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in set(fds) - {0, 1, 2}:
        os.close(fd)
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        # the server's streams stay referenced: collecting one would close 0, 1 or 2
        _server_streams.append(getattr(sys, f"__{name}__"))
        stream = open(  # noqa: SIM115 - the process's own stream, never closed
            number,
            "w" if number else "r",
            buffering=1 if number else -1,
            encoding="utf-8",
            errors="backslashreplace" if number == 2 else "strict",
            closefd=False,
        )
        setattr(sys, f"__{name}__", stream)
        setattr(sys, name, stream)


def _set_environment(request: SessionRequest) -> None:
    os.environ["TERM"] = request.term
    for name, value in (
        ("COLORTERM", request.colorterm),
        ("NO_COLOR", "1" if request.no_color else None),
    ):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        os.get_terminal_size(1)
    except OSError:
        os.environ["COLUMNS"], os.environ["LINES"] = str(request.columns), str(request.rows)
    else:  # the driver reads the size from the terminal, also after SIGWINCH
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)


def _follow_client(connection: socket.socket) -> None:
    """Raise in this process the signals the client forwards; hang up when the
    client is gone or the terminal closes, as the kernel hangs up a process
    whose controlling terminal closes (this one has none)."""
    reader = LineReader()
    allowed = {name: getattr(signal, name) for name in FORWARDED_SIGNALS}
    watch = select.poll()
    watch.register(connection.fileno(), select.POLLIN)
    watch.register(0, 0)  # hang-up and errors only
    while True:
        events = dict(watch.poll())
        if events.get(0, 0) & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
            data = b""
        elif events.get(connection.fileno(), 0):
            try:
                data = connection.recv(4096)
            except OSError:
                data = b""
        else:
            continue
        if not data:
            os.kill(os.getpid(), signal.SIGHUP)
            return
        try:
            messages = reader.feed(data)
        except ProtocolError:
            continue
        for message in messages:
            name = message.get("signal")
            if isinstance(name, str) and name in allowed:
                os.kill(os.getpid(), allowed[name])


def run_forked_session(
    connection: socket.socket,
    fds: list[int],
    request: SessionRequest,
    options: ConsoleOptions,
    inherited: list[int],
) -> NoReturn:
    """The forked child: run the session, report its status, and exit."""
    code = 1
    try:
        os.setsid()  # out of the server's process group: stopping it spares the sessions
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in inherited:
            with contextlib.suppress(OSError):
                os.close(fd)
        connection.setblocking(True)
        state = console_state(request.login, options)
        log_file()  # the login's log file, never this session's terminal, gets its records
        _take_terminal(fds)
        _set_environment(request)
        connection.sendall(encode({"started": os.getpid()}))
        threading.Thread(
            target=_follow_client, args=(connection,), name="session-client", daemon=True
        ).start()
        code = run_console_as(state, screen=request.screen, theme=request.theme)
    except BaseException as error:
        with contextlib.suppress(Exception):
            if not isinstance(error, SystemExit) and log_file() is not None:
                log.error("console session failed", exc_info=error)
            code = (
                error.code if isinstance(error, SystemExit) and isinstance(error.code, int) else 1
            )
    finally:
        # the client leaves once it has the status: its hang-up must not end this exit
        for number in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_IGN)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(OSError):
            connection.sendall(encode({"exit": code}))
        os._exit(code)
