"""The detail of one work item: its order's title, its dates and the
attributes of the item and of its order, on SQLite and PostgreSQL."""

from datetime import date

from sqlalchemy import select

from backoffice_tui.services.work.detail import work_item_detail
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import WorkItem
from tests.helpers import give_item, give_order


def first_item(db: Database) -> WorkItem:
    with db.read() as session:
        item = session.scalars(select(WorkItem).order_by(WorkItem.id)).first()
    assert item is not None
    return item


def test_an_item_without_imported_columns_has_none(demo_db: Database) -> None:
    detail = work_item_detail(demo_db, first_item(demo_db).id)
    assert detail.order_title == ""
    assert detail.planned == detail.actual == (None, None)
    assert detail.attributes == detail.order_attributes == {}


def test_the_detail_has_the_title_dates_and_attributes_in_order(demo_db: Database) -> None:
    item = first_item(demo_db)
    names = [f"Column {n:02}" for n in range(40, 0, -1)]  # not in alphabetical order
    give_item(
        demo_db,
        item.id,
        {name: f"value {name}" for name in names},
        planned=(date(2026, 4, 1), date(2026, 4, 10)),
        actual=(date(2026, 4, 2), None),
    )
    give_order(demo_db, item.order_id, "[bold]Rack move", {"Ticket": "INC-77"})
    detail = work_item_detail(demo_db, item.id)
    assert detail.order_title == "[bold]Rack move"
    assert detail.planned == (date(2026, 4, 1), date(2026, 4, 10))
    assert detail.actual == (date(2026, 4, 2), None)
    assert list(detail.attributes) == names
    assert detail.attributes["Column 07"] == "value Column 07"
    assert detail.order_attributes == {"Ticket": "INC-77"}


def test_attribute_values_are_shown_as_text(demo_db: Database) -> None:
    item = first_item(demo_db)
    with demo_db.write() as session:
        session.get_one(WorkItem, item.id).attributes = {"count": 3, "empty": None}
    assert work_item_detail(demo_db, item.id).attributes == {"count": "3", "empty": ""}
