"""Dates as people write them, one rule for every field and file."""

from datetime import date

import pytest

from backoffice_tui.domain.application_kinds import parse_date
from backoffice_tui.domain.written_dates import NoSuchDay, written_date


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20",
        "2026/11/20",
        "2026.11.20",
        "２０２６／１１／２０",
        "2026年11月20日",
        "2026 年 11 月 20 日",
        "令和8年11月20日",
        "R8.11.20",
        "20261120",
        "2026-11-20 09:30",
    ],
)
def test_every_written_form(text: str) -> None:
    assert written_date(text) == date(2026, 11, 20)
    assert parse_date(text) == date(2026, 11, 20)  # application forms read the same


def test_the_first_year_of_an_era() -> None:
    assert written_date("令和元年5月1日") == date(2019, 5, 1)
    assert written_date("平成31年4月30日") == date(2019, 4, 30)


@pytest.mark.parametrize("text", ["2026-02-30", "令和1年4月30日", "平成32年1月1日", "20261340"])
def test_a_written_day_that_does_not_exist(text: str) -> None:
    with pytest.raises(NoSuchDay):
        written_date(text)


@pytest.mark.parametrize("text", ["next week", "20/11/2026", "46000", ""])
def test_text_in_no_written_form(text: str) -> None:
    assert written_date(text) is None
    with pytest.raises(ValueError, match="not a date"):
        parse_date(text)
