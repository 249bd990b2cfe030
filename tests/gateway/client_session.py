"""A session client in a real pseudo-terminal, as the SSH forced command runs it."""

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path

from tests.tui.pty_session import PtySession


class ClientSession(PtySession):
    """``python -m backoffice_tui.gateway.client ARGS`` in a pty of the given size."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        columns: int = 80,
        rows: int = 24,
        term: str = "xterm-256color",
        env: dict[str, str] | None = None,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        environment = {**os.environ, "TERM": term, **(env or {})}
        environment.pop("NO_COLOR", None)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backoffice_tui.gateway.client", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()

    def resize(self, columns: int, rows: int) -> None:
        """Resize the terminal as sshd does: the new size, then SIGWINCH to its session."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.killpg(self.process.pid, signal.SIGWINCH)


def session_pids(server_pid: int) -> list[int]:
    """The server's children: one per running session."""
    path = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    return [int(pid) for pid in path.read_text().split()]
