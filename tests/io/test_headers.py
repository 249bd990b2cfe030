"""Finding the header under titles, across two rows, and past its repeats."""

from collections.abc import Iterator, Sequence

import pytest

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.headers import find_header
from backoffice_tui.io.mapping import automatic_mapping
from backoffice_tui.services.imports import RecordKind


def numbered(rows: Sequence[Sequence[object]]) -> Iterator[tuple[int, Sequence[object]]]:
    return iter(list(enumerate(rows, 1)))


def recognise(kind: RecordKind = RecordKind.WORK_ITEMS):  # type: ignore[no-untyped-def]
    return automatic_mapping(kind).recogniser()


def test_title_rows_and_blank_rows_above_the_header_are_skipped() -> None:
    rows = [
        ["作業一覧 2026年4月", None, None],
        [],
        ["出力日", "2026/4/1", None],
        ["ID", "状態", "担当者"],
        [1, "完了", "sato"],
        [None, "  ", None],
        [2, "対応中", "kimura"],
    ]
    header, data = find_header(numbered(rows), recognise())
    assert header.rows == (4,)
    assert header.fields == {"id": 0, "status": 1, "assignee": 2}
    assert [n for n, _ in data] == [5, 7]


def test_a_header_over_two_rows_is_read_as_one() -> None:
    rows = [
        ["受注", None, "作業", None, None],
        ["番号", "サービス", "工程", "状態", "期限"],
        ["ORD-1", "cloud", "Order check", "done", "2026/4/1"],
    ]
    header, data = find_header(numbered(rows), recognise())
    assert header.rows == (1, 2)
    assert header.fields == {"order": 0, "service": 1, "step": 2, "status": 3, "due": 4}
    assert header.names[0] == "受注 番号"
    assert [n for n, _ in data] == [3]


def test_repeated_header_rows_are_skipped() -> None:
    rows = [
        ["id", "status"],
        [1, "done"],
        ["ID", " Status "],
        [2, "ready"],
    ]
    _, data = find_header(numbered(rows), recognise())
    assert [n for n, _ in data] == [2, 4]


def test_a_given_header_row_is_used() -> None:
    rows = [["id", "status"], ["x", "y"], ["id", "priority"], [1, 2]]
    header, data = find_header(numbered(rows), recognise(), header_row=3)
    assert header.fields == {"id": 0, "priority": 1}
    assert [n for n, _ in data] == [4]


def test_no_header_at_all_says_what_to_do() -> None:
    with pytest.raises(InvalidInput, match="no column names found in the first 30 rows"):
        find_header(numbered([["a", "b"], [1, 2]]), recognise(), source="x.csv")
