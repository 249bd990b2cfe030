"""Automation rules on both backends: loading, each trigger kind, actions,
the loop guard, exactly-once handling, retries, and ``rules test``."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from backoffice_tui.domain.errors import InvalidInput, PermissionDenied
from backoffice_tui.services.rules.definitions import (
    list_rules,
    live_rules,
    load_rule_text,
    set_enabled,
)
from backoffice_tui.services.rules.feed import RuleFeed
from backoffice_tui.services.rules.history import automation_rate, history, try_rule
from backoffice_tui.services.rules.runner import (
    fire,
    plans_for_events,
    retry_due,
    run_once,
    serve,
)
from backoffice_tui.services.work import items
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Event,
    Rule,
    RuleCausedEvent,
    RuleCursor,
    RuleFiring,
    User,
    WorkItem,
)
from tests.services.rule_helpers import (
    MakeContext,
    count,
    item_of,
    keep_demo_rules,
    load,
    open_item,
    serve_once,
)


@pytest.fixture(autouse=True)
def _only_the_tests_rules(demo_db: Database) -> None:
    keep_demo_rules(demo_db)


NOTE_RAISES_PRIORITY = """
name = "urgent-notes"
description = "A note saying URGENT makes the step most urgent."
roles = ["lead@design"]
[trigger]
event = "work_item.note"
[when]
all = [{ field = "team", equals = "design" }, { not = { field = "priority", equals = 1 } }]
[[actions]]
do = "set_priority"
priority = 1
"""


def test_a_rule_is_loaded_versioned_and_acts_as_its_own_user(demo_db: Database) -> None:
    load(demo_db, NOTE_RAISES_PRIORITY)
    load(demo_db, NOTE_RAISES_PRIORITY)
    assert [(r.name, r.version, r.enabled) for r in list_rules(demo_db)] == [
        ("urgent-notes", 1, True)
    ]
    load(demo_db, NOTE_RAISES_PRIORITY.replace("most urgent", "urgent"))
    assert list_rules(demo_db)[0].version == 2
    with demo_db.read() as session:
        user = session.scalar(select(User).where(User.login == "rule:urgent-notes"))
        assert user is not None and not user.active
    assert set_enabled(demo_db, "demo", "urgent-notes", False)
    assert not set_enabled(demo_db, "demo", "urgent-notes", False)
    assert live_rules(demo_db) == []


def test_only_admins_load_rules_and_bad_files_say_why(
    demo_db: Database, as_user: MakeContext
) -> None:
    with pytest.raises(PermissionDenied, match="only an admin"), demo_db.write() as session:
        load_rule_text(session, as_user("sato").actor, NOTE_RAISES_PRIORITY, "x.toml")
    with pytest.raises(InvalidInput, match="unknown team 'nowhere'"):
        load(demo_db, NOTE_RAISES_PRIORITY.replace("lead@design", "lead@nowhere"))
    with pytest.raises(InvalidInput, match=r"test\.toml"):
        load(demo_db, "name = ")
    assert count(demo_db, Rule) == 0


def test_an_event_rule_acts_through_the_services_and_shows_on_the_timeline(
    demo_db: Database, as_user: MakeContext
) -> None:
    load(demo_db, NOTE_RAISES_PRIORITY)
    serve_once(demo_db)  # places the cursor
    item_id = open_item(demo_db, "design")
    with demo_db.write() as session:
        session.execute(update(WorkItem).where(WorkItem.id == item_id).values(priority=3))
    items.add_note(as_user("sato"), item_id, "URGENT: customer called")
    assert serve_once(demo_db) == ["done"]
    assert item_of(demo_db, item_id).priority == 1
    with demo_db.read() as session:
        edited = session.scalars(
            select(Event).where(Event.entity_id == item_id, Event.kind == "work_item.edited")
        ).one()
        assert edited.actor_name == "rule:urgent-notes"
        assert session.get(RuleCausedEvent, edited.id) is not None
    assert serve_once(demo_db) == []  # its own edit does not trigger it again
    [row] = history(demo_db, "urgent-notes")
    assert (row.outcome, row.version, row.trigger) == ("done", 1, "event")
    assert "priority=1" in row.did


def test_two_runners_racing_and_a_killed_runner_fire_each_event_once(
    demo_db: Database, as_user: MakeContext
) -> None:
    load(demo_db, CHAIN.replace("{name}", "ping"))
    first, second = RuleFeed(demo_db, "serve"), RuleFeed(demo_db, "serve")
    first.resume()
    second.resume()
    item_id = open_item(demo_db, "design")
    items.add_note(as_user("sato"), item_id, "hello")
    rules = live_rules(demo_db)
    batch_a, batch_b = first.read(), second.read()
    assert [e.id for e in batch_a] == [e.id for e in batch_b]
    # both planned before either acted, as two runners at the same moment
    plans = plans_for_events(demo_db, rules, batch_a) + plans_for_events(demo_db, rules, batch_b)
    assert sorted(fire(demo_db, plan).outcome for plan in plans) == ["already", "done"]
    # killed before saving its cursor: the next runner reads the batch again
    assert serve_once(demo_db) == ["already"]
    assert serve_once(demo_db) == []
    with demo_db.read() as session:
        notes = session.scalars(
            select(Event.summary).where(Event.entity_id == item_id, Event.kind == "work_item.note")
        ).all()
    assert sum("seen by ping" in note for note in notes) == 1


CHAIN = """
name = "{name}"
roles = ["operator@design"]
max_depth = 2
[trigger]
event = "work_item.note"
[when]
field = "team"
equals = "design"
[[actions]]
do = "comment"
text = "seen by {name}"
"""


def test_a_chain_of_rules_stops_at_its_depth_and_says_so(
    demo_db: Database, as_user: MakeContext
) -> None:
    load(demo_db, CHAIN.replace("{name}", "ping"))
    load(demo_db, CHAIN.replace("{name}", "pong"))
    serve_once(demo_db)
    items.add_note(as_user("sato"), open_item(demo_db, "design"), "hello")
    assert sorted(serve_once(demo_db)) == ["done", "done"]  # depth 1: both answer the person
    assert sorted(serve_once(demo_db)) == ["done", "done"]  # depth 2: each answers the other
    assert sorted(serve_once(demo_db)) == ["stopped", "stopped"]
    assert serve_once(demo_db) == []
    with demo_db.read() as session:
        stops = session.scalars(select(Event).where(Event.kind == "rule.chain_stopped")).all()
        assert len(stops) == 2 and "depth 2" in stops[0].summary


OVERDUE = """
name = "overdue-to-top"
roles = ["lead@design"]
[trigger]
overdue_hours = 1
[when]
field = "team"
equals = "design"
[[actions]]
do = "set_priority"
priority = 1
[[actions]]
do = "comment"
text = "{title} is overdue"
"""


def test_a_time_rule_fires_once_per_due_date_and_rules_test_writes_nothing(
    demo_db: Database,
) -> None:
    load(demo_db, OVERDUE)
    item_id = open_item(demo_db, "design")
    with demo_db.write() as session:
        session.execute(
            update(WorkItem)
            .where(WorkItem.team_id == item_of(demo_db, item_id).team_id)
            .values(due_on=date.today() + timedelta(days=30), priority=3)
        )
        session.execute(
            update(WorkItem).where(WorkItem.id == item_id).values(due_on=date(2020, 1, 6))
        )
    before = (count(demo_db, Event), count(demo_db, RuleFiring))
    report = try_rule(demo_db, "overdue-to-top")
    assert [w.subject for w in report.would_act_on] == [f"work_item {item_id}"]
    assert "set priority 3 → 1" in report.would_act_on[0].actions
    assert (count(demo_db, Event), count(demo_db, RuleFiring)) == before
    assert [f.outcome for f in run_once(demo_db).firings] == ["done"]
    assert item_of(demo_db, item_id).priority == 1
    assert run_once(demo_db).firings == ()


def test_a_failing_action_is_recorded_and_retried_with_backoff(demo_db: Database) -> None:
    load(demo_db, OVERDUE.replace('roles = ["lead@design"]', "roles = []"))
    item_id = open_item(demo_db, "design")
    with demo_db.write() as session:
        session.execute(
            update(WorkItem)
            .where(WorkItem.status.in_(["waiting", "ready", "in_progress", "blocked"]))
            .values(due_on=date.today() + timedelta(days=30))
        )
        session.execute(
            update(WorkItem).where(WorkItem.id == item_id).values(due_on=date(2020, 1, 6))
        )
    [failed] = run_once(demo_db).firings
    assert failed.outcome == "failed" and "rule:overdue-to-top" in (failed.error or "")
    assert count(demo_db, Event) == count(demo_db, Event)  # nothing half written
    assert retry_due(demo_db) == []  # not yet
    later = datetime.now(UTC) + timedelta(minutes=5)
    [again] = retry_due(demo_db, lambda: later)
    assert again.outcome == "failed"
    [row] = history(demo_db, "overdue-to-top")
    assert row.attempts == 2 and row.next_retry_at is not None and row.next_retry_at > later


def test_the_automation_rate_counts_what_rules_did(demo_db: Database, as_user: MakeContext) -> None:
    load(
        demo_db,
        NOTE_RAISES_PRIORITY.replace("set_priority", "assign").replace(
            "priority = 1", 'to = "least_loaded"'
        ),
    )
    serve_once(demo_db)
    item_id = open_item(demo_db, "design")
    items.add_note(as_user("sato"), item_id, "please someone")
    assert serve_once(demo_db) == ["done"]
    assert item_of(demo_db, item_id).assignee_id is not None
    rows = [r for r in automation_rate(demo_db, 1) if r.kind == "assignments"]
    assert sum(r.by_rules for r in rows) == 1


def test_serve_applies_event_rules_within_a_second_and_resumes_after_a_restart(
    demo_db: Database, as_user: MakeContext
) -> None:
    import threading
    import time

    load(demo_db, CHAIN.replace("{name}", "ping"))
    item_id = open_item(demo_db, "design")

    def run_until(done: Callable[[], bool]) -> list[str]:
        seen: list[str] = []
        stop = threading.Event()
        runner = threading.Thread(
            target=lambda: serve(
                demo_db,
                poll_seconds=0.05,
                should_stop=stop.is_set,
                on_firing=lambda f: seen.append(f.outcome),
            )
        )
        runner.start()
        deadline = time.monotonic() + 5
        while not done() and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        runner.join()
        return seen

    run_until(lambda: count(demo_db, RuleCursor) == 1)  # places the cursor
    items.add_note(as_user("sato"), item_id, "hello")
    started = time.monotonic()
    assert run_until(lambda: count(demo_db, RuleFiring) == 1) == ["done"]
    assert time.monotonic() - started < 1.5
    # stopped and started again: nothing is handled twice, new events are
    items.add_note(as_user("sato"), item_id, "again")
    assert run_until(lambda: count(demo_db, RuleFiring) == 2) == ["done"]
