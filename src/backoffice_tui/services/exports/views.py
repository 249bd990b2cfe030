"""Exports of what a list shows: its filter, its order and the columns
chosen for it, read in chunks like the other exports (``rows``).

A list's column is written as one or more file columns (the customer as
its code and its name); values stay plain (dates as dates, numbers as
numbers) so that a spreadsheet can sort and sum them.
"""

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.services.approvals.read import InboxRow, InboxSort, inbox_window
from backoffice_tui.services.context import Actor
from backoffice_tui.services.exports.rows import CHUNK, ExportTable
from backoffice_tui.services.handoffs.read import HandoffRow
from backoffice_tui.services.work.queue import QueueFilter, QueueRow, QueueSort, list_queue
from backoffice_tui.store.database import Database

Value = Callable[[Any], Any]

QUEUE_VALUES: dict[str, tuple[tuple[str, Value], ...]] = {
    "id": (("id", lambda r: r.id),),
    "customer": (
        ("customer", lambda r: r.customer_code),
        ("customer name", lambda r: r.customer_name),
    ),
    "order": (("order", lambda r: r.order_code),),
    "service": (("service", lambda r: r.service),),
    "step": (("step", lambda r: r.step),),
    "team": (("team", lambda r: r.team),),
    "assignee": (("assignee", lambda r: r.assignee),),
    "status": (("status", lambda r: r.status),),
    "due": (("due", lambda r: r.due),),
    "priority": (("priority", lambda r: r.priority),),
}

INBOX_VALUES: dict[str, tuple[tuple[str, Value], ...]] = {
    "due": (("due", lambda r: r.due_at),),
    "kind": (("kind", lambda r: r.subject_kind),),
    "title": (("subject", lambda r: r.title),),
    "customer": (
        ("customer", lambda r: r.customer_code),
        ("customer name", lambda r: r.customer_name),
    ),
    "stage": (
        ("stage", lambda r: f"{r.stage}/{r.stages} {r.stage_name}"),
        ("state", lambda r: r.state),
    ),
    "requester": (("requester", lambda r: r.requester),),
    "since": (("waiting since", lambda r: r.waiting_since),),
    "via": (("via", lambda r: r.via),),
}

HANDOFF_COLUMNS = (
    "id",
    "state",
    "open required",
    "from",
    "to",
    "order",
    "customer",
    "customer name",
    "service",
    "step",
    "work item",
)


def _chosen(
    values: dict[str, tuple[tuple[str, Value], ...]], keys: Sequence[str]
) -> tuple[tuple[str, ...], list[Value]]:
    unknown = [key for key in keys if key not in values]
    if unknown or not keys:
        raise InvalidInput(f"cannot export the columns {', '.join(unknown) or '(none)'}")
    parts = [part for key in keys for part in values[key]]
    return tuple(title for title, _ in parts), [value for _, value in parts]


def export_queue_view(
    db: Database,
    actor: Actor | None,
    queue_filter: QueueFilter,
    columns: Sequence[str],
    *,
    today: Any,
    sort: QueueSort = QueueSort.DUE,
    descending: bool = False,
) -> ExportTable:
    """The queue as the screen lists it: filter, order and ``columns`` (keys)."""
    titles, values = _chosen(QUEUE_VALUES, columns)

    def rows() -> Iterator[tuple[Any, ...]]:
        after = None
        while True:
            window: list[QueueRow] = list_queue(
                db,
                actor,
                queue_filter,
                today=today,
                limit=CHUNK,
                after=after,
                sort=sort,
                descending=descending,
            )
            for row in window:
                yield tuple(value(row) for value in values)
            if len(window) < CHUNK:
                return
            after = window[-1].sort_key(sort)

    return ExportTable("queue", titles, rows())


def export_inbox_view(
    db: Database,
    actor: Actor,
    now: datetime,
    columns: Sequence[str],
    *,
    sort: InboxSort = InboxSort.DUE,
    descending: bool = False,
) -> ExportTable:
    """What waits for the operator, in the inbox's order and ``columns``."""
    titles, values = _chosen(INBOX_VALUES, columns)

    def rows() -> Iterator[tuple[Any, ...]]:
        offset = 0
        while True:
            window: list[InboxRow] = inbox_window(db, actor, now, offset, CHUNK, sort, descending)
            for row in window:
                yield tuple(value(row) for value in values)
            if len(window) < CHUNK:
                return
            offset += len(window)

    return ExportTable("approvals", titles, rows())


def export_handoff_rows(rows: Sequence[HandoffRow]) -> ExportTable:
    """The handoffs a list shows, in its order."""
    return ExportTable(
        "handoffs",
        HANDOFF_COLUMNS,
        (
            (
                r.id,
                r.state,
                r.open_required,
                r.from_team,
                r.to_team,
                r.order_code,
                r.customer_code,
                r.customer_name,
                r.service,
                r.step,
                r.work_item_id,
            )
            for r in rows
        ),
    )
