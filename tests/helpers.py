"""Helpers shared by the test modules: approval stages, waiting on the
running console, the messages it dispatches, typing into it, and the event
log as the CLI shows it."""

import time
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot

from backoffice_tui.domain.templates import ApprovalStageSpec
from tests.cli.support import libpq_dsn, ok_json
from tests.tui.conftest import settle


def stage(
    name: str,
    *approvers: str,
    rule: str = "any",
    due_hours: int | None = 24,
    info_only: bool = False,
) -> ApprovalStageSpec:
    """One stage of an approval route, due a day after it becomes current."""
    return ApprovalStageSpec(
        name=name, approvers=approvers, rule=rule, info_only=info_only, due_hours=due_hours
    )


async def wait_until(
    pilot: Pilot[object], condition: Callable[[], bool], timeout: float, *, settled: bool = False
) -> None:
    """Let the app run, without pressing anything, until ``condition`` holds;
    with ``settled``, then let every worker finish too."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"still not true after {timeout} s")
        await pilot.pause(0.05)
    if settled:
        await settle(pilot)


class MessageLog:
    """Every message the app dispatches while it runs under test::

    log = MessageLog()
    async with app.run_test(message_hook=log.hook) as pilot: ...
    """

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def hook(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def notifications(self) -> list[str]:
        """The text of every notification shown so far, oldest first."""
        return [m.notification.message for m in self.messages if isinstance(m, Notify)]


async def type_text(pilot: Pilot[object], text: str) -> None:
    """Type ``text`` key by key into the focused input."""
    await pilot.press(*["space" if char == " " else char for char in text])


def newest_event_id(url: str) -> int:
    """The id of the newest event, read through ``backoffice events``."""
    return max(e["id"] for e in ok_json("--database", url, "events", "--limit", "100000"))


def database_connections(url: str) -> int:
    """The connections open to the PostgreSQL database of ``url``, other than
    the one asking."""
    database = make_url(url).database
    with psycopg.connect(libpq_dsn(url), autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()
    assert row is not None
    return int(row[0])
