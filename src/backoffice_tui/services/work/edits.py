"""Editing a step's due date, priority and title, with a reason, on one
item or on many at once.

A lead of the item's team may change all three; the assignee may change
the priority only. Finished (done or skipped) items are not edited.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput, InvalidTransition, PermissionDenied
from backoffice_tui.domain.statuses import CAN_CLAIM
from backoffice_tui.domain.text import attribute_search_text, attribute_texts
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Context
from backoffice_tui.services.work.bulk import ItemOutcome, Target, apply_each
from backoffice_tui.services.work.items import change_in, describe, open_in, required_reason
from backoffice_tui.store.models import WorkItem

PRIORITIES = range(1, 5)  # 1 is the most urgent
TITLE_LIMIT = 300  # the column's length


@dataclass(frozen=True)
class ItemEdit:
    """What to change (None: leave as it is) and why. A title of "" goes
    back to the template step's name."""

    due_on: date | None = None
    priority: int | None = None
    title: str | None = None
    reason: str = ""


def checked_edit(
    due_on: date | None, priority: int | None, title: str | None, reason: str | None
) -> ItemEdit:
    """The edit as asked, or the one-line reason it cannot be made."""
    reason = required_reason(reason, "change a work item")
    if due_on is None and priority is None and title is None:
        raise InvalidInput("nothing to change: give a due date, a priority or a title")
    if priority is not None and priority not in PRIORITIES:
        raise InvalidInput(f"priority must be 1 (most urgent) to 4, not {priority}")
    if title is not None:
        title = title.strip()
        if "\n" in title or "\r" in title:
            raise InvalidInput("a title is one line")
        if len(title) > TITLE_LIMIT:
            raise InvalidInput(f"a title has at most {TITLE_LIMIT} characters, not {len(title)}")
    return ItemEdit(due_on, priority, title, reason)


def _require_may_edit(session: Session, ctx: Context, item: WorkItem, edit: ItemEdit) -> None:
    """Leads change anything; the assignee the priority alone."""
    if permissions.is_lead(session, ctx.actor, item.team_id):
        return
    team = item.team.code
    if item.assignee_id != ctx.actor.user_id:
        raise PermissionDenied(
            f"only its assignee or a lead of team {team} can change work item {item.id}; "
            f"{ctx.actor.login} is neither"
        )
    if edit.due_on is not None or edit.title is not None:
        raise PermissionDenied(
            f"only a lead of team {team} can change the due date or title of work item "
            f"{item.id}; as its assignee, {ctx.actor.login} may change its priority"
        )


def edit_in(
    session: Session, ctx: Context, item_id: int, edit: ItemEdit, expected_version: int | None
) -> None:
    """Apply ``edit`` to one item inside the caller's transaction."""
    item = open_in(session, item_id, expected_version, CAN_CLAIM, "edit")
    _require_may_edit(session, ctx, item, edit)
    values: dict[str, Any] = {}
    changes: dict[str, list[Any]] = {}
    words: list[str] = []
    if edit.due_on is not None and edit.due_on != item.due_on:
        values["due_on"] = edit.due_on
        changes["due_on"] = [item.due_on.isoformat(), edit.due_on.isoformat()]
        words.append(f"due {item.due_on} → {edit.due_on}")
    if edit.priority is not None and edit.priority != item.priority:
        values["priority"] = edit.priority
        changes["priority"] = [item.priority, edit.priority]
        words.append(f"priority {item.priority} → {edit.priority}")
    if edit.title is not None and edit.title != item.title:
        values["title"] = edit.title
        values["search_text"] = attribute_search_text(attribute_texts(item.attributes), edit.title)
        changes["title"] = [item.title, edit.title]
        words.append(f"title {item.title or item.step.name!r} → {edit.title or item.step.name!r}")
    if not values:
        raise InvalidTransition(f"work item {item.id} already has these values")
    summary = f"{ctx.actor.label} changed {describe(item)}: {', '.join(words)}: {edit.reason}"
    change_in(
        session,
        ctx,
        item,
        "edited",
        summary,
        {"reason": edit.reason, "changes": changes},
        **values,
    )


def edit_item(
    ctx: Context,
    item_id: int,
    *,
    due_on: date | None = None,
    priority: int | None = None,
    title: str | None = None,
    reason: str,
    expected_version: int | None,
) -> None:
    """Change one item's due date, priority or title, saying why."""
    edit = checked_edit(due_on, priority, title, reason)
    with ctx.db.write() as session:
        edit_in(session, ctx, item_id, edit, expected_version)


def edit_items(
    ctx: Context,
    targets: Sequence[Target],
    *,
    due_on: date | None = None,
    priority: int | None = None,
    title: str | None = None,
    reason: str,
) -> list[ItemOutcome]:
    """The same change on many items (id, version seen) in one transaction;
    a bad change itself is refused before any item is read."""
    edit = checked_edit(due_on, priority, title, reason)
    return apply_each(ctx, targets, lambda s, item_id, v: edit_in(s, ctx, item_id, edit, v))
