"""Helpers shared by the test modules: approval stages, waiting on the
running console, the messages it dispatches, typing into it, the event
log as the CLI shows it, and records as imports leave them."""

import time
from collections.abc import Callable
from datetime import date

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot

from backoffice_tui.domain.templates import ApprovalStageSpec
from backoffice_tui.domain.text import attribute_search_text
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalRequest, Customer, Order, WorkItem
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


def give_item(
    db: Database,
    item_id: int,
    attributes: dict[str, str] | None = None,
    *,
    planned: tuple[date | None, date | None] = (None, None),
    actual: tuple[date | None, date | None] = (None, None),
) -> None:
    """What an import of a project sheet leaves on a work item: its
    attributes (with their search text) and its planned and actual dates."""
    with db.write() as session:
        item = session.get_one(WorkItem, item_id)
        item.attributes = dict(attributes or {})
        item.search_text = attribute_search_text(item.attributes)
        item.planned_start_on, item.planned_finish_on = planned
        item.actual_start_on, item.actual_finish_on = actual


def give_order(
    db: Database, order_id: int, title: str = "", attributes: dict[str, str] | None = None
) -> None:
    """What an import of orders leaves on an order: a title and attributes."""
    with db.write() as session:
        order = session.get_one(Order, order_id)
        order.title = title
        order.attributes = dict(attributes or {})
        order.search_text = attribute_search_text(order.attributes, title)


def give_customer(db: Database, code: str, attributes: dict[str, str]) -> None:
    """What an import of customers leaves on a customer: attributes."""
    with db.write() as session:
        customer = session.scalars(select(Customer).where(Customer.code == code)).one()
        customer.attributes = dict(attributes)
        customer.search_text = attribute_search_text(
            attributes, customer.code, customer.name, customer.reading
        )


def request_for(db: Database, item_id: int) -> int:
    """The approval request of work item ``item_id``."""
    with db.read() as session:
        found = session.scalar(
            select(ApprovalRequest.id).where(
                ApprovalRequest.subject_kind == "work_item", ApprovalRequest.subject_id == item_id
            )
        )
    assert found is not None
    return found
