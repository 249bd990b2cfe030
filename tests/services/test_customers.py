"""Customer listing, width- and kana-insensitive search, and line progress."""

import pytest

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.services.customers.search import customer_detail, list_customers
from backoffice_tui.store.database import Database


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
