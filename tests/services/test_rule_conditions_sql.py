"""Conditions put into the work item query give exactly the items the test
in Python gives, on both backends: a table of conditions (each field a
column decides, every operator, all / any / not, odd values) against every
demo work item, made varied first; the fields read for many items at once
are those read for one; and a time rule's firings are the same either way,
with those beyond a run's limit counted for the next run."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from backoffice_tui.domain.rule_files import Condition, holds, parse_condition
from backoffice_tui.services.rules.conditions import (
    pushdown,
    work_item_fields,
    work_item_fields_many,
)
from backoffice_tui.services.rules.definitions import live_rule
from backoffice_tui.services.rules.runner import due_plans, evaluate, run_once
from backoffice_tui.services.rules.triggers import OPEN
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Team, User, WorkItem
from tests.services.rule_helpers import keep_demo_rules, load

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def varied(demo_db: Database) -> Database:
    """The demo with priorities 1 to 4, unassigned and assigned steps, an
    enterprise customer and attributes on some steps."""
    keep_demo_rules(demo_db)
    with demo_db.write() as session:
        ids = list(session.scalars(select(WorkItem.id).order_by(WorkItem.id)))
        sato = session.scalar(select(User.id).where(User.login == "sato"))
        for n, item_id in enumerate(ids):
            session.execute(
                update(WorkItem)
                .where(WorkItem.id == item_id)
                .values(
                    priority=1 + n % 4,
                    assignee_id=sato if n % 3 == 0 else None,
                    attributes={"letter_ref": "L-1"} if n % 5 == 0 else {},
                )
            )
        customer = session.scalar(select(Customer).order_by(Customer.id).limit(1))
        assert customer is not None
        customer.segment = "Enterprise"
    return demo_db


def _python(db: Database, condition: Condition) -> set[int]:
    with db.read() as session:
        found = session.scalars(select(WorkItem)).all()
        return {item.id for item in found if holds(condition, work_item_fields(session, item))}


def _sql(db: Database, condition: Condition) -> tuple[set[int], bool]:
    with db.read() as session:
        pushed = pushdown(session, condition)
        return set(session.scalars(select(WorkItem.id).where(pushed.where))), pushed.exact


def _cond(data: dict[str, Any]) -> Condition:
    return parse_condition(data, "test")


EXACT = [
    {"field": "team", "equals": "design"},
    {"field": "team", "equals": "DESIGN"},
    {"field": "team", "not_equals": "design"},
    {"field": "team", "in": ["build", "operations", "nobody"]},
    {"field": "team", "contains": "o"},
    {"field": "team", "equals": "nobody"},
    {"field": "team", "below": 3},
    {"field": "service", "equals": "cloud"},
    {"field": "service", "not_equals": "cloud"},
    {"field": "step", "equals": "site-survey"},
    {"field": "step", "in": ["site-survey", "monitoring-setup"]},
    {"field": "automatic", "equals": True},
    {"field": "automatic", "not_equals": True},
    {"field": "status", "equals": "ready"},
    {"field": "status", "in": ["Ready", "in_progress"]},
    {"field": "status", "not_equals": "done"},
    {"field": "status", "contains": "ing"},
    {"field": "priority", "equals": 1},
    {"field": "priority", "equals": "2"},
    {"field": "priority", "equals": "02"},
    {"field": "priority", "equals": 2.0},
    {"field": "priority", "equals": 2.5},
    {"field": "priority", "equals": True},
    {"field": "priority", "not_equals": 1},
    {"field": "priority", "in": [1, "4"]},
    {"field": "priority", "below": 3},
    {"field": "priority", "above": 1.5},
    {"field": "priority", "at_least": 2},
    {"field": "priority", "at_most": 2},
    {"field": "segment", "equals": "enterprise"},
    {"field": "segment", "not_equals": "enterprise"},
    {"field": "customer", "not_equals": "nobody"},
    {"field": "assignee", "equals": "sato"},
    {"field": "assignee", "not_equals": "sato"},
    {"field": "assignee", "contains": ""},
    {"not": {"field": "assignee", "contains": ""}},
    {"all": [{"field": "team", "equals": "design"}, {"field": "priority", "above": 1}]},
    {"any": [{"field": "segment", "equals": "enterprise"}, {"field": "priority", "equals": 4}]},
    {
        "not": {
            "all": [{"field": "team", "equals": "build"}, {"field": "status", "equals": "ready"}]
        }
    },
    {"not": {"any": [{"field": "assignee", "equals": "sato"}, {"field": "step", "equals": "x"}]}},
    {
        "all": [
            {"not": {"field": "team", "in": ["design"]}},
            {"any": [{"field": "status", "equals": "waiting"}, {"field": "priority", "below": 2}]},
        ]
    },
]

IN_PYTHON = [
    {"field": "attributes.letter_ref", "contains": ""},
    {"field": "title", "contains": "survey"},
    {"field": "priority", "contains": "1"},
    {"field": "due_on", "equals": "2026-06-10"},
    {
        "all": [
            {"field": "team", "equals": "design"},
            {"field": "attributes.letter_ref", "contains": ""},
        ]
    },
    {"any": [{"field": "team", "equals": "design"}, {"field": "order.kind", "equals": "x"}]},
    {"not": {"field": "attributes.letter_ref", "equals": "L-1"}},
    {"all": [{"field": "priority", "equals": 1}, {"not": {"field": "title", "contains": "a"}}]},
]


def test_each_condition_in_sql_gives_exactly_the_python_matches(varied: Database) -> None:
    with varied.read() as session:
        total = len(session.scalars(select(WorkItem.id)).all())
    sizes = []
    for data in EXACT:
        condition = _cond(data)
        matched, exact = _sql(varied, condition)
        wanted = _python(varied, condition)
        assert exact, data
        assert matched == wanted, data
        sizes.append(len(wanted))
    assert any(0 < size < total for size in sizes)
    assert 0 in sizes and total in sizes


def test_a_condition_sql_cannot_decide_keeps_every_match_for_python(varied: Database) -> None:
    for data in IN_PYTHON:
        condition = _cond(data)
        matched, exact = _sql(varied, condition)
        assert not exact, data
        assert matched >= _python(varied, condition), data
        assert matched != set(), data


def test_fields_read_for_many_items_are_those_read_for_one(varied: Database) -> None:
    with varied.read() as session:
        found = session.scalars(select(WorkItem).order_by(WorkItem.id)).all()
        many = work_item_fields_many(session, [item.id for item in found])
        assert many == {item.id: work_item_fields(session, item) for item in found}
        assert work_item_fields_many(session, []) == {}


OVERDUE = """
name = "overdue-{n}"
roles = ["lead@design", "lead@build", "lead@operations"]
[trigger]
overdue_hours = 1
[when]
{when}
[[actions]]
do = "comment"
text = "{{title}} is overdue"
"""


def _overdue_rule(db: Database, n: int, when: str) -> str:
    load(db, OVERDUE.format(n=n, when=when))
    return f"overdue-{n}"


def _make_overdue(db: Database) -> None:
    with db.write() as session:
        session.execute(
            update(WorkItem).where(WorkItem.status.in_(OPEN)).values(due_on=date(2026, 6, 1))
        )


@pytest.mark.parametrize(
    "when",
    [
        'field = "team"\nequals = "design"',
        'any = [{ field = "priority", below = 3 },'
        ' { field = "attributes.letter_ref", contains = "" }]',
    ],
    ids=["in-sql", "in-python"],
)
def test_a_time_rule_fires_where_the_python_test_holds(varied: Database, when: str) -> None:
    _make_overdue(varied)
    rule = live_rule(varied, _overdue_rule(varied, 1, when))
    wanted = _python(varied, rule.spec.when) if rule.spec.when else set()
    with varied.read() as session:
        open_ids = set(session.scalars(select(WorkItem.id).where(WorkItem.status.in_(OPEN))))
    plans = due_plans(varied, rule, NOW, limit=10_000)
    assert {p.candidate.entity_id for p in plans} == wanted & open_ids
    assert len(plans) == len({p.candidate.entity_id for p in plans})


def test_beyond_the_limit_firings_are_counted_for_the_next_run(varied: Database) -> None:
    _make_overdue(varied)
    name = _overdue_rule(varied, 2, 'field = "team"\nequals = "design"')
    rule = live_rule(varied, name)
    every = evaluate(varied, rule, NOW, limit=10_000)
    assert every.more == 0 and len(every.plans) > 3
    first = evaluate(varied, rule, NOW, limit=2)
    assert len(first.plans) == 2 and first.more == len(every.plans) - 2
    assert evaluate(varied, rule, NOW, limit=2, count_more=False).more == 1
    assert [p.candidate for p in first.plans] == [p.candidate for p in every.plans[:2]]


def test_a_run_says_what_it_left_and_the_next_run_carries_on(
    varied: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make_overdue(varied)
    name = _overdue_rule(varied, 3, 'field = "team"\nequals = "design"')
    total = len(evaluate(varied, live_rule(varied, name), NOW, limit=10_000).plans)
    monkeypatch.setattr("backoffice_tui.services.rules.runner.MAX_PER_RUN", 2)
    clock = lambda: NOW  # noqa: E731
    first = run_once(varied, clock)
    assert [f.outcome for f in first.firings] == ["done", "done"]
    assert first.left == ((name, total - 2),)
    second = run_once(varied, clock)
    assert len(second.firings) == 2
    assert {f.entity_id for f in first.firings}.isdisjoint(f.entity_id for f in second.firings)
    assert second.left == (((name, total - 4),) if total > 4 else ())


def test_a_rule_on_an_unknown_team_matches_nothing(varied: Database) -> None:
    with varied.read() as session:
        assert session.scalar(select(Team.id).where(Team.code == "nobody")) is None
    _make_overdue(varied)
    rule = live_rule(varied, _overdue_rule(varied, 4, 'field = "team"\nequals = "nobody"'))
    assert evaluate(varied, rule, NOW).plans == []
    assert _sql(varied, _cond({"field": "team", "equals": "nobody"}))[0] == set()
