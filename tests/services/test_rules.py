"""Automation rules on both backends: loading, each trigger kind, actions,
the loop guard, exactly-once handling, retries, and ``rules test``."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from backoffice_tui.domain.errors import InvalidInput, PermissionDenied
from backoffice_tui.services.rules import actions, conditions, runner
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
    fire_all,
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
    events_by,
    item_of,
    keep_demo_rules,
    load,
    open_item,
    serve_once,
    serve_pass,
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


def _notes_by(db: Database, rule: str, item_id: int) -> int:
    return sum(e.entity_id == item_id for e in events_by(db, f"rule:{rule}", "work_item.note"))


def test_firings_share_a_transaction_and_one_that_fails_is_undone_alone_and_retried(
    demo_db: Database, as_user: MakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "TRANSACTION_SECONDS", 60.0)  # however slow the machine
    both_teams = CHAIN.replace("{name}", "ping").replace(
        'field = "team"\nequals = "design"', 'field = "team"\nin = ["design", "build"]'
    )
    load(demo_db, both_teams)  # its roles are design's only: on a build step it is refused
    serve_once(demo_db)
    design, build = open_item(demo_db, "design"), open_item(demo_db, "build")
    for item_id in (design, build, design):
        items.add_note(as_user("admin-ito"), item_id, "hello")
    feed = RuleFeed(demo_db, "serve")
    feed.resume()
    plans = plans_for_events(demo_db, live_rules(demo_db), feed.read())
    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    event.listen(demo_db.engine, "commit", committed)
    try:
        firings = fire_all(demo_db, plans)
    finally:
        event.remove(demo_db.engine, "commit", committed)
    feed.save()
    assert [f.outcome for f in firings] == ["done", "failed", "done"]
    assert len(commits) == 1  # the three firings, in one transaction
    assert "rule:ping is not in team build" in (firings[1].error or "")
    assert (_notes_by(demo_db, "ping", design), _notes_by(demo_db, "ping", build)) == (2, 0)
    [failed] = [r for r in history(demo_db, "ping") if r.outcome == "failed"]
    assert failed.attempts == 1 and failed.next_retry_at is not None
    load(
        demo_db, both_teams.replace('["operator@design"]', '["operator@design", "operator@build"]')
    )
    [again] = retry_due(demo_db, lambda: datetime.now(UTC) + timedelta(minutes=5))
    assert (again.outcome, again.entity_id) == ("done", build)
    assert _notes_by(demo_db, "ping", build) == 1
    assert serve_once(demo_db) == []


def test_a_runner_stopped_mid_batch_leaves_none_of_it_and_the_next_makes_each_once(
    demo_db: Database, as_user: MakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "TRANSACTION_SECONDS", 60.0)  # however slow the machine
    load(demo_db, CHAIN.replace("{name}", "ping"))
    serve_once(demo_db)
    item_id = open_item(demo_db, "design")
    for text in ("one", "two", "three"):
        items.add_note(as_user("sato"), item_id, text)
    comment = actions.ACTIONS["comment"]
    calls: list[int] = []

    def stopped_on_the_second(acting: actions.Acting, action: object) -> actions.Done:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return comment(acting, action)  # type: ignore[arg-type]

    monkeypatch.setitem(actions.ACTIONS, "comment", stopped_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        serve_pass(demo_db)
    assert count(demo_db, RuleFiring) == 0 and _notes_by(demo_db, "ping", item_id) == 0
    monkeypatch.setitem(actions.ACTIONS, "comment", comment)
    assert serve_once(demo_db) == ["done", "done", "done"]
    assert serve_once(demo_db) == []
    assert _notes_by(demo_db, "ping", item_id) == 3


def test_a_firing_is_skipped_when_its_conditions_stopped_holding_since_the_batch_was_read(
    demo_db: Database, as_user: MakeContext
) -> None:
    load(demo_db, NOTE_RAISES_PRIORITY)
    serve_once(demo_db)
    item_id = open_item(demo_db, "design")
    with demo_db.write() as session:
        session.execute(update(WorkItem).where(WorkItem.id == item_id).values(priority=3))
    items.add_note(as_user("sato"), item_id, "URGENT")
    feed = RuleFeed(demo_db, "serve")
    feed.resume()
    [planned] = plans_for_events(demo_db, live_rules(demo_db), feed.read())
    with demo_db.write() as session:  # someone made it most urgent meanwhile
        session.execute(update(WorkItem).where(WorkItem.id == item_id).values(priority=1))
    assert [f.outcome for f in fire_all(demo_db, [planned])] == ["skipped"]
    assert count(demo_db, RuleFiring) == 0


def test_two_runners_serving_at_once_answer_each_event_once(
    demo_db: Database, as_user: MakeContext
) -> None:
    import threading
    import time

    load(demo_db, CHAIN.replace("{name}", "ping"))
    for name in ("first", "second"):
        serve_once(demo_db, name)  # places both cursors
    item_id = open_item(demo_db, "design")
    heard: dict[str, list[str]] = {"first": [], "second": []}
    stop = threading.Event()
    runners = [
        threading.Thread(
            target=serve,
            args=(demo_db,),
            kwargs={
                "name": name,
                "poll_seconds": 0.02,
                "should_stop": stop.is_set,
                "on_firing": lambda firing, name=name: heard[name].append(firing.outcome),
            },
        )
        for name in heard
    ]
    for thread in runners:
        thread.start()
    try:
        for n in range(30):
            items.add_note(as_user("sato"), item_id, f"note {n}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(len(h) < 30 for h in heard.values()):
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in runners:
            thread.join()
    assert sorted(heard["first"] + heard["second"]) == ["already"] * 30 + ["done"] * 30
    assert _notes_by(demo_db, "ping", item_id) == 30
    assert count(demo_db, RuleFiring) == 30


def test_a_batch_read_in_small_chunks_plans_the_same_firings_and_depths(
    demo_db: Database, as_user: MakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "MANY_AT_ONCE", 2)
    monkeypatch.setattr(conditions, "MANY_AT_ONCE", 2)
    load(demo_db, CHAIN.replace("{name}", "ping"))
    load(demo_db, CHAIN.replace("{name}", "pong"))
    serve_once(demo_db)
    first, second = open_item(demo_db, "design"), open_item(demo_db, "design", "waiting")
    for item_id in (first, second, first):
        items.add_note(as_user("sato"), item_id, "hello")
    feed = RuleFeed(demo_db, "serve")
    feed.resume()
    plans = plans_for_events(demo_db, live_rules(demo_db), feed.read())
    assert sorted((p.rule.name, p.candidate.entity_id, p.depth) for p in plans) == sorted(
        (rule, item_id, 1) for rule in ("ping", "pong") for item_id in (first, second, first)
    )
    assert [f.outcome for f in fire_all(demo_db, plans)] == ["done"] * 6
    feed.save()
    assert serve_once(demo_db) == ["done"] * 6  # depth 2: each answers the other
    assert serve_once(demo_db) == ["stopped"] * 6


def test_a_transaction_of_firings_ends_when_its_time_is_up(
    demo_db: Database, as_user: MakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "TRANSACTION_SECONDS", 0.0)
    load(demo_db, CHAIN.replace("{name}", "ping"))
    serve_once(demo_db)
    item_id = open_item(demo_db, "design")
    for text in ("one", "two"):
        items.add_note(as_user("sato"), item_id, text)
    feed = RuleFeed(demo_db, "serve")
    feed.resume()
    plans = plans_for_events(demo_db, live_rules(demo_db), feed.read())
    heard: list[int] = []
    firings = fire_all(
        demo_db, plans, on_firing=lambda firing: heard.append(count(demo_db, RuleFiring))
    )
    assert [f.outcome for f in firings] == ["done", "done"]
    assert heard == [1, 2]  # each heard of once committed, before the next was made
