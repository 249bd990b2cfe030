"""Demo data: the sample set and generated bulk data."""

from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice_tui.demo.generate import generate
from backoffice_tui.demo.load import load_demo
from backoffice_tui.domain.errors import Conflict
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.work.queue import QueueFilter, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    Customer,
    Event,
    User,
    WorkItem,
)


def test_demo_shows_every_status(demo_db: Database) -> None:
    with demo_db.read() as session:
        statuses = set(session.scalars(select(WorkItem.status).distinct()))
        customers = session.scalar(select(func.count()).select_from(Customer))
    assert statuses == {"waiting", "ready", "in_progress", "blocked", "done", "skipped"}
    assert customers >= 50


@pytest.mark.parametrize("empty_url", ["sqlite"], indirect=True)
def test_demo_loads_for_any_operator_login(empty_db: Database) -> None:
    """The "you" persona takes the operator's login, approvals included."""
    load_demo(empty_db, you_login="operator-7")
    with empty_db.read() as session:
        waiting = dict(
            session.execute(
                select(ApprovalRequest.state, func.count()).group_by(ApprovalRequest.state)
            ).all()
        )
    assert waiting["pending"] >= 5 and waiting["approved"] >= 10
    assert {"rejected", "sent_back", "withdrawn"} <= set(waiting)
    with empty_db.read() as session:
        you = session.scalar(select(User).where(User.login == "operator-7"))
        assert you is not None and session.scalar(
            select(func.count()).where(ApprovalDecision.actor_id == you.id)
        )


def test_demo_refuses_a_database_that_has_data(demo_db: Database) -> None:
    with pytest.raises(Conflict, match="already holds"):
        load_demo(demo_db)


def test_generate_adds_consistent_bulk_data(empty_db: Database) -> None:
    reported = []
    result = generate(empty_db, customers=30, work_items=600, seed=7, progress=reported.append)
    assert result.work_items >= 600 and sum(reported) == result.work_items
    with empty_db.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkItem)) == result.work_items
        assert session.scalar(select(func.count()).select_from(Event)) >= result.events
        code = session.scalar(
            select(Customer.code)
            .join(Event, Event.customer_id == Customer.id)
            .group_by(Customer.code)
            .order_by(func.count().desc())
            .limit(1)
        )
    assert customer_timeline(empty_db, code)
    rows = list_queue(empty_db, None, QueueFilter(team="build"), today=date.today(), limit=5)  # type: ignore[arg-type]
    assert rows and all(r.team == "build" for r in rows)
    again = generate(empty_db, customers=5, work_items=50, seed=7)
    assert again.work_items >= 50  # a second run adds, never collides
