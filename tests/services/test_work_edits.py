"""Editing a step's due date, priority and title; the same on many items,
and releasing and assigning many, each batch in one transaction."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
)
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.imports import RecordKind
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work.bulk import assign_items, release_items
from backoffice_tui.services.work.edits import edit_item, edit_items
from backoffice_tui.services.work.queue import QueueFilter, QueueRow, get_queue_row, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, WorkItem
from tests.io.files import write_csv
from tests.services.test_imports import apply


def items_of(db: Database, team: str, status: WorkStatus, count: int = 1) -> list[QueueRow]:
    rows = list_queue(
        db, None, QueueFilter(team=team, statuses=(status,)), today=date.today(), limit=count
    )
    assert len(rows) == count, f"demo data has too few {status} items for {team}"
    return rows


def last_event(db: Database, item_id: int) -> Event:
    with db.read() as session:
        event = session.scalars(
            select(Event)
            .where(Event.entity == "work_item", Event.entity_id == item_id)
            .order_by(Event.id.desc())
            .limit(1)
        ).one()
        session.expunge(event)
        return event


def test_a_lead_changes_due_date_priority_and_title_with_a_reason(
    demo_db: Database, as_user
) -> None:
    row = items_of(demo_db, "design", WorkStatus.READY)[0]
    later = row.due + timedelta(days=4)
    edit_item(
        as_user("sato"),
        row.id,
        due_on=later,
        priority=1,
        title="Design review with the customer",
        reason="customer asked",
        expected_version=row.version,
    )
    changed = get_queue_row(demo_db, row.id)
    assert (changed.due, changed.priority, changed.version) == (later, 1, row.version + 1)
    assert changed.title == "Design review with the customer"
    event = last_event(demo_db, row.id)
    assert event.kind == "work_item.edited" and event.actor_name == "sato"
    assert f"due {row.due} → {later}" in event.summary
    assert event.summary.endswith(": customer asked")
    assert event.payload["reason"] == "customer asked"
    assert event.payload["changes"]["due_on"] == [row.due.isoformat(), later.isoformat()]
    with demo_db.read() as session:
        item = session.get_one(WorkItem, row.id)
        assert event.customer_id == item.customer_id  # on the customer's timeline
        assert item.updated_at == event.at
    # the queue's text filter finds the item by its own title
    found = list_queue(
        demo_db, None, QueueFilter(text="with the CUSTOMER"), today=date.today(), limit=10
    )
    assert [r.id for r in found] == [row.id]


def test_the_assignee_may_change_the_priority_only(demo_db: Database, as_user) -> None:
    row = items_of(demo_db, "design", WorkStatus.READY)[0]
    david = as_user("david")
    work_items.claim(david, row.id)
    version = row.version + 1
    wanted = 1 if row.priority != 1 else 2
    edit_item(david, row.id, priority=wanted, reason="urgent for sales", expected_version=version)
    assert get_queue_row(demo_db, row.id).priority == wanted
    with pytest.raises(PermissionDenied, match="only a lead of team design"):
        edit_item(
            david,
            row.id,
            due_on=row.due + timedelta(days=1),
            reason="later",
            expected_version=version + 1,
        )
    # a member who is not the assignee changes nothing
    with pytest.raises(PermissionDenied, match="kobayashi is neither"):
        edit_item(as_user("kobayashi"), row.id, priority=4, reason="x", expected_version=None)
    # nor does someone from another team
    with pytest.raises(PermissionDenied):
        edit_item(as_user("kimura"), row.id, priority=4, reason="x", expected_version=None)


def test_a_stale_edit_is_refused_naming_who_changed_the_item(demo_db: Database, as_user) -> None:
    row = items_of(demo_db, "design", WorkStatus.READY)[0]
    edit_item(as_user("sato"), row.id, title="First", reason="first", expected_version=row.version)
    with pytest.raises(Conflict, match="changed by sato") as refused:
        edit_item(
            as_user("admin-ito"), row.id, title="Second", reason="2nd", expected_version=row.version
        )
    assert "\n" not in str(refused.value)
    assert get_queue_row(demo_db, row.id).title == "First"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"priority": 5, "reason": "x"}, "priority must be 1"),
        ({"priority": 0, "reason": "x"}, "priority must be 1"),
        ({"priority": 2, "reason": "  "}, "a reason is required"),
        ({"reason": "nothing"}, "nothing to change"),
        ({"title": "x" * 301, "reason": "long"}, "at most 300"),
        ({"title": "two\nlines", "reason": "x"}, "one line"),
    ],
)
def test_bad_edits_are_refused_in_one_line(
    demo_db: Database, as_user, changes: dict[str, object], message: str
) -> None:
    row = items_of(demo_db, "design", WorkStatus.READY)[0]
    with pytest.raises(InvalidInput, match=message):
        edit_item(as_user("sato"), row.id, expected_version=row.version, **changes)  # type: ignore[arg-type]
    assert get_queue_row(demo_db, row.id).version == row.version


def test_finished_items_and_unchanged_values_are_refused(demo_db: Database, as_user) -> None:
    done = items_of(demo_db, "sales-admin", WorkStatus.DONE)[0]
    with pytest.raises(InvalidTransition, match="it is done"):
        edit_item(as_user("suzuki"), done.id, priority=1, reason="x", expected_version=None)
    ready = items_of(demo_db, "design", WorkStatus.READY)[0]
    with pytest.raises(InvalidTransition, match="already has these values"):
        edit_item(as_user("sato"), ready.id, due_on=ready.due, reason="same", expected_version=None)


def test_clearing_the_title_goes_back_to_the_step_name(demo_db: Database, as_user) -> None:
    row = items_of(demo_db, "design", WorkStatus.READY)[0]
    sato = as_user("sato")
    edit_item(sato, row.id, title="Own title", reason="clearer", expected_version=None)
    edit_item(sato, row.id, title="", reason="back", expected_version=None)
    assert get_queue_row(demo_db, row.id).title == ""
    with demo_db.read() as session:
        assert session.get_one(WorkItem, row.id).search_text == ""


def test_editing_many_applies_the_allowed_and_lists_the_refused(demo_db: Database, as_user) -> None:
    design = items_of(demo_db, "design", WorkStatus.READY, 2)
    build = items_of(demo_db, "build", WorkStatus.READY)[0]
    stale = (design[1].id, design[1].version - 1)
    day = date.today() + timedelta(days=30)
    outcomes = edit_items(
        as_user("sato"),
        [(design[0].id, design[0].version), stale, (build.id, build.version)],
        due_on=day,
        reason="the customer moved the go-live",
    )
    assert [o.item_id for o in outcomes] == [design[0].id, design[1].id, build.id]
    assert outcomes[0].applied
    assert "changed by" in (outcomes[1].error or "")
    assert "only its assignee or a lead of team build" in (outcomes[2].error or "")
    assert get_queue_row(demo_db, design[0].id).due == day
    assert get_queue_row(demo_db, design[1].id).due == design[1].due
    assert get_queue_row(demo_db, build.id).due == build.due
    assert last_event(demo_db, design[0].id).kind == "work_item.edited"


def test_a_bad_change_for_many_is_refused_before_any_item(demo_db: Database, as_user) -> None:
    rows = items_of(demo_db, "design", WorkStatus.READY, 2)
    with pytest.raises(InvalidInput, match="a reason is required"):
        edit_items(as_user("sato"), [(r.id, r.version) for r in rows], priority=1, reason="")


def test_release_and_assign_many_in_one_batch(demo_db: Database, as_user) -> None:
    rows = items_of(demo_db, "design", WorkStatus.READY, 3)
    sato = as_user("sato")
    outcomes = assign_items(sato, [(r.id, r.version) for r in rows], "david")
    assert all(o.applied for o in outcomes), outcomes
    assert {get_queue_row(demo_db, r.id).assignee for r in rows} == {"david"}

    # kobayashi may release nobody else's work; david his own
    refused = release_items(as_user("kobayashi"), [(r.id, None) for r in rows])
    assert all("only a lead of team design" in (o.error or "") for o in refused)
    mixed = release_items(as_user("david"), [(rows[0].id, None), (rows[1].id, rows[1].version)])
    assert mixed[0].applied and "changed by" in (mixed[1].error or "")
    assert get_queue_row(demo_db, rows[0].id).assignee is None
    assert get_queue_row(demo_db, rows[1].id).assignee == "david"

    # someone outside the team cannot be given its work; the rest still is
    again = assign_items(sato, [(rows[0].id, None), (rows[1].id, None)], "kimura")
    assert all("not in team design" in (o.error or "") for o in again)


def test_an_import_of_attributes_keeps_the_title_findable(
    demo_db: Database, as_user, tmp_path: Path
) -> None:
    row = items_of(demo_db, "design", WorkStatus.READY)[0]
    edit_item(
        as_user("sato"),
        row.id,
        title="Zephyr walk-through",
        reason="clearer",
        expected_version=row.version,
    )
    path = write_csv(tmp_path / "w.csv", [["id", "Budget code"], [row.id, "B-12"]])
    assert apply(as_user("admin-ito"), path, RecordKind.WORK_ITEMS).updated == 1
    for text in ("zephyr walk", "b-12"):
        found = list_queue(demo_db, None, QueueFilter(text=text), today=date.today(), limit=10)
        assert [r.id for r in found] == [row.id], text
