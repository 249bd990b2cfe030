"""Customer listing, width- and kana-insensitive search, line progress, and
the attributes and order titles imports leave."""

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.services.customers.search import customer_detail, list_customers
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Order
from tests.helpers import give_customer, give_order


def test_search_ignores_width_case_and_kana(demo_db: Database) -> None:
    assert [c.code for c in list_customers(demo_db, "ｃ０００１")] == ["C0001"]
    by_kana = list_customers(demo_db, "ヤマダセイサクショ")  # katakana for a hiragana reading
    assert "C0001" in {c.code for c in by_kana}
    assert {c.code for c in list_customers(demo_db, "smith & sons")}
    assert list_customers(demo_db, "%") == []  # wildcards are literal


def test_markup_in_names_is_kept_as_typed(demo_db: Database) -> None:
    names = {c.name for c in list_customers(demo_db, "markup test")}
    assert "[bold red]Markup Test[/] Ltd" in names


def test_detail_shows_progress_of_every_line(demo_db: Database) -> None:
    detail = customer_detail(demo_db, "C0006")
    assert detail.customer.code == "C0006" and detail.lines
    for line in detail.lines:
        assert 0 <= line.finished <= line.steps
        assert (line.current_step is None) == (line.finished == line.steps)
    with pytest.raises(NotFound):
        customer_detail(demo_db, "nope")


def test_detail_has_the_customers_attributes_and_its_order_titles(demo_db: Database) -> None:
    assert customer_detail(demo_db, "C0006").attributes == {}
    give_customer(demo_db, "C0006", {"Region": "Kansai", "Rank": "[bold]A"})
    with demo_db.read() as session:
        order = session.scalars(
            select(Order).join(Customer).where(Customer.code == "C0006").order_by(Order.id)
        ).first()
    assert order is not None
    give_order(demo_db, order.id, "Rack move")
    detail = customer_detail(demo_db, "C0006")
    assert detail.attributes == {"Region": "Kansai", "Rank": "[bold]A"}
    for line in detail.lines:
        assert line.order_title == ("Rack move" if line.order_code == order.code else "")
    assert [c.code for c in list_customers(demo_db, "kansai")] == ["C0006"]
