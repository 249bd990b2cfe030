"""The session server: ``backoffice sessions serve``.

Started once as the service account, it imports everything a console needs
(Textual, the app and its screens, SQLAlchemy, the models, the database
driver), runs one console off-screen to fill the caches a first screen
builds (``gateway.warm_up``), and listens on a Unix socket that only the
service account may use. The collector stays off in the server, and what it
holds is frozen out of the collector's reach before every fork. Every
accepted request forks one console session (``gateway.console``): the fork
shares the imported code and data with the server page by page, so a session
costs what it changes, not a whole interpreter, and it paints its first
screen without importing anything.

No database engine exists before the fork: each session opens its own.
Sessions run in their own process sessions and hold their own end of the
client's connection, so a server that stops (or is killed) leaves the
running consoles alone; each one ends when its operator quits and still
reports its exit status to its client. Under systemd, ``KillMode=process``
keeps them across a restart of the service.
"""

import contextlib
import gc
import importlib
import os
import select
import signal
import socket
import stat
import struct
import sys
from pathlib import Path

from backoffice_tui.config import Settings, load_settings
from backoffice_tui.domain.errors import ConfigError, InvalidInput
from backoffice_tui.domain.logins import GATEWAY_LOGIN, check_gateway_login
from backoffice_tui.gateway.console import ConsoleOptions, SessionRequest, run_forked_session
from backoffice_tui.gateway.protocol import (
    MAX_LINE,
    REQUEST_FIELDS,
    ProtocolError,
    decode,
    default_socket_path,
    encode,
)
from backoffice_tui.gateway.warm_up import paint_off_screen
from backoffice_tui.services.connection import parse_database_url
from backoffice_tui.tui.screen_names import SCREEN_NAMES

REQUEST_TIMEOUT = 2.0
REFUSAL_LINGER = 0.5  # seconds a refused client gets to read its line
TERM_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_")

#: Loaded by a console only once it runs (the driver, its parsers, layouts
#: chosen by CSS); importing them here spares every session the import.
RUNTIME_MODULES = (
    "backoffice_tui.cli.console",
    "backoffice_tui.tui.app",
    "textual.drivers.linux_driver",
    "textual.drivers.headless_driver",
    "textual.pilot",
    "textual.drivers._writer_thread",
    "textual.drivers._input_reader",
    "textual._xterm_parser",
    "textual._keyboard_protocol",
    "textual.layouts.factory",
    "textual.layouts.horizontal",
    "textual.layouts.stream",
    "textual.system_commands",
    "concurrent.futures.thread",
    "tty",
)


class RequestRefused(Exception):
    """A request the server does not serve; the message is its one-line reason."""


def parse_request(message: dict[str, object]) -> SessionRequest:
    """The request, checked field by field; anything else is refused."""
    unknown = sorted(set(message) - REQUEST_FIELDS)
    if unknown:
        raise RequestRefused(f"refused: unknown request field {unknown[0]!r}")
    login = message.get("login")
    if not isinstance(login, str):
        raise RequestRefused("refused: the request names no login")
    try:
        check_gateway_login(login)
    except InvalidInput as error:
        raise RequestRefused(f"refused: {error}") from None
    screen = message.get("screen", "home")
    if screen not in SCREEN_NAMES:
        raise RequestRefused(f"refused: no screen {screen!r}")
    theme = message.get("theme")
    # a theme's name keeps to the characters of a login
    if theme is not None and not (isinstance(theme, str) and GATEWAY_LOGIN.fullmatch(theme)):
        raise RequestRefused("refused: not a theme name")
    term = message.get("term", "xterm-256color")
    if not isinstance(term, str) or not term or len(term) > 64 or set(term) - TERM_CHARACTERS:
        raise RequestRefused("refused: not a terminal type")
    colorterm = message.get("colorterm")
    if colorterm is not None and colorterm not in ("truecolor", "24bit"):
        colorterm = None
    no_color = message.get("no_color", False)
    if not isinstance(no_color, bool):
        raise RequestRefused("refused: no_color must be true or false")
    return SessionRequest(
        login=login,
        screen=str(screen),
        theme=theme,
        term=term,
        colorterm=colorterm,
        no_color=no_color,
        columns=_terminal_size(message.get("columns", 80)),
        rows=_terminal_size(message.get("rows", 24)),
    )


def _terminal_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10_000:
        raise RequestRefused("refused: not a terminal size")
    return value


def peer_uid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return int(uid)


def preload(settings: Settings) -> None:
    """Import what a console needs and keep it out of the collector's way."""
    for name in RUNTIME_MODULES:
        importlib.import_module(name)
    # the database driver, without connecting: no engine may exist before a fork
    parse_database_url(settings.database_url).get_dialect().import_dbapi()
    from rich.cells import cell_len

    cell_len("表")  # loads the wide-character table
    paint_off_screen(settings)
    gc.collect()
    gc.freeze()


class SessionServer:
    """The listening socket, the sessions forked from it and their clients."""

    def __init__(self, socket_path: Path, options: ConsoleOptions) -> None:
        self.socket_path = socket_path
        self.options = options
        self.listener: socket.socket | None = None
        self.sessions: dict[int, socket.socket] = {}  # pid -> the client's connection
        self.stopping = False
        self._report_fd = os.dup(2)  # the server's own log, never a session's terminal
        self._wakeup_read, self._wakeup_write = os.pipe()
        os.set_blocking(self._wakeup_read, False)
        os.set_blocking(self._wakeup_write, False)

    def report(self, line: str) -> None:
        with contextlib.suppress(OSError):
            os.write(self._report_fd, (line + "\n").encode(errors="replace"))

    # --- the socket ---------------------------------------------------------

    def listen(self) -> None:
        """Bind the socket, owner-only; refuse one another server is listening on."""
        path = self.socket_path
        if len(os.fsencode(path)) > 100:
            raise ConfigError(f"socket path too long for a Unix socket: {path}")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.exists() or path.is_symlink():
            if not stat.S_ISSOCK(path.lstat().st_mode):
                raise ConfigError(f"{path} exists and is not a socket")
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(str(path))
            except OSError:
                path.unlink()  # left by a server that did not stop cleanly
            else:
                raise ConfigError(f"a session server is already listening on {path}")
            finally:
                probe.close()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous = os.umask(0o177)
        try:
            listener.bind(str(path))
        finally:
            os.umask(previous)
        os.chmod(path, 0o600)
        listener.listen(128)
        self.listener = listener

    def close(self) -> None:
        """Stop listening; running sessions carry on."""
        if self.listener is not None:
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(self.socket_path.lstat().st_mode):
                    self.socket_path.unlink()
            self.listener.close()
            self.listener = None
        for connection in self.sessions.values():
            connection.close()
        self.sessions.clear()

    # --- the loop -----------------------------------------------------------

    def serve_forever(self) -> None:
        assert self.listener is not None
        signal.set_wakeup_fd(self._wakeup_write, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the loop to reap
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            signal.signal(getattr(signal, name), self._stop)
        while not self.stopping:
            listening = self.listener.fileno()
            ready, _, _ = select.select([listening, self._wakeup_read], [], [])
            if self._wakeup_read in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wakeup_read, 512)
                self.reap()
            if listening in ready and not self.stopping:
                self.accept()
        self.reap()

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def reap(self) -> None:
        """Collect ended sessions and tell their clients how they ended."""
        while self.sessions:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code
            self.report(f"session {pid} ended with status {code}")
            connection = self.sessions.pop(pid, None)
            if connection is not None:
                # the session reports a normal end itself; this covers a killed one
                with contextlib.suppress(OSError):
                    connection.sendall(encode({"exit": code}))
                connection.close()

    def accept(self) -> None:
        assert self.listener is not None
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        fds: list[int] = []
        try:
            if peer_uid(connection) != os.getuid():
                raise RequestRefused("refused: only the service account may ask for a session")
            connection.settimeout(REQUEST_TIMEOUT)
            line, fds, truncated = self._receive_request(connection)
            request = parse_request(decode(line))
            if truncated or len(fds) != 3:
                raise RequestRefused("refused: a request passes stdin, stdout and stderr")
            if not (os.isatty(fds[0]) and os.isatty(fds[1])):
                raise RequestRefused("refused: the console needs a terminal (ssh -t)")
        except (RequestRefused, ProtocolError, OSError) as error:
            reason = str(error) if isinstance(error, RequestRefused) else f"refused: {error}"
            self.report(f"session request {reason}")
            for fd in fds:
                os.close(fd)
            self._refuse(connection, reason)
            return
        self._fork(connection, request, fds)

    @staticmethod
    def _refuse(connection: socket.socket, reason: str) -> None:
        """Send the one-line refusal and close, after reading what the client
        still sends: closing on unread input would reset the connection and
        could lose the line."""
        with contextlib.suppress(OSError):
            connection.settimeout(REFUSAL_LINGER)
            connection.sendall(encode({"error": reason}))
            connection.shutdown(socket.SHUT_WR)
            for _ in range(16):
                if not connection.recv(MAX_LINE):
                    break
        connection.close()

    @staticmethod
    def _receive_request(connection: socket.socket) -> tuple[bytes, list[int], bool]:
        """The request's line, the descriptors sent with it, and whether the
        kernel dropped some (more were sent than a request passes)."""
        data, fds, flags, _ = socket.recv_fds(connection, MAX_LINE + 1, 3)
        try:
            while b"\n" not in data and data and len(data) <= MAX_LINE:
                more = connection.recv(MAX_LINE + 1 - len(data))
                if not more:
                    break
                data += more
        except OSError:  # a client that stalls past the timeout
            for fd in fds:
                os.close(fd)
            raise
        line, newline, _ = data.partition(b"\n")
        if not newline:
            line = b""  # no complete line: not a request
        return line, fds, bool(flags & socket.MSG_CTRUNC)

    def _fork(self, connection: socket.socket, request: SessionRequest, fds: list[int]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        inherited = [self._report_fd, self._wakeup_read, self._wakeup_write]
        if self.listener is not None:
            inherited.append(self.listener.fileno())
        inherited += [other.fileno() for other in self.sessions.values()]
        # The collector stays off in the server: a collection in a session would
        # write to every shared object's header and copy its page. What the
        # server made since the last fork is collected, the rest frozen.
        gc.collect()
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            gc.enable()
            run_forked_session(connection, fds, request, self.options, inherited)
        for fd in fds:
            os.close(fd)
        self.sessions[pid] = connection
        self.report(f"session {pid} started for {request.login}")


def serve(socket_path: Path | None, options: ConsoleOptions) -> None:
    """Preload, listen and fork sessions until SIGTERM, SIGINT or SIGHUP."""
    settings = load_settings(database=options.database, config=options.config)
    gc.disable()
    server = SessionServer(socket_path or Path(default_socket_path()), options)
    server.listen()
    try:
        preload(settings)
        server.report(f"serving console sessions on {server.socket_path}")
        server.serve_forever()
    finally:
        server.close()
