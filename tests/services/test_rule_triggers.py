"""Each kind of trigger on both backends: an event kind, a schedule every N
minutes, daily at a time on working days, overdue by N hours, waiting N
working days, due within N days. Each test checks what the rule wrote: a
note by ``rule:<name>``, recorded as made by that rule's version."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from backoffice_tui.services.rules.runner import run_once
from backoffice_tui.services.work import items
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import WorkItem
from tests.services.rule_helpers import (
    MakeContext,
    design_items,
    events_by,
    keep_demo_rules,
    load,
    made_by,
    serve_once,
)


@pytest.fixture(autouse=True)
def _only_the_tests_rules(demo_db: Database) -> None:
    keep_demo_rules(demo_db)


def noting_rule(name: str, trigger: str, ids: list[int]) -> str:
    """A rule that notes on the given design steps when ``trigger`` says."""
    return f"""
name = "{name}"
roles = ["operator@design"]
[trigger]
{trigger}
[when]
field = "id"
in = {ids}
[[actions]]
do = "comment"
text = "{name} looked at {{title}}"
"""


def noted(db: Database, name: str) -> list[int]:
    """The steps the rule noted on, each note checked to be its version 1's."""
    notes = events_by(db, f"rule:{name}", "work_item.note")
    assert all(made_by(db, note.id) == (name, 1) for note in notes)
    assert all(f"{name} looked at" in note.summary for note in notes)
    return [note.entity_id for note in notes]


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def set_items(db: Database, item_id: int, **values: object) -> None:
    with db.write() as session:
        session.execute(update(WorkItem).where(WorkItem.id == item_id).values(**values))


def test_an_event_kind_fires_on_that_kind_only(demo_db: Database, as_user: MakeContext) -> None:
    [item_id] = design_items(demo_db, n=1)
    load(demo_db, noting_rule("on-block", 'event = "work_item.blocked"', [item_id]))
    serve_once(demo_db)  # places the cursor
    items.add_note(as_user("sato"), item_id, "not the kind the rule waits for")
    assert serve_once(demo_db) == []
    items.block(as_user("sato"), item_id, "customer site closed")
    assert serve_once(demo_db) == ["done"]
    assert noted(demo_db, "on-block") == [item_id]


def test_every_n_minutes_fires_once_a_slot(demo_db: Database) -> None:
    ids = design_items(demo_db, n=2)
    load(demo_db, noting_rule("every-ten", "every_minutes = 10", ids))
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert [f.outcome for f in run_once(demo_db, at(start)).firings] == ["done", "done"]
    assert run_once(demo_db, at(start + timedelta(minutes=9))).firings == ()
    assert len(run_once(demo_db, at(start + timedelta(minutes=10))).firings) == 2
    assert sorted(noted(demo_db, "every-ten")) == sorted(ids * 2)


def test_daily_at_a_time_fires_on_working_days_only(demo_db: Database) -> None:
    [item_id] = design_items(demo_db, n=1)
    load(demo_db, noting_rule("morning", 'daily_at = "08:30"', [item_id]))

    def local(day: int, hour: int, minute: int = 0) -> Callable[[], datetime]:
        return at(datetime(2026, 12, day, hour, minute).astimezone())

    assert run_once(demo_db, local(7, 8, 29)).firings == ()  # Monday, not yet
    assert len(run_once(demo_db, local(7, 8, 30)).firings) == 1
    assert run_once(demo_db, local(7, 15)).firings == ()  # once a day
    assert run_once(demo_db, local(12, 9)).firings == ()  # Saturday
    assert run_once(demo_db, local(13, 9)).firings == ()  # Sunday
    assert len(run_once(demo_db, local(14, 9)).firings) == 1  # Monday again
    assert noted(demo_db, "morning") == [item_id, item_id]


def test_overdue_by_n_hours_counts_from_the_end_of_the_due_day(demo_db: Database) -> None:
    late, due_yesterday = design_items(demo_db, n=2)
    today = date.today()
    set_items(demo_db, late, due_on=today - timedelta(days=3))
    set_items(demo_db, due_yesterday, due_on=today - timedelta(days=1))
    load(demo_db, noting_rule("late", "overdue_hours = 24", [late, due_yesterday]))
    assert [f.entity_id for f in run_once(demo_db).firings] == [late]
    assert run_once(demo_db).firings == ()  # once per due date
    set_items(demo_db, late, due_on=today - timedelta(days=4))  # moved: late again
    assert [f.entity_id for f in run_once(demo_db).firings] == [late]
    assert noted(demo_db, "late") == [late, late]


def test_waiting_n_working_days_takes_ready_steps_untouched_that_long(
    demo_db: Database,
) -> None:
    waiting, fresh = design_items(demo_db, n=2)
    set_items(demo_db, waiting, updated_at=datetime.now(UTC) - timedelta(days=10))
    set_items(demo_db, fresh, updated_at=datetime.now(UTC))
    load(demo_db, noting_rule("stale", "waiting_working_days = 3", [waiting, fresh]))
    assert [f.entity_id for f in run_once(demo_db).firings] == [waiting]
    assert run_once(demo_db).firings == ()
    assert noted(demo_db, "stale") == [waiting]


def test_due_within_n_days_takes_open_steps_due_soon(demo_db: Database) -> None:
    soon, later = design_items(demo_db, status="in_progress", n=2)
    today = date.today()
    set_items(demo_db, soon, due_on=today + timedelta(days=1))
    set_items(demo_db, later, due_on=today + timedelta(days=10))
    load(demo_db, noting_rule("soon", "due_within_days = 2", [soon, later]))
    assert [f.entity_id for f in run_once(demo_db).firings] == [soon]
    assert run_once(demo_db).firings == ()
    assert noted(demo_db, "soon") == [soon]
