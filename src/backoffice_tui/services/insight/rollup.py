"""Keeping ``work_item_stays`` (each item's waiting, working and blocked
time) in step with the status events, in the transaction that writes them.

``record_stay`` moves one item's row on by one event: the spell since the
last change is added to the state it was in, and the new state follows from
the event (as ``stays.marked_stream`` decides it). An item's first event,
or an event dated before the item's last change, rebuilds the item's row
from its events instead; ``refresh`` rebuilds any set of items that way in
one statement (bulk writers, the backfill). ``current_stays`` reads the
rows back with the open spell counted up to a given time, the same figures
``stays.item_stays`` replays from the events.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    Subquery,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    outerjoin,
    select,
    true,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from backoffice_tui.services.insight.clock import seconds_between
from backoffice_tui.services.insight.stays import (
    BLOCKED,
    DONE,
    READIED,
    SKIPPED,
    STARTED,
    STATE_KINDS,
    UNBLOCKED,
    at_utc,
    marked_stream,
    state_after,
)
from backoffice_tui.store.base import rows_changed, table_of
from backoffice_tui.store.models import Event, WorkItem, WorkItemStay

SPELLS = ("waiting", "working", "blocked")


def record_stay(session: Session, item_id: int, kind: str, at: datetime) -> None:
    """Account for one status event of a work item (in the caller's
    transaction); other kinds are ignored."""
    if kind not in STATE_KINDS:
        return
    stay = table_of(WorkItemStay).c
    moment = at_utc(at)
    is_blocked = true() if kind == BLOCKED else false() if kind == UNBLOCKED else stay.is_blocked
    is_started = true() if kind == STARTED else false() if kind in READIED else stay.is_started
    is_readied = true() if kind in READIED else stay.is_readied
    values: dict[str, Any] = {
        name: stay[name]
        + case((stay.state == name, seconds_between(stay.since, moment)), else_=literal(0.0))
        for name in SPELLS
    }
    values.update(
        is_blocked=is_blocked,
        is_started=is_started,
        is_readied=is_readied,
        state=state_after(
            true() if kind in (DONE, SKIPPED) else false(), is_blocked, is_started, is_readied
        ),
        since=moment,
    )
    if kind == STARTED:
        values["visits"] = stay.visits + 1
    if kind in READIED:
        values["readied_at"] = func.coalesce(stay.readied_at, moment)
    if kind == DONE:
        values["done_at"] = moment
    moved = session.execute(
        sql_update(table_of(WorkItemStay))
        .where(stay.work_item_id == item_id, stay.since <= moment)
        .values(values)
    )
    if rows_changed(moved) == 0:
        session.flush()  # the event itself, so the rebuild reads it
        refresh(session, select(literal(item_id)))


def rebuilt_rows(item_ids: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """The rows of ``work_item_stays`` for those of ``item_ids`` that have
    had a status event, replayed from their events."""
    spells = marked_stream(item_ids)
    is_last = spells.c.next_at.is_(None)
    length = case((is_last, literal(0.0)), else_=seconds_between(spells.c.at, spells.c.next_at))

    def seconds_in(name: str) -> Any:
        return func.coalesce(func.sum(case((spells.c.state == name, length), else_=0.0)), 0.0)

    def on_last(column: Any) -> Any:
        return func.max(case((is_last, column)))

    return (
        select(
            spells.c.item_id.label("work_item_id"),
            *(seconds_in(name).label(name) for name in SPELLS),
            func.sum(case((spells.c.kind == STARTED, 1), else_=0)).label("visits"),
            func.min(case((and_(spells.c.kind.in_(READIED), spells.c.seq > 0), spells.c.at))).label(
                "readied_at"
            ),
            func.max(case((spells.c.kind == DONE, spells.c.at))).label("done_at"),
            on_last(spells.c.state).label("state"),
            on_last(spells.c.at).label("since"),
            (on_last(spells.c.is_blocked) == 1).label("is_blocked"),
            (on_last(spells.c.is_started) == 1).label("is_started"),
            (on_last(spells.c.is_readied) == 1).label("is_readied"),
        )
        .group_by(spells.c.item_id)
        .having(func.max(spells.c.seq) > 0)
    )


COLUMNS = (
    "work_item_id",
    *SPELLS,
    "visits",
    "readied_at",
    "done_at",
    "state",
    "since",
    "is_blocked",
    "is_started",
    "is_readied",
)


def refresh(session: Session, item_ids: Select[*tuple[Any, ...]] | None = None) -> None:
    """Rebuild the rows of ``item_ids`` (every item when None) from their
    events, in one statement each way."""
    table = table_of(WorkItemStay)
    ids = item_ids if item_ids is not None else select(WorkItem.id)
    removed = delete(table)
    if item_ids is not None:
        removed = removed.where(table.c.work_item_id.in_(item_ids))
    session.execute(removed)
    session.execute(
        insert(table).from_select(list(COLUMNS), rebuilt_rows(ids)),
        execution_options={"synchronize_session": False},
    )


def items_with_state_events() -> Select[*tuple[Any, ...]]:
    """The ids of every work item with a status event."""
    return (
        select(Event.entity_id)
        .where(Event.entity == "work_item", Event.kind.in_(STATE_KINDS))
        .distinct()
    )


def _spell_columns(position: Any, created_at: Any, now: datetime) -> tuple[Any, ...]:
    """Seconds ``waiting``, ``working`` and ``blocked`` (an open spell runs to
    ``now``), ``visits`` and ``done_at`` of the row of ``work_item_stays``
    joined (outer) to an item of that ``position`` and ``created_at``."""
    stay = table_of(WorkItemStay).c
    state = func.coalesce(
        stay.state, case((position == 1, literal("waiting")), else_=literal("pending"))
    )
    open_spell = seconds_between(func.coalesce(stay.since, created_at), at_utc(now))

    def seconds_in(name: str) -> Any:
        return func.coalesce(stay[name], 0.0) + case(
            (state == name, open_spell), else_=literal(0.0)
        )

    return (
        *(seconds_in(name).label(name) for name in SPELLS),
        func.coalesce(stay.visits, 0).label("visits"),
        stay.done_at.label("done_at"),
    )


def current_stays(item_ids: Select[*tuple[Any, ...]], now: datetime) -> Subquery:
    """``stays.item_stays`` read from ``work_item_stays``: per item of
    ``item_ids``, ``item_id``, seconds ``waiting``, ``working`` and
    ``blocked`` (an open spell runs to ``now``), ``visits`` and ``done_at``.
    An item with no status event yet is waiting since its creation (a
    line's first step) or pending."""
    stay = table_of(WorkItemStay).c
    return (
        select(
            WorkItem.id.label("item_id"),
            *_spell_columns(WorkItem.position, WorkItem.created_at, now),
        )
        .select_from(WorkItem)
        .outerjoin(table_of(WorkItemStay), stay.work_item_id == WorkItem.id)
        .where(WorkItem.id.in_(item_ids))
        .subquery("stays")
    )


def stays_of(found: Any, now: datetime) -> Subquery:
    """``current_stays`` of the items of ``found`` (a CTE with ``item_id``,
    ``item_position`` and ``created_at`` columns, found first): its columns,
    then the item's ``waiting``, ``working``, ``blocked``, ``visits`` and
    ``done_at``, without reading the work item rows again."""
    stay = table_of(WorkItemStay).c
    return (
        select(*found.c, *_spell_columns(found.c.item_position, found.c.created_at, now))
        .select_from(found)
        .outerjoin(table_of(WorkItemStay), stay.work_item_id == found.c.item_id)
        .subquery("found_stays")
    )


def readied_at() -> Any:
    """When a work item (``WorkItem``) was first made ready (its creation,
    for a line's first step never made ready by an event) —
    ``stays.ready_since`` read from the rollup, in a statement over
    ``with_stays``."""
    return func.coalesce(WorkItemStay.readied_at, WorkItem.created_at)


def with_stays(statement: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """A statement over ``WorkItem`` with each item's row of
    ``work_item_stays`` joined (outer: an item may have none yet)."""
    return statement.select_from(
        outerjoin(WorkItem, WorkItemStay, WorkItemStay.work_item_id == WorkItem.id)
    )
