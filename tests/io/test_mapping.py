"""Mapping files, the template, the printed mapping, and cells becoming values."""

import tomllib
from datetime import date
from pathlib import Path

import pytest

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.importing import prepare_import
from backoffice_tui.io.mapping import load_mapping
from backoffice_tui.io.mapping_text import template_text
from backoffice_tui.services.imports import FIELDS, RecordKind
from tests.io.files import japanese_customers_cp932, orders_workbook, write_csv


def rows_of(path: Path, kind: RecordKind, **options: object) -> list:  # type: ignore[type-arg]
    with prepare_import(path, kind, **options) as prepared:  # type: ignore[arg-type]
        return list(prepared.source().rows())


def test_japanese_headers_are_recognised_without_a_mapping(tmp_path: Path) -> None:
    path = japanese_customers_cp932(tmp_path / "顧客.csv")
    prepared = prepare_import(path, RecordKind.CUSTOMERS)
    assert prepared.header.rows == (3,)
    assert set(prepared.header.fields) == {"code", "name", "reading", "segment", "notes"}
    rows = list(prepared.source().rows())
    assert [r.number for r in rows] == [4, 5, 7]
    first = rows[0].values
    assert first == {
        "code": "K001",  # full-width folded
        "name": "株式会社みなと商事",
        "reading": "ミナトショウジ",  # half-width kana folded
        "segment": "enterprise",
        "notes": "本社は横浜",  # trimmed
    }
    assert rows[1].values["name"] == "合同会社さくら"
    assert rows[1].values["notes"] is None
    assert rows[2].values["notes"] == "①号館"  # free text is kept as typed


def test_the_printed_mapping_is_a_mapping_file_that_gives_the_same_rows(tmp_path: Path) -> None:
    path = japanese_customers_cp932(tmp_path / "c.csv")
    text = prepare_import(path, RecordKind.CUSTOMERS).mapping_text()
    data = tomllib.loads(text)
    assert data["kind"] == "customers" and data["header_row"] == 3
    assert data["encoding"] == "cp932"
    assert data["columns"]["code"] == "顧客コード"
    saved = tmp_path / "map.toml"
    saved.write_text(text, encoding="utf-8")
    assert rows_of(path, RecordKind.CUSTOMERS, mapping_path=saved) == rows_of(
        path, RecordKind.CUSTOMERS
    )


def test_xlsx_with_a_title_merged_cells_and_every_kind_of_date(tmp_path: Path) -> None:
    path = orders_workbook(tmp_path / "受注.xlsx", "K001")
    prepared = prepare_import(path, RecordKind.ORDERS)
    assert prepared.header.rows == (3, 4)
    assert prepared.header.column("customer") == "顧客 コード"
    rows = list(prepared.source().rows())
    assert [r.number for r in rows] == [5, 6, 7, 8]
    assert all(not r.problems for r in rows)
    first, second, third, fourth = (r.values for r in rows)
    assert first["code"] == "ORD-1" and second["code"] == "ORD-1"  # merged down
    assert first["customer"] == second["customer"] == "K001"
    assert first["services"] == ("cloud",) and second["services"] == ("network-line",)
    assert first["received"] == date(2026, 4, 1)  # a date cell
    assert first["requested"] == date(2026, 5, 1)  # an Excel serial number
    assert first["priority"] == 2  # full-width digit
    assert third["received"] == date(2026, 4, 2)  # a serial in a General cell
    assert third["requested"] == date(2026, 5, 20)  # 2026年5月20日
    assert fourth["received"] == date(2026, 4, 3)  # 2026/4/3
    assert fourth["priority"] == 2  # 高


def test_a_mapping_file_names_columns_defaults_and_words(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "w.csv",
        [["作業番号", "進捗", "メモ欄"], ["5", "済", "x"], ["6", "確認待ち", ""], ["7", "??", ""]],
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'kind = "work-items"\n[columns]\nid = "作業番号"\nstatus = "進捗"\nreason = "メモ欄"\n'
        '[defaults]\nreason = "from the sheet"\n[values.status]\n"確認待ち" = "blocked"\n',
        encoding="utf-8",
    )
    prepared = prepare_import(path, RecordKind.WORK_ITEMS, mapping_path=mapping)
    assert prepared.mapping.defaults == {"reason": "from the sheet"}
    rows = list(prepared.source().rows())
    assert [r.values["status"] for r in rows] == ["done", "blocked", "??"]
    assert rows[0].values["id"] == 5


def test_a_cell_that_does_not_parse_is_a_problem_of_its_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", [["id", "due", "priority"], ["x", "2026-13-01", "1"]])
    (row,) = rows_of(path, RecordKind.WORK_ITEMS)
    assert [(p.row, p.column, p.value) for p in row.problems] == [
        (2, "id", "x"),
        (2, "due", "2026-13-01"),
    ]
    assert row.values["priority"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind = 'orders'", "it maps orders, not customers"),
        ("[columns]\ncolour = 'x'", "[columns] names no field colour of customers"),
        ("header_row = 0", "header_row must be a row number"),
        ("[defaults]\nname = 3", None),
        ("oops = ", "not valid TOML"),
        ("sheets = 'x'", "unknown setting sheets"),
    ],
)
def test_mapping_mistakes_are_explained(tmp_path: Path, text: str, message: str | None) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    if message is None:
        assert load_mapping(path, RecordKind.CUSTOMERS).defaults == {"name": "3"}
        return
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_mapping(path, RecordKind.CUSTOMERS)


def test_a_file_without_its_key_column_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["顧客名", "備考"], ["x", "y"]])
    with pytest.raises(InvalidInput, match="no customer code column for customers"):
        prepare_import(path, RecordKind.CUSTOMERS)


@pytest.mark.parametrize("kind", list(RecordKind))
def test_the_template_is_a_commented_mapping_of_every_field(kind: RecordKind) -> None:
    text = template_text(kind)
    data = tomllib.loads(text)
    assert data["kind"] == kind.value
    assert set(data["columns"]) == {spec.name for spec in FIELDS[kind]}
    assert text.count("#") > len(FIELDS[kind])
