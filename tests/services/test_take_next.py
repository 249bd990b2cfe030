"""Taking the next one: which item, race-safety, nothing ready, the command line."""

import threading
from dataclasses import replace
from datetime import date

from sqlalchemy import or_, select

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.connection import open_database
from backoffice_tui.services.context import Context
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work.queue import get_queue_row
from backoffice_tui.services.work.take_next import nothing_ready, take_next
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, TeamMembership, WorkItem
from tests.cli.support import as_operator, ok, ok_json


def ready_for(db: Database, user_id: int) -> list[tuple[date, int, int]]:
    """(due, priority, id) of every item the user may take, in taking order."""
    with db.read() as session:
        teams = select(TeamMembership.team_id).where(TeamMembership.user_id == user_id)
        rows = session.execute(
            select(WorkItem.due_on, WorkItem.priority, WorkItem.id).where(
                WorkItem.status == "ready",
                WorkItem.team_id.in_(teams),
                or_(WorkItem.assignee_id.is_(None), WorkItem.assignee_id == user_id),
            )
        )
        return sorted((due, priority, item_id) for due, priority, item_id in rows)


def set_item(db: Database, item_id: int, **values: object) -> None:
    with db.write() as session:
        item = session.get_one(WorkItem, item_id)
        for name, value in values.items():
            setattr(item, name, value)


def started_events(db: Database, item_id: int) -> int:
    with db.read() as session:
        return len(
            list(
                session.scalars(
                    select(Event.id).where(
                        Event.entity == "work_item",
                        Event.entity_id == item_id,
                        Event.kind == "work_item.started",
                    )
                )
            )
        )


def test_takes_the_ready_item_due_first_and_starts_it(demo_db: Database, as_user) -> None:
    kimura = as_user("kimura")
    expected = ready_for(demo_db, kimura.actor.user_id)
    assert len(expected) >= 2, "demo data has ready work for kimura"
    row = take_next(kimura)
    assert row is not None
    assert row.id == expected[0][2]
    assert (row.status, row.assignee) == ("in_progress", "kimura")
    assert started_events(demo_db, row.id) == 1
    second = take_next(kimura)
    assert second is not None and second.id == expected[1][2]


def test_priority_breaks_a_tie_on_the_due_date_then_the_id(demo_db: Database, as_user) -> None:
    kimura = as_user("kimura")
    first, second, third = ready_for(demo_db, kimura.actor.user_id)[:3]
    early = date(2000, 1, 3)
    set_item(demo_db, first[2], due_on=early, priority=3)
    set_item(demo_db, second[2], due_on=early, priority=3)
    set_item(demo_db, third[2], due_on=early, priority=1)
    taken = [take_next(kimura) for _ in range(3)]
    assert [row.id for row in taken if row] == [third[2], *sorted((first[2], second[2]))]


def test_items_claimed_by_others_and_other_teams_are_left(demo_db: Database, as_user) -> None:
    kimura = as_user("kimura")
    (_, _, top), *_ = ready_for(demo_db, kimura.actor.user_id)
    if get_queue_row(demo_db, top).assignee is None:
        work_items.claim(as_user("admin-ito"), top)
    row = take_next(kimura)
    assert row is not None and row.id != top
    assert row.team in {"build", "operations"}
    assert get_queue_row(demo_db, top).status == "ready"


def test_an_item_already_mine_is_taken_in_its_turn(demo_db: Database, as_user) -> None:
    david = as_user("david")
    candidates = ready_for(demo_db, david.actor.user_id)
    mine = candidates[-1][2]
    work_items.claim(david, mine)
    set_item(demo_db, mine, due_on=date(2000, 1, 3))
    row = take_next(david)
    assert row is not None and row.id == mine and row.status == "in_progress"


def test_nothing_ready_is_none_and_one_line(demo_db: Database, as_user) -> None:
    kimura = as_user("kimura")
    for _, _, item_id in ready_for(demo_db, kimura.actor.user_id):
        set_item(demo_db, item_id, status=WorkStatus.WAITING.value)
    assert take_next(kimura) is None
    assert nothing_ready(kimura) == "nothing ready to take in build, operations"


def test_two_operators_taking_at_once_get_different_items(demo_url: str, as_user) -> None:
    """Real concurrency: both want the same item first; the loser goes on to the next."""
    david = as_user("david")
    priya = as_user("priya")
    db = david.db
    design_ready = [
        item_id
        for _, _, item_id in ready_for(db, david.actor.user_id)
        if get_queue_row(db, item_id).team == "design"
    ]
    contested = design_ready[0]
    set_item(db, contested, due_on=date(2000, 1, 3), priority=1)
    second_db = open_database(demo_url)
    contexts = [david, replace(priya, db=second_db)]
    barrier = threading.Barrier(2)
    taken: dict[str, int | None] = {}

    def attempt(ctx: Context) -> None:
        barrier.wait()
        row = take_next(ctx)
        taken[ctx.actor.login] = row.id if row else None

    threads = [threading.Thread(target=attempt, args=(c,)) for c in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    second_db.dispose()
    assert set(taken) == {"david", "priya"}
    assert None not in taken.values()
    assert taken["david"] != taken["priya"]
    assert contested in taken.values()
    for login, item_id in taken.items():
        assert item_id is not None
        row = get_queue_row(db, item_id)
        assert (row.status, row.assignee) == ("in_progress", login)
        assert started_events(db, item_id) == 1


def test_queue_next_on_the_command_line(demo_url: str) -> None:
    kimura = as_operator(demo_url, "kimura")
    taken = ok_json(*kimura, "queue", "next")
    assert taken["status"] == "in_progress" and taken["assignee"] == "kimura"
    plain = ok(*kimura, "queue", "next")
    assert plain.stdout.startswith("took work item ")
    assert " is in_progress (assignee kimura" in plain.stdout
    assert plain.stdout.count("\n") == 1
    db = open_database(demo_url)
    with db.write() as session:
        for item in session.scalars(select(WorkItem).where(WorkItem.status == "ready")):
            item.status = "waiting"
    db.dispose()
    nothing = ok(*kimura, "queue", "next")
    assert nothing.stdout == "nothing ready to take in build, operations\n"
    assert ok_json(*kimura, "queue", "next") is None
