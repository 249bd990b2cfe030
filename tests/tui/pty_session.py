"""The console in a real pseudo-terminal, as an operator's SSH session sees it.

Shared by the pty tests and ``bench/bench_console.py``.
"""

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path


class PtySession:
    """``backoffice ARGS`` running in a pty of the given size and TERM."""

    MODULE = "backoffice_tui.cli.main"  # run as ``python -m MODULE ARGS``

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
        environment = {**os.environ, "TERM": term, "COLUMNS": str(columns), "LINES": str(rows)}
        environment.pop("NO_COLOR", None)  # colour unless the test asks for none
        environment.update(env or {})
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.MODULE, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()

    def read(self, timeout: float) -> bytes:
        """Everything written within ``timeout`` seconds."""
        chunk = bytearray()
        deadline = time.perf_counter() + timeout
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                break
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            chunk += data
        self.output += chunk
        return bytes(chunk)

    def wait_for(self, *markers: bytes, timeout: float = 60.0) -> float:
        """Seconds from process start until every marker has been written."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if all(m in self.output for m in markers):
                return time.perf_counter() - self.started
            self.read(0.01)
        raise TimeoutError(f"markers {markers} not seen; got {bytes(self.output[-600:])!r}")

    def quiet(self, seconds: float = 0.5, limit: float = 10.0) -> None:
        """Wait until nothing has been written for ``seconds``."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline and self.read(seconds):
            pass

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def timed_key(self, key: bytes, settle: float = 0.3) -> tuple[float, int]:
        """Send a key; seconds until the last byte of the screen update, and its size."""
        self.read(0.05)
        sent = time.perf_counter()
        self.send(key)
        last, size = sent, 0
        while True:
            ready, _, _ = select.select([self.master], [], [], settle)
            if not ready:
                break
            data = os.read(self.master, 65536)
            self.output += data
            size += len(data)
            last = time.perf_counter()
        return last - sent, size

    def peak_memory_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def close(self) -> int | None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        code = self.process.wait(10)
        os.close(self.master)
        return code
