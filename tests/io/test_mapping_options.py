"""Mapping options for files as they come: dates in any order, words for
empty, repeated keys, rows that are not records, keys made of several
columns, columns by path or letter, and nothing guessed once columns are named."""

from datetime import date
from pathlib import Path

import pytest

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.importing import prepare_import
from backoffice_tui.io.mapping import load_mapping
from backoffice_tui.services.imports import RecordKind, SourceRow
from tests.io.files import (
    INCIDENT_LOG_MAPPING,
    PROCESS_CHART_MAPPING,
    US_ORDERS_MAPPING,
    incident_log_csv,
    process_chart_workbook,
    us_orders_csv,
    write_csv,
)


def mapping_file(folder: Path, text: str) -> Path:
    path = folder / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def imported_rows(
    path: Path, kind: RecordKind, mapping: Path
) -> tuple[list[SourceRow], str | None]:
    with prepare_import(path, kind, mapping_path=mapping) as prepared:
        rows = list(prepared.source().rows())
        return rows, prepared.skipped_text()


def test_an_event_log_keeps_the_last_row_of_each_key(tmp_path: Path) -> None:
    path = incident_log_csv(tmp_path / "log.csv", "C0001")
    rows, skipped = imported_rows(
        path, RecordKind.ORDERS, mapping_file(tmp_path, INCIDENT_LOG_MAPPING)
    )
    assert [(r.number, r.values["code"]) for r in rows] == [(3, "ORD-L2"), (5, "ORD-L1")]
    assert all(not r.problems for r in rows)
    l2, l1 = (r.values for r in rows)
    assert l1["received"] == date(2026, 4, 3)  # 3/4 is 3 April, the time ignored
    assert l1["requested"] == date(2026, 4, 21) and l1["priority"] == 1  # the last row won
    assert l2["requested"] == date(2026, 4, 30) and l2["priority"] is None  # ? is empty
    assert "sales_owner" not in l1  # Assigned to is named by no mapping: not guessed
    assert skipped == "not imported: 2 earlier rows of a repeated key (the last one counts)"


def test_repeated_keys_first_wins_or_stay_for_the_import_to_refuse(tmp_path: Path) -> None:
    path = incident_log_csv(tmp_path / "log.csv", "C0001")
    first = INCIDENT_LOG_MAPPING.replace('repeated = "last"', 'repeated = "first"')
    rows, _ = imported_rows(path, RecordKind.ORDERS, mapping_file(tmp_path, first))
    assert [(r.number, r.values["priority"]) for r in rows] == [(2, 4), (3, None)]
    error = INCIDENT_LOG_MAPPING.replace('repeated = "last"\n', "")
    rows, skipped = imported_rows(path, RecordKind.ORDERS, mapping_file(tmp_path, error))
    assert [r.number for r in rows] == [2, 3, 4, 5] and skipped is None


def test_us_dates_with_am_pm_and_words_for_empty(tmp_path: Path) -> None:
    path = us_orders_csv(tmp_path / "us.csv", "C0001")
    rows, _ = imported_rows(path, RecordKind.ORDERS, mapping_file(tmp_path, US_ORDERS_MAPPING))
    assert [r.problems for r in rows] == [(), ()]
    first, second = (r.values for r in rows)
    assert first["received"] == date(2026, 11, 20) and first["requested"] is None
    assert first["sales_owner"] is None  # Unspecified
    assert second["received"] == date(2026, 2, 3)
    assert second["requested"] == date(2026, 12, 1)


def test_day_first_dates_without_a_mapping_say_how_to_read_them(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", [["order", "received"], ["X1", "13/4/2026 17:40"]])
    with prepare_import(path, RecordKind.ORDERS) as prepared:
        (row,) = prepared.source().rows()
    (problem,) = row.problems
    assert problem.value == "13/4/2026 17:40"  # as the file writes it
    assert 'dates = "day-first" or "month-first"' in problem.reason


def test_a_process_chart_comes_in_without_being_fixed_by_hand(tmp_path: Path) -> None:
    path = process_chart_workbook(tmp_path / "工程表.xlsx", ghost_rows=300)
    rows, skipped = imported_rows(
        path, RecordKind.WORK_ITEMS, mapping_file(tmp_path, PROCESS_CHART_MAPPING)
    )
    assert [(r.number, r.values["order"], r.values["step"]) for r in rows] == [
        (6, "ORD-P1", "設計-1"),  # the full-width １ folded
        (7, "ORD-P1", "設計-2"),
        (10, "ORD-P1", "構築-1"),  # NO restarts in the next section
    ]
    assert [r.problems for r in rows] == [(), (), ()]
    assert rows[0].values["due"] == date(2026, 4, 9)  # 実績/終了日
    assert rows[0].values["reason"] == "2026/4/10"  # 予定/終了日: the other 終了日
    assert rows[1].values["due"] is None  # the cached #VALUE! is a blank here
    assert rows[0].values["assignee"] == "kimura"
    assert skipped == (
        "not imported: 1 hidden row, 300 rows with formulas only, 2 rows matching [skip] where"
    )


def test_without_the_skip_rules_ghost_rows_and_errors_show(tmp_path: Path) -> None:
    path = process_chart_workbook(tmp_path / "工程表.xlsx", ghost_rows=3)
    text = PROCESS_CHART_MAPPING.replace("formula_only = true", "formula_only = false")
    text = text.replace('empty = { due = ["#VALUE!"] }\n', "")
    rows, _ = imported_rows(path, RecordKind.WORK_ITEMS, mapping_file(tmp_path, text))
    assert [r.number for r in rows] == [6, 7, 10, 11, 12, 13]
    (problem,) = rows[1].problems
    assert (problem.column, problem.value) == ("実績 終了日", "#VALUE!")
    assert "spreadsheet error #VALUE!" in problem.reason


def test_columns_by_letter(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [["コード", "名", "名"], ["K1", "みなと", "ミナト"], ["K2", "さくら", "サクラ"]],
    )
    mapping = mapping_file(
        tmp_path,
        '[columns]\ncode = "コード"\nname = { letter = "B" }\nreading = { letter = "C" }\n',
    )
    rows, _ = imported_rows(path, RecordKind.CUSTOMERS, mapping)
    assert [(r.values["name"], r.values["reading"]) for r in rows] == [
        ("みなと", "ミナト"),
        ("さくら", "サクラ"),
    ]


def test_guessing_stays_on_when_asked_or_when_nothing_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["code", "名称", "備考"], ["K1", "みなと", "x"]])
    named = mapping_file(tmp_path, '[columns]\ncode = "code"\n')
    assert load_mapping(named, RecordKind.CUSTOMERS).guess is False
    rows, _ = imported_rows(path, RecordKind.CUSTOMERS, named)
    assert set(rows[0].values) == {"code"}
    guessing = mapping_file(tmp_path, 'guess = true\n[columns]\ncode = "code"\n')
    rows, _ = imported_rows(path, RecordKind.CUSTOMERS, guessing)
    assert rows[0].values["name"] == "みなと" and rows[0].values["notes"] == "x"


def test_a_column_the_file_lacks_is_one_line_with_close_names(tmp_path: Path) -> None:
    path = process_chart_workbook(tmp_path / "p.xlsx")
    text = PROCESS_CHART_MAPPING.replace('fill_down = ["区分"]', 'fill_down = ["区分け"]')
    with pytest.raises(InvalidInput) as refused:
        prepare_import(path, RecordKind.WORK_ITEMS, mapping_path=mapping_file(tmp_path, text))
    message = str(refused.value)
    assert "fill_down: no column '区分け'" in message and "close: 区分" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('dates = "backwards"', "'backwards' is not year-first, day-first, month-first"),
        ('dates = { due_date = "day-first" }', "dates names no field due_date"),
        ('repeated = "newest"', "repeated must be 'error', 'last', 'first'"),
        ("empty = 3", "empty must be a word or a list of words"),
        ("[skip]\nhiden = true", "[skip] has no setting hiden"),
        ("[skip]\nwhere = [{ column = 'NO' }]", "a condition has a column and one of"),
        ("[skip]\nwhere = [{ column = 'NO', matches = '(' }]", "where matches '('"),
        ("[columns]\nstatus = { letter = '1' }", 'or { letter = "F" }'),
        ("[combine]\nstep = { columns = [] }", "columns must list the columns to join"),
        ('drop = [{ letters = "Z:A" }]', 'a range of columns is { letters = "P:ZZ" }'),
        ('drop = [{ letters = "P-Q" }]', 'a range of columns is { letters = "P:ZZ" }'),
        ("attributes = 1", "attributes must be true or false"),
        ('[users]\n"Caller 2403" = 5', "[users] 'Caller 2403' must be a login"),
        ("create_customers = true", "create_customers applies to orders, events and work-items"),
        ("create_steps = true", "create_steps applies to work-items"),
        ('repeated = "last"', "repeated does not apply to events"),
    ],
)
def test_option_mistakes_are_explained(tmp_path: Path, text: str, message: str) -> None:
    kind = RecordKind.WORK_ITEMS
    if "create_" in text:
        kind = RecordKind.CUSTOMERS
    if 'repeated = "last"' in text:
        kind = RecordKind.EVENTS
    with pytest.raises(InvalidInput) as refused:
        load_mapping(mapping_file(tmp_path, text), kind)
    assert message in str(refused.value)


def test_unmapped_columns_are_kept_as_attributes_unless_dropped(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        [
            ["code", "name", "Region", "Account manager", "Memo", "Memo", "Score"],
            ["K1", "Minato", "Kanto", "?", "first", "second", "#N/A"],
            ["K2", "Sakura", "", "Ito", "", "", "3"],
        ],
    )
    text = 'empty = ["?"]\n[columns]\ncode = "code"\nname = "name"\n'
    rows, _ = imported_rows(path, RecordKind.CUSTOMERS, mapping_file(tmp_path, text))
    # blank cells and words for empty are left out; two columns of one name stay apart
    assert [r.attributes for r in rows] == [
        {"Region": "Kanto", "Memo": "first", "Memo (F)": "second", "Score": "#N/A"},
        {"Account manager": "Ito", "Score": "3"},
    ]
    dropped = text.replace("[columns]", 'drop = ["Region", { letters = "E:F" }]\n[columns]')
    rows, _ = imported_rows(path, RecordKind.CUSTOMERS, mapping_file(tmp_path, dropped))
    assert [r.attributes for r in rows] == [
        {"Score": "#N/A"},
        {"Account manager": "Ito", "Score": "3"},
    ]
    none = text.replace("[columns]", "attributes = false\n[columns]")
    rows, _ = imported_rows(path, RecordKind.CUSTOMERS, mapping_file(tmp_path, none))
    assert [r.attributes for r in rows] == [None, None]


def test_words_for_empty_match_however_they_are_spaced_or_cased(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [["code", "name", "Region"], ["K1", "Minato", " n / A "], ["K2", "Sakura", "N/A-east"]],
    )
    text = 'empty = ["N/A"]\n[columns]\ncode = "code"\nname = "name"\n'
    rows, _ = imported_rows(path, RecordKind.CUSTOMERS, mapping_file(tmp_path, text))
    assert [r.attributes for r in rows] == [{}, {"Region": "N/A-east"}]
