"""The console in a real pty at 80x24 with TERM=xterm (16 colours): every
screen reachable from the keyboard, no mouse tracking, silent when idle."""

import pytest

from tests.tui.pty_session import PtySession

MOUSE_TRACKING = (b"\x1b[?1000h", b"\x1b[?1002h", b"\x1b[?1003h", b"\x1b[?1006h")


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("term", ["xterm", "xterm-256color"])
def test_keyboard_only_session(demo_url: str, term: str) -> None:
    session = PtySession(["--database", demo_url, "--user", "kimura"], term=term)
    try:
        session.wait_for(b"My queue", b"Team load", timeout=30)
        for enable in MOUSE_TRACKING:
            assert enable not in session.output
        steps = [
            (b"2", b"sorted by due date"),
            (b"j", None),
            (b"\r", b"Steps of this line"),
            (b"\x1b", None),
            (b"?", b"Keys: Work queue"),
            (b"\x1b", None),
            (b"3", b"Waiting for me"),
            (b"1", b"Overdue in my teams"),
        ]
        for key, marker in steps:
            session.output.clear()
            session.send(key)
            if marker:
                session.wait_for(marker, timeout=15)
            else:
                session.quiet(0.3)
        session.quiet()
        assert session.read(2.0) == b""  # nothing is written while nothing changes
        session.send(b"\x11")  # ctrl+q
        session.process.wait(15)
        assert session.process.returncode == 0
    finally:
        session.close()


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_opening_on_a_customer(demo_url: str) -> None:
    session = PtySession(["--database", demo_url, "--user", "kimura", "--customer", "C0001"])
    try:
        session.wait_for(b"Customer C0001", b"events", b"ORD-2026-0001", timeout=30)
        session.send(b"q")
        session.wait_for(b"Customers", timeout=15)
    finally:
        session.close()
