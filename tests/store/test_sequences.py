"""After rows written in bulk, the next ordinary write gets a free id.

``demo generate`` inserts rows with ids of its own; on PostgreSQL the id
sequences must then be moved past them, or every later insert collides with
a generated row. Each bulk path is followed by ordinary writes through the
services: a customer, an order (lines and work items), a claim and a note
(events), an approval request.
"""

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from backoffice_tui.demo.generate import generate
from backoffice_tui.demo.generate_approvals import generate_waiting_requests
from backoffice_tui.domain.roles import Role
from backoffice_tui.io.importing import prepare_import
from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.records import NewCustomer, add_customer
from backoffice_tui.services.imports import ImportOptions, RecordKind, run_import
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Event, Order, TeamMembership, User, WorkItem
from tests.conftest import resolve_actor_for
from tests.io.files import japanese_customers_cp932, orders_workbook


def _largest(db: Database, column: object) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.max(column))) or 0)  # type: ignore[call-overload]


def _ordinary_writes(db: Database, tag: str) -> None:
    """A customer, an order with its lines and items, a claim and a note:
    each inserts rows (and events) with ids from the sequences."""
    admin = Context(db, resolve_actor_for(db, "admin-ito"))
    events_before = _largest(db, Event.id)
    add_customer(admin, NewCustomer(code=f"SEQ-{tag}", name=f"Sequence check {tag}"))
    with db.read() as session:
        service_code = (
            session.scalar(select(Order).join(Order.lines).order_by(Order.id).limit(1))
            .lines[0]
            .service.code
        )  # type: ignore[union-attr]
    order_id = create_order(
        admin,
        NewOrder(code=f"SEQ-ORD-{tag}", customer_code=f"SEQ-{tag}", services=(service_code,)),
    )
    with db.read() as session:
        item_id, team_id = session.execute(
            select(WorkItem.id, WorkItem.team_id)
            .where(WorkItem.order_id == order_id, WorkItem.status == "ready")
            .limit(1)
        ).one()
        login = session.scalar(
            select(User.login)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(TeamMembership.team_id == team_id, TeamMembership.role == Role.OPERATOR.value)
            .limit(1)
        )
    assert login is not None
    operator = Context(db, resolve_actor_for(db, login))
    work_items.claim(operator, item_id)
    work_items.add_note(operator, item_id, f"checked after a bulk write ({tag})")
    assert _largest(db, Event.id) > events_before


def test_generate_leaves_room_for_the_next_write(empty_db: Database) -> None:
    result = generate(empty_db, customers=20, work_items=300, seed=3)
    assert result.events > 0
    largest = _largest(empty_db, WorkItem.id)
    _ordinary_writes(empty_db, "1")
    assert _largest(empty_db, WorkItem.id) > largest
    # a second run starts after the ordinary rows, and writes still follow it
    generate(empty_db, customers=5, work_items=50, seed=4)
    _ordinary_writes(empty_db, "2")


def test_generated_approval_requests_leave_room_for_the_next_write(demo_db: Database) -> None:
    ids = generate_waiting_requests(demo_db, "inoue", 30, requester_login="shimizu")
    assert len(ids) == 30
    _ordinary_writes(demo_db, "3")


def test_bulk_imports_leave_room_for_the_next_write(demo_db: Database, tmp_path: Path) -> None:
    admin = Context(demo_db, resolve_actor_for(demo_db, "admin-ito"))
    customers_before = _largest(demo_db, Customer.id)
    with prepare_import(japanese_customers_cp932(tmp_path / "顧客.csv"), RecordKind.CUSTOMERS) as p:
        assert run_import(admin, p.source(), ImportOptions()).created > 0
    with prepare_import(orders_workbook(tmp_path / "受注.xlsx", "C0003"), RecordKind.ORDERS) as p:
        assert run_import(admin, p.source(), ImportOptions()).created > 0
    assert _largest(demo_db, Customer.id) > customers_before
    _ordinary_writes(demo_db, "4")


def test_generate_on_a_database_with_ordinary_rows_keeps_them(demo_db: Database) -> None:
    before = _largest(demo_db, Order.id)
    generate(demo_db, customers=3, work_items=20, seed=5)
    with demo_db.read() as session:
        first_generated = session.scalar(select(func.min(Order.id)).where(Order.code.like("GO-%")))
    assert first_generated == before + 1
    _ordinary_writes(demo_db, str(date.today().toordinal()))
