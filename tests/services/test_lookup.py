"""Going anywhere: ids and codes as operators type them, and what is unknown."""

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.services.lookup.records import FoundRecord, RecordKind, find_record
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalRequest, Customer, Handoff, Order, WorkItem


def first(db: Database, column: object) -> object:
    with db.read() as session:
        return session.scalar(select(column).order_by(column).limit(1))  # type: ignore[call-overload]


def test_numbers_name_work_items_and_prefixes_approvals_and_handoffs(demo_db: Database) -> None:
    item = first(demo_db, WorkItem.id)
    request = first(demo_db, ApprovalRequest.id)
    handoff = first(demo_db, Handoff.id)
    assert find_record(demo_db, str(item)) == FoundRecord(RecordKind.WORK_ITEM, item)
    assert find_record(demo_db, f" #{item} ") == FoundRecord(RecordKind.WORK_ITEM, item)
    assert find_record(demo_db, f"a{request}") == FoundRecord(RecordKind.APPROVAL, request)
    assert find_record(demo_db, f"A{request}") == FoundRecord(RecordKind.APPROVAL, request)
    assert find_record(demo_db, f"h{handoff}") == FoundRecord(RecordKind.HANDOFF, handoff)


def test_codes_name_orders_and_customers_in_any_case(demo_db: Database) -> None:
    with demo_db.read() as session:
        order_id, order_code, owner = session.execute(
            select(Order.id, Order.code, Customer.code)
            .join(Customer, Customer.id == Order.customer_id)
            .order_by(Order.id)
            .limit(1)
        ).one()
        customer_id, customer_code = session.execute(
            select(Customer.id, Customer.code).order_by(Customer.id).limit(1)
        ).one()
    order = FoundRecord(RecordKind.ORDER, order_id, customer_code=owner, code=order_code)
    assert find_record(demo_db, order_code) == order
    assert find_record(demo_db, order_code.lower()) == order
    customer = FoundRecord(
        RecordKind.CUSTOMER, customer_id, customer_code=customer_code, code=customer_code
    )
    assert find_record(demo_db, customer_code) == customer
    assert find_record(demo_db, customer_code.lower()) == customer


def test_a_code_that_looks_like_an_id_is_still_reached(demo_db: Database) -> None:
    with demo_db.write() as session:
        customer = session.scalars(select(Customer).order_by(Customer.id).limit(1)).one()
        customer.code = "H999999"
        customer_id = customer.id
    found = find_record(demo_db, "h999999")
    assert (found.kind, found.id, found.code) == (RecordKind.CUSTOMER, customer_id, "H999999")


def test_unknown_and_empty_are_one_line(demo_db: Database) -> None:
    with pytest.raises(NotFound) as unknown:
        find_record(demo_db, "a999999")
    assert str(unknown.value) == "no approval 999999, and no order or customer 'a999999'"
    with pytest.raises(NotFound) as item:
        find_record(demo_db, "999999999999999999")
    assert str(item.value).startswith("no work item 999999999999999999,")
    with pytest.raises(NotFound) as code:
        find_record(demo_db, "ORD-1999-0001")
    assert str(code.value).startswith("no order or customer 'ORD-1999-0001' (try 352 item, a12")
    with pytest.raises(NotFound):
        find_record(demo_db, "%")
    with pytest.raises(InvalidInput):
        find_record(demo_db, "   ")
