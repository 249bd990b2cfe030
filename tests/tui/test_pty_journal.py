"""kill -9 of the console in a real pty while a decision is in its undo
window: the next start offers it; committed, the request is decided once;
discarded, it stays pending; either way the start after asks nothing."""

import json
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice_tui.services.connection import open_database
from backoffice_tui.store.models import ApprovalDecision, ApprovalRequest, Event
from backoffice_tui.tui.decision_journal import journal_folder
from tests.tui.pty_session import PtySession

HELD = b"1 decision was held when the console stopped"


def start(url: str, config: Path) -> PtySession:
    session = PtySession(
        ["--database", url, "--user", "kimura"], env={"BACKOFFICE_CONFIG": str(config)}
    )
    session.wait_for(b"My queue", timeout=30)
    return session


def quit_console(session: PtySession) -> None:
    session.send(b"\x11")  # ctrl+q
    assert session.process.wait(15) == 0


def decided(url: str, request_id: int) -> tuple[str, int, int]:
    """The request's state, its approvals and its approved events."""
    db = open_database(url)
    try:
        with db.read() as session:
            request = session.get(ApprovalRequest, request_id)
            assert request is not None
            approvals = session.scalar(
                select(func.count())
                .select_from(ApprovalDecision)
                .where(
                    ApprovalDecision.request_id == request_id, ApprovalDecision.action == "approve"
                )
            )
            events = session.scalar(
                select(func.count())
                .select_from(Event)
                .where(
                    Event.entity == "approval_request",
                    Event.entity_id == request_id,
                    Event.kind == "approval.approved",
                )
            )
            return request.state, approvals or 0, events or 0
    finally:
        db.dispose()


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("answer", [b"c", b"d"], ids=["commit", "discard"])
def test_a_decision_held_at_kill_9_is_offered_at_the_next_start(
    demo_url: str, answer: bytes, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[approvals]\nundo_seconds = 30\n", encoding="utf-8")

    session = start(demo_url, config)
    try:
        session.send(b"3")
        session.wait_for(b"Waiting for me", timeout=15)
        session.quiet(0.5)  # the request under the cursor has been read
        session.send(b"a")
        session.wait_for(b"approve in", timeout=15)
        (journal,) = journal_folder("kimura").glob("*.json")
        (entry,) = json.loads(journal.read_text(encoding="utf-8"))["entries"]
        request_id = entry["request_id"]
        before = decided(demo_url, request_id)
        os.killpg(session.process.pid, signal.SIGKILL)
        assert session.process.wait(10) == -signal.SIGKILL
    finally:
        session.close()
    assert decided(demo_url, request_id) == before  # nothing was committed
    assert before[0] == "pending"

    session = start(demo_url, config)
    try:
        session.wait_for(HELD, f"(approval {request_id})".encode(), timeout=15)
        session.send(answer)
        session.wait_for(
            b"committed 1 held decision" if answer == b"c" else b"discarded 1 held decision",
            timeout=15,
        )
        quit_console(session)
    finally:
        session.close()
    state, approvals, events = decided(demo_url, request_id)
    if answer == b"c":
        assert (approvals, events) == (before[1] + 1, before[2] + 1)  # once
    else:
        assert (state, approvals, events) == before
    assert list(journal_folder("kimura").glob("*.json")) == []

    session = start(demo_url, config)
    try:
        session.quiet(1.0)
        assert HELD not in session.output
        quit_console(session)
    finally:
        session.close()
    assert decided(demo_url, request_id) == (state, approvals, events)
