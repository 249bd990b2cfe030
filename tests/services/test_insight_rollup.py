"""The kept time of each work item (``work_item_stays``) says what replaying
its events says: after a history with every kind of status change, after
an event dated before the item's last change, after ``demo generate``, and
after the migration fills it from the events."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Select, select

from backoffice_tui.demo.generate import generate
from backoffice_tui.services.events import record_event
from backoffice_tui.services.insight.flow import flow_report
from backoffice_tui.services.insight.rollup import COLUMNS, current_stays, rebuilt_rows, refresh
from backoffice_tui.services.insight.stays import READY, STARTED, item_stays
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.store import schema
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import WorkItem, WorkItemStay
from tests.services.test_insight import DAY, INTAKE, NOW, T0, Lab, lab_filter, row_of

SECONDS = ("waiting", "working", "blocked")


@pytest.fixture
def lab(demo_db: Database) -> Iterator[Lab]:
    yield Lab(demo_db)


def kept_rows(db: Database) -> dict[int, dict[str, Any]]:
    with db.read() as session:
        return {
            row.work_item_id: dict(row._mapping)
            for row in session.execute(select(*(WorkItemStay.__table__.c[c] for c in COLUMNS)))
        }


def replayed_rows(db: Database, ids: Select[Any] | None = None) -> dict[int, dict[str, Any]]:
    with db.read() as session:
        query = rebuilt_rows(ids if ids is not None else select(WorkItem.id)).subquery()
        return {row.work_item_id: dict(row._mapping) for row in session.execute(select(query))}


def assert_same_rows(kept: dict[int, dict[str, Any]], replayed: dict[int, dict[str, Any]]) -> None:
    assert set(kept) == set(replayed)
    for item_id, row in kept.items():
        other = replayed[item_id]
        for column in COLUMNS:
            if column in SECONDS:
                assert row[column] == pytest.approx(other[column], abs=1e-3), (item_id, column)
            elif column in ("is_blocked", "is_started", "is_readied"):
                assert bool(row[column]) == bool(other[column]), (item_id, column)
            else:
                assert row[column] == other[column], (item_id, column)


def assert_reports_agree(db: Database, now: datetime) -> int:
    """Every item's figures from the kept rows equal the replayed ones; how
    many items were compared."""
    ids = select(WorkItem.id)
    with db.read() as session:
        kept = {row.item_id: row for row in session.execute(select(current_stays(ids, now)))}
        replayed = {row.item_id: row for row in session.execute(select(item_stays(ids, now)))}
    assert set(kept) == set(replayed)
    for item_id, row in kept.items():
        other = replayed[item_id]
        for column in SECONDS:
            assert getattr(row, column) == pytest.approx(getattr(other, column), abs=1e-3), (
                item_id,
                column,
            )
        assert (row.visits, row.done_at) == (other.visits, other.done_at), item_id
    return len(kept)


def mixed_history(lab: Lab) -> dict[str, int]:
    """Items through every kind of status change; their ids by name."""
    items = {name: lab.at(T0).order()[0] for name in ("plain", "again", "blocked", "skipped")}
    items["reopened"] = lab.at(T0).order()[0]
    items["waiting"] = lab.at(T0 + DAY).order()[0]
    lab.start("tanaka", items["plain"], T0 + DAY)
    lab.done("tanaka", items["plain"], T0 + 2 * DAY)
    # started, given back, started again by someone else, finished
    lab.start("tanaka", items["again"], T0 + DAY)
    work_items.release(lab.at(T0 + 2 * DAY).as_user("tanaka"), items["again"])
    lab.start("emily", items["again"], T0 + 3 * DAY)
    lab.done("emily", items["again"], T0 + 4 * DAY)
    # blocked while in progress, unblocked, still open
    lab.start("tanaka", items["blocked"], T0 + DAY)
    work_items.block(lab.at(T0 + 2 * DAY).as_user("tanaka"), items["blocked"], "[bold]away")
    work_items.unblock(lab.at(T0 + 3 * DAY + DAY / 2).as_user("tanaka"), items["blocked"])
    lifecycle.skip(lab.at(T0 + 2 * DAY).as_user("suzuki"), items["skipped"], "not needed")
    # done, then made ready again and started: open, working
    lab.start("tanaka", items["reopened"], T0 + DAY)
    lab.done("tanaka", items["reopened"], T0 + 2 * DAY)
    with lab.db.write() as session:
        record_event(
            session,
            "rule:reopen",
            T0 + 5 * DAY,
            entity="work_item",
            entity_id=items["reopened"],
            kind=READY,
            summary="made ready again",
        )
        record_event(
            session,
            "rule:reopen",
            T0 + 6 * DAY,
            entity="work_item",
            entity_id=items["reopened"],
            kind=STARTED,
            summary="started again",
        )
    return items


def test_the_kept_time_equals_the_replay_after_every_kind_of_change(lab: Lab) -> None:
    items = mixed_history(lab)

    kept = kept_rows(lab.db)
    assert_same_rows(kept, replayed_rows(lab.db))
    assert kept[items["plain"]]["state"] == "closed"
    assert kept[items["plain"]]["waiting"] == pytest.approx(86400.0, abs=1e-3)
    assert kept[items["again"]]["visits"] == 2
    assert kept[items["blocked"]]["state"] == "working"
    assert kept[items["blocked"]]["blocked"] == pytest.approx(1.5 * 86400.0, abs=1e-3)
    assert kept[items["skipped"]]["state"] == "closed"
    assert kept[items["reopened"]]["state"] == "working"
    assert items["waiting"] not in kept  # no status event yet: waiting since created
    assert assert_reports_agree(lab.db, NOW) > len(items)


def test_an_event_dated_before_the_last_change_rebuilds_the_item(lab: Lab) -> None:
    item = lab.at(T0).order()[0]
    lab.start("tanaka", item, T0 + 3 * DAY)
    lab.done("tanaka", item, T0 + 4 * DAY)
    with lab.db.write() as session:  # a block recorded late, at the time it happened
        record_event(
            session,
            "tanaka",
            T0 + 3 * DAY + DAY / 2,
            entity="work_item",
            entity_id=item,
            kind="work_item.blocked",
            summary="blocked",
        )

    kept = kept_rows(lab.db)
    assert_same_rows(kept, replayed_rows(lab.db))
    assert kept[item]["blocked"] == pytest.approx(0.5 * 86400.0, abs=1e-3)
    assert kept[item]["working"] == pytest.approx(0.5 * 86400.0, abs=1e-3)
    assert_reports_agree(lab.db, NOW)


def test_the_reports_read_the_same_after_a_refresh_from_the_events(lab: Lab) -> None:
    mixed_history(lab)
    before = flow_report(lab.db, lab_filter(), NOW)
    with lab.db.write() as session:
        refresh(session)

    assert_same_rows(kept_rows(lab.db), replayed_rows(lab.db))
    after = flow_report(lab.db, lab_filter(), NOW)
    assert row_of(after, INTAKE) == row_of(before, INTAKE)
    # the reopened item is still done; it and the one given back were started twice
    assert row_of(after, INTAKE).done == 3 and row_of(after, INTAKE).revisited == 2


def test_generated_work_keeps_its_time(demo_db: Database) -> None:
    generate(demo_db, customers=5, work_items=300, seed=7)

    assert_same_rows(kept_rows(demo_db), replayed_rows(demo_db))
    assert assert_reports_agree(demo_db, NOW) >= 300


def test_the_migration_fills_the_kept_time_from_the_events(lab: Lab) -> None:
    mixed_history(lab)
    kept = kept_rows(lab.db)
    config = schema._config()
    with lab.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    schema.upgrade(lab.db.engine)

    assert_same_rows(kept_rows(lab.db), kept)
    assert len(kept) > 0
