"""Answering a handoff's checklist: check, text and link items.

Each item has its own version: two operators ticking different items of
one checklist both succeed (the handoff's version does not move), while the
second of two editing the same item is refused and told the current answer.
"""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Context
from backoffice_tui.services.handoffs.records import (
    CHECKED,
    describe,
    load_handoff,
    local_time,
    login_of,
    one_line,
    record_handoff_event,
    require_editable,
)
from backoffice_tui.store.base import rows_changed
from backoffice_tui.store.models import HandoffItem

_YES = frozenset({"yes", "y", "x", "true", "1", "done", "ok", "checked"})
_NO = frozenset({"", "no", "n", "false", "0", "unchecked"})


def normalise_answer(item: HandoffItem, value: str | None) -> str | None:
    """The answer as stored: ``yes`` or nothing for a check item, the trimmed
    text otherwise; an empty answer clears the item."""
    text = (value or "").strip()
    if item.kind == "check":
        if text.casefold() in _YES:
            return CHECKED
        if text.casefold() in _NO:
            return None
        raise InvalidInput(f"'{item.label}' is a check item: answer yes or no, not {value!r}")
    if not text:
        return None
    if item.kind == "link" and len(text.splitlines()) > 1:
        raise InvalidInput(f"'{item.label}' takes one link (a URL or a path) on one line")
    return text


def _item_conflict(session: Session, item: HandoffItem) -> Conflict:
    session.refresh(item)
    now_value = f"its answer is now '{item.answer}'" if item.answer else "it is now unanswered"
    return Conflict(
        f"checklist item '{item.label}' was changed by {login_of(session, item.answered_by_id)} "
        f"at {local_time(item.answered_at)}; {now_value}"
    )


def _answer_in(
    session: Session,
    ctx: Context,
    item: HandoffItem,
    value: str | None,
    expected_version: int | None,
) -> int:
    handoff = load_handoff(session, item.handoff_id, lock="share")
    permissions.require_member(
        session, ctx.actor, handoff.from_team_id, "answer the checklists of its handoffs"
    )
    require_editable(session, handoff, "answer the checklist of")
    if expected_version is not None and item.version != expected_version:
        raise _item_conflict(session, item)
    answer = normalise_answer(item, value)
    if answer == item.answer:
        return item.version
    now = ctx.now()
    result = session.execute(
        update(HandoffItem)
        .where(HandoffItem.id == item.id, HandoffItem.version == item.version)
        .values(
            answer=answer,
            answered_by_id=ctx.actor.user_id,
            answered_at=now,
            version=HandoffItem.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        raise _item_conflict(session, item)
    verb = "cleared" if answer is None else "ticked" if item.kind == "check" else "answered"
    shown = f": {one_line(answer)}" if answer is not None and item.kind != "check" else ""
    record_handoff_event(
        session,
        ctx,
        handoff,
        now,
        "answered",
        f"{ctx.actor.label} {verb} '{item.label}' on {describe(session, handoff)}{shown}",
        team_id=handoff.from_team_id,
        item_id=item.id,
        key=item.key,
        answer=answer,
        previous=item.answer,
    )
    return item.version + 1


def answer_item(
    ctx: Context, item_id: int, answer: str | None, expected_version: int | None = None
) -> int:
    """Answer (or, with an empty answer, clear) one checklist item; returns its
    new version. Only members of the sending team answer, before submission."""
    with ctx.db.write() as session:
        item = session.get(HandoffItem, item_id)
        if item is None:
            raise NotFound(f"no checklist item {item_id}")
        return _answer_in(session, ctx, item, answer, expected_version)


def answer_item_by_key(
    ctx: Context,
    handoff_id: int,
    key: str,
    answer: str | None,
    expected_version: int | None = None,
) -> int:
    """``answer_item`` for the item ``key`` of a handoff (as the command line names it)."""
    with ctx.db.write() as session:
        item = session.scalar(
            select(HandoffItem)
            .where(HandoffItem.handoff_id == handoff_id, HandoffItem.key == key)
            .order_by(HandoffItem.position)
            .limit(1)
        )
        if item is None:
            load_handoff(session, handoff_id)  # "no handoff N" first
            keys = session.scalars(
                select(HandoffItem.key)
                .where(HandoffItem.handoff_id == handoff_id)
                .order_by(HandoffItem.position)
            ).all()
            raise NotFound(
                f"handoff {handoff_id} has no checklist item {key!r}; its items are "
                + (", ".join(keys) or "none")
            )
        return _answer_in(session, ctx, item, answer, expected_version)


def toggle_item(ctx: Context, item_id: int, expected_version: int | None = None) -> int:
    """Tick an unticked check item, or untick a ticked one; returns its new version."""
    with ctx.db.write() as session:
        item = session.get(HandoffItem, item_id)
        if item is None:
            raise NotFound(f"no checklist item {item_id}")
        if item.kind != "check":
            raise InvalidInput(f"'{item.label}' takes a {item.kind}, not a tick: edit its answer")
        wanted = None if item.answer == CHECKED else CHECKED
        seen = item.version if expected_version is None else expected_version
        return _answer_in(session, ctx, item, wanted, seen)
