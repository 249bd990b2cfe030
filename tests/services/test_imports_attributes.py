"""What a file holds beyond the fields comes in too: attributes of customers,
orders and work items, order titles, planned and actual dates; a re-import
changes nothing, a blank cell removes an attribute, a column the file lacks
leaves it alone."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from backoffice_tui.services.customers.search import list_customers
from backoffice_tui.services.imports import ImportRejected, RecordKind
from backoffice_tui.services.work.queue import QueueFilter, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Order, WorkItem
from tests.io.files import write_csv
from tests.services.test_imports import apply, export_build_queue, items_of


def customer(db: Database, code: str) -> Customer:
    with db.read() as session:
        found = session.scalar(select(Customer).where(Customer.code == code))
        assert found is not None
        return found


def test_customer_columns_no_field_holds_are_kept_and_found(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    header = ["code", "name", "Region", "Account manager"]
    path = write_csv(
        tmp_path / "c.csv", [header, ["K1", "Minato", "Kanto", "Ito"], ["K2", "Sakura", "", "Mori"]]
    )
    report = apply(admin, path, RecordKind.CUSTOMERS)
    assert report.created == 2
    assert customer(demo_db, "K1").attributes == {"Region": "Kanto", "Account manager": "Ito"}
    assert [c.code for c in list_customers(demo_db, "kanto")] == ["K1"]  # searchable
    assert apply(admin, path, RecordKind.CUSTOMERS).unchanged == 2

    # a blank cell removes the attribute; a column the file lacks leaves it alone
    path = write_csv(tmp_path / "c2.csv", [["code", "name", "Region"], ["K1", "Minato", ""]])
    report = apply(admin, path, RecordKind.CUSTOMERS)
    assert [(c.field, c.old, c.new) for c in report.changes] == [("[Region]", "Kanto", "")]
    assert customer(demo_db, "K1").attributes == {"Account manager": "Ito"}
    assert list_customers(demo_db, "kanto") == []


def test_orders_take_a_title_and_their_other_columns(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    header = ["order", "title", "customer", "service", "received", "Contract no"]
    path = write_csv(
        tmp_path / "o.csv",
        [header, ["T-1", "Office move", "C0001", "cloud", "2026-04-01", "K-77"]],
    )
    assert apply(admin, path, RecordKind.ORDERS).created == 1
    path = write_csv(
        tmp_path / "o2.csv",
        [header, ["T-1", "Office move phase 2", "C0001", "cloud", "2026-04-01", "K-78"]],
    )
    report = apply(admin, path, RecordKind.ORDERS)
    assert [(c.field, c.old, c.new) for c in report.changes] == [
        ("title", "Office move", "Office move phase 2"),
        ("[Contract no]", "K-77", "K-78"),
    ]
    with demo_db.read() as session:
        order = session.scalar(select(Order).where(Order.code == "T-1"))
        assert order is not None
        assert (order.title, order.attributes) == ("Office move phase 2", {"Contract no": "K-78"})
        assert "phase 2" in order.search_text and "k-78" in order.search_text
        assert order.version == 2  # a cancel begun before the import is stale


def test_work_items_take_planned_and_actual_dates_and_attributes(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    item = items_of(demo_db, "ready")[0]
    header = ["id", "planned start", "planned finish", "actual start", "Budget code"]
    path = write_csv(
        tmp_path / "w.csv", [header, [item.id, "2026-05-01", "2026-05-09", "2026-05-02", "B-12"]]
    )
    report = apply(admin, path, RecordKind.WORK_ITEMS)
    assert report.updated == 1
    with demo_db.read() as session:
        stored = session.get(WorkItem, item.id)
        assert stored is not None
        assert (
            stored.planned_start_on,
            stored.planned_finish_on,
            stored.actual_start_on,
            stored.actual_finish_on,
        ) == (date(2026, 5, 1), date(2026, 5, 9), date(2026, 5, 2), None)
        assert stored.attributes == {"Budget code": "B-12"}
        assert stored.search_text == "b-12"
    assert apply(admin, path, RecordKind.WORK_ITEMS).unchanged == 1


def test_a_step_cannot_move_to_another_team_by_import(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    item = items_of(demo_db, "ready")[0]
    path = write_csv(tmp_path / "w.csv", [["id", "team"], [item.id, "operations"]])
    with pytest.raises(ImportRejected) as caught:
        apply(admin, path, RecordKind.WORK_ITEMS)
    (problem,) = caught.value.report.problems
    assert (problem.column, problem.value) == ("team", "operations")
    assert "cannot move" in problem.reason
    same = write_csv(tmp_path / "same.csv", [["id", "team"], [item.id, "build"]])
    assert apply(admin, same, RecordKind.WORK_ITEMS).unchanged == 1


def test_an_export_with_attributes_and_dates_imports_back_unchanged(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    items = (items_of(demo_db, "ready") + items_of(demo_db, "waiting"))[:2]
    path = write_csv(
        tmp_path / "w.csv",
        [
            ["id", "planned finish", "Budget code", "Site"],
            [items[0].id, "2026-06-30", "B-1", "Osaka"],
            [items[1].id, "", "B-2", ""],
        ],
    )
    apply(admin, path, RecordKind.WORK_ITEMS)
    # the queue's text filter finds an item by its attribute
    found = list_queue(
        demo_db, None, QueueFilter(team="build", text="osaka"), today=date.today(), limit=10
    )
    assert [r.id for r in found] == [items[0].id]
    exported = export_build_queue(admin, tmp_path / "build.xlsx")
    header = [c.value for c in next(load_workbook(exported).active.iter_rows(max_row=1))]
    assert header[-6:] == [
        "planned start",
        "planned finish",
        "actual start",
        "actual finish",
        "Budget code",
        "Site",
    ]
    report = apply(admin, exported, RecordKind.WORK_ITEMS)
    assert (report.updated, report.created) == (0, 0) and report.unchanged > 2
