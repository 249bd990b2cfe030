"""A session client in a real pseudo-terminal, as the SSH forced command runs it."""

import fcntl
import os
import signal
import struct
import termios
from pathlib import Path

from tests.tui.pty_session import PtySession


class ClientSession(PtySession):
    """``python -m backoffice_tui.gateway.client ARGS`` in a pty of the given size."""

    MODULE = "backoffice_tui.gateway.client"

    def resize(self, columns: int, rows: int) -> None:
        """Resize the terminal as sshd does: the new size, then SIGWINCH to its session."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.killpg(self.process.pid, signal.SIGWINCH)


def session_pids(server_pid: int) -> list[int]:
    """The server's children: one per running session."""
    path = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    return [int(pid) for pid in path.read_text().split()]
