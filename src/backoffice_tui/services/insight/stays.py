"""How long each work item spent waiting, working and blocked, from its events.

An item's status changes are events (``work_item.ready``, ``started``,
``released``, ``blocked``, ``unblocked``, ``done``, ``skipped``); a line's
first step is ready from the moment its order is created, which no event
says, so its creation counts as its first ``ready``. Between one change and
the next the item is in one state:

- **waiting**: ready (made ready, or given back to the team), not started;
- **working**: in progress (started since it was last made ready);
- **blocked**: blocked since its last unblock, whatever it was before;
- **pending**: not yet ready (an earlier step is open), not counted.

Every visit counts: an item started, given back and started again adds both
spells of work. All of it is one SQL statement with window functions
(SQLite 3.25+ and PostgreSQL), reading only the events of the items asked
about through the index on ``(entity, entity_id)``.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, case, func, literal, select, union_all

from backoffice_tui.services.insight.clock import seconds_between
from backoffice_tui.store.base import UTCDateTime
from backoffice_tui.store.models import Event, WorkItem

READY = "work_item.ready"
RELEASED = "work_item.released"
STARTED = "work_item.started"
BLOCKED = "work_item.blocked"
UNBLOCKED = "work_item.unblocked"
DONE = "work_item.done"
SKIPPED = "work_item.skipped"
STATE_KINDS = (READY, RELEASED, STARTED, BLOCKED, UNBLOCKED, DONE, SKIPPED)
READIED = (READY, RELEASED)
_CREATED = "work_item.created"

SECONDS_PER_DAY = 86400.0


def at_utc(moment: datetime) -> Any:
    """A bound UTC time, stored the way the backend stores times."""
    return literal(moment, UTCDateTime())


def marked_stream(item_ids: Select[*tuple[Any, ...]]) -> Subquery:
    """Every status change of the items of ``item_ids`` (their creation
    included), in order, each with the time of the next (``next_at``, None
    on the last), its ``state`` from then on and the three facts that
    decide it (``is_blocked``, ``is_started``, ``is_readied``)."""
    ids = item_ids.cte("counted_ids")
    stream = union_all(
        select(
            Event.entity_id.label("item_id"),
            Event.id.label("seq"),
            Event.at.label("at"),
            Event.kind.label("kind"),
        ).where(
            Event.entity == "work_item",
            Event.entity_id.in_(select(ids.c[0])),
            Event.kind.in_(STATE_KINDS),
        ),
        select(
            WorkItem.id.label("item_id"),
            literal(0).label("seq"),
            WorkItem.created_at.label("at"),
            case((WorkItem.position == 1, literal(READY)), else_=literal(_CREATED)).label("kind"),
        ).where(WorkItem.id.in_(select(ids.c[0]))),
    ).subquery("stream")

    def last(kinds: tuple[str, ...]) -> Any:
        return func.max(case((stream.c.kind.in_(kinds), stream.c.seq))).over(
            partition_by=stream.c.item_id,
            order_by=(stream.c.at, stream.c.seq),
            rows=(None, 0),
        )

    marked = select(
        stream.c.item_id,
        stream.c.seq,
        stream.c.at,
        stream.c.kind,
        func.lead(stream.c.at)
        .over(partition_by=stream.c.item_id, order_by=(stream.c.at, stream.c.seq))
        .label("next_at"),
        last((STARTED,)).label("last_started"),
        last(READIED).label("last_readied"),
        last((BLOCKED,)).label("last_blocked"),
        last((UNBLOCKED,)).label("last_unblocked"),
    ).subquery("marked")
    is_blocked = func.coalesce(marked.c.last_blocked, -1) > func.coalesce(
        marked.c.last_unblocked, -1
    )
    is_started = func.coalesce(marked.c.last_started, -1) > func.coalesce(marked.c.last_readied, -1)
    is_readied = marked.c.last_readied.is_not(None)
    return select(
        marked.c.item_id,
        marked.c.seq,
        marked.c.at,
        marked.c.kind,
        marked.c.next_at,
        state_after(marked.c.kind.in_((DONE, SKIPPED)), is_blocked, is_started, is_readied).label(
            "state"
        ),
        case((is_blocked, 1), else_=0).label("is_blocked"),
        case((is_started, 1), else_=0).label("is_started"),
        case((is_readied, 1), else_=0).label("is_readied"),
    ).subquery("spells")


def state_after(closing: Any, is_blocked: Any, is_started: Any, is_readied: Any) -> Any:
    """An item's state after a change: closed (done or skipped), else
    blocked, working, waiting or pending by the three facts."""
    return case(
        (closing, literal("closed")),
        (is_blocked, literal("blocked")),
        (is_started, literal("working")),
        (is_readied, literal("waiting")),
        else_=literal("pending"),
    )


def item_stays(item_ids: Select[*tuple[Any, ...]], now: datetime) -> Subquery:
    """One row per item of ``item_ids`` (a select of work item ids):
    ``item_id``, seconds ``waiting``, ``working`` and ``blocked`` (an open
    spell runs to ``now``), ``visits`` (times started), ``ready_at`` (first
    made ready) and ``done_at``, replayed from the events (the reports read
    the same from ``work_item_stays``, see ``rollup``)."""
    marked = marked_stream(item_ids)
    spells = select(
        marked.c.item_id,
        marked.c.at,
        marked.c.kind,
        marked.c.state,
        seconds_between(marked.c.at, func.coalesce(marked.c.next_at, at_utc(now))).label("length"),
    ).subquery("lengths")

    def seconds_in(name: str) -> Any:
        return func.coalesce(
            func.sum(case((spells.c.state == name, spells.c.length), else_=0.0)), 0.0
        )

    return (
        select(
            spells.c.item_id,
            seconds_in("waiting").label("waiting"),
            seconds_in("working").label("working"),
            seconds_in("blocked").label("blocked"),
            func.sum(case((spells.c.kind == STARTED, 1), else_=0)).label("visits"),
            func.min(case((spells.c.kind.in_(READIED), spells.c.at))).label("ready_at"),
            func.max(case((spells.c.kind == DONE, spells.c.at))).label("done_at"),
        )
        .group_by(spells.c.item_id)
        .subquery("stays")
    )


def ready_since() -> Any:
    """A correlated expression for an open item (``WorkItem``): when it was
    first made ready (its creation, for a line's first step)."""
    first_ready = (
        select(func.min(Event.at))
        .where(
            Event.entity == "work_item",
            Event.entity_id == WorkItem.id,
            Event.kind.in_(READIED),
        )
        .scalar_subquery()
    )
    return func.coalesce(first_ready, WorkItem.created_at)


def nearest_rank(percent: int, rank: Any, count: Any) -> Any:
    """True on the row that is the ``percent``-th percentile by nearest rank
    (the ceil(p * n)-th of n ordered values)."""
    return rank == (count * percent + 99) // 100
