"""Cell values as spreadsheets hold them."""

from datetime import date, datetime

import pytest

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.values import (
    CellError,
    as_code,
    as_date,
    as_int,
    as_text,
    match_key,
    split_list,
    typed_date,
)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-04-01", date(2026, 4, 1)),
        ("2026/4/1", date(2026, 4, 1)),
        ("2026/04/01 0:00:00", date(2026, 4, 1)),
        ("2026.4.1", date(2026, 4, 1)),
        ("2026年4月1日", date(2026, 4, 1)),
        ("２０２６年４月１日", date(2026, 4, 1)),
        ("２０２６／４／１", date(2026, 4, 1)),
        (" 2026年 4月 1日 ", date(2026, 4, 1)),
        ("20260401", date(2026, 4, 1)),
        (20260401, date(2026, 4, 1)),
        ("令和8年4月1日", date(2026, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R8.4.1", date(2026, 4, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("㍻31年4月30日", date(2019, 4, 30)),
        (46113, date(2026, 4, 1)),  # an Excel serial number
        (46113.75, date(2026, 4, 1)),  # with a time of day
        ("46113", date(2026, 4, 1)),  # a serial number that went through CSV
        (datetime(2026, 4, 1, 9, 30), date(2026, 4, 1)),  # an Excel date cell
        (date(2026, 4, 1), date(2026, 4, 1)),
    ],
)
def test_dates_in_every_usual_form(cell: object, expected: date) -> None:
    assert as_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2026-02-30", "no such day 2026-02-30"),
        ("next week", "not a date"),
        ("令和1年4月1日", "not in the 令和 era"),
        ("平成32年1月1日", "not in the 平成 era"),
        (True, "not a date"),
        (0, "not a date"),
    ],
)
def test_what_is_not_a_date_says_why(cell: object, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        as_date(cell)


def test_full_width_digits_and_letters_fold_to_half_width() -> None:
    assert as_code("ＡＢＣ－００１") == "ABC-001"
    assert as_code("  C0001\u3000") == "C0001"
    assert as_int("１２３") == 123
    assert as_int("1,200") == 1200
    assert as_int(3.0) == 3
    assert split_list("cloud、network-line，managed-security") == (
        "cloud",
        "network-line",
        "managed-security",
    )


def test_free_text_is_only_trimmed() -> None:
    assert as_text("  株式会社ＡＢＣ  ") == "株式会社ＡＢＣ"
    assert as_text("   ") is None
    assert as_text(1001.0) == "1001"
    assert as_text(datetime(2026, 4, 1)) == "2026-04-01"


@pytest.mark.parametrize("cell", ["1.5", "two", True, 2.5])
def test_whole_numbers_only(cell: object) -> None:
    with pytest.raises(CellError, match="not a whole number"):
        as_int(cell)


def test_header_names_match_whatever_their_width_case_and_spacing() -> None:
    assert (
        match_key("Customer Code")
        == match_key("customer_code")
        == match_key("ＣＵＳＴＯＭＥＲ　ＣＯＤＥ")
    )
    assert match_key("納期（予定）") == match_key("納期(予定)")


@pytest.mark.parametrize(
    "text", ["2026-12-14", " 2026/12/14 ", "2026年12月14日", "令和8年12月14日", "20261214"]
)
def test_a_typed_date_in_any_written_form(text: str) -> None:
    assert typed_date(text, "due") == date(2026, 12, 14)


@pytest.mark.parametrize("text", ["46000", "someday", "2026-02-30", ""])
def test_a_typed_date_that_is_none_names_the_field(text: str) -> None:
    """A bare number is no date when typed, though a file's 46000 is an Excel serial."""
    with pytest.raises(InvalidInput, match=f"^due '{text}': "):
        typed_date(text, "due")
