"""Reading CSV (any usual encoding) and XLSX row by row."""

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.readers import CsvFile, XlsxFile, open_table
from tests.io.files import japanese_customers_cp932, write_csv


def rows_of(path: Path, **options: object) -> list[tuple[int, list[object]]]:
    table = open_table(path, **options)  # type: ignore[arg-type]
    try:
        return [(n, list(cells)) for n, cells in table.rows()]
    finally:
        table.close()


def test_a_shift_jis_file_without_a_bom_is_detected(tmp_path: Path) -> None:
    path = japanese_customers_cp932(tmp_path / "顧客.csv")
    table = open_table(path)
    assert isinstance(table, CsvFile) and table.encoding == "cp932"
    rows = rows_of(path)
    assert rows[2] == (3, ["顧客コード", "顧客名", "フリガナ", "区分", "備考"])
    assert rows[3][1][1] == "株式会社みなと商事"


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8")])
def test_utf8_with_and_without_a_bom(tmp_path: Path, encoding: str, detected: str) -> None:
    path = write_csv(tmp_path / "c.csv", [["顧客コード", "顧客名"], ["C1", "山田"]], encoding)
    table = open_table(path)
    assert isinstance(table, CsvFile) and table.encoding == detected
    assert rows_of(path)[0][1][0] == "顧客コード"  # no BOM left on the first header


def test_the_encoding_can_be_chosen(tmp_path: Path) -> None:
    path = japanese_customers_cp932(tmp_path / "c.csv")
    assert rows_of(path, encoding="Shift_JIS")[2][1][0] == "顧客コード"
    with pytest.raises(InvalidInput, match="row 1 is not utf-8 text; choose the encoding"):
        rows_of(path, encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown encoding 'klingon'"):
        open_table(path, encoding="klingon")


def test_tab_separated_text_as_excel_saves_unicode_text(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_bytes("顧客コード\t顧客名\r\nC1\t山田, 太郎\r\n".encode("utf-16"))
    assert rows_of(path) == [(1, ["顧客コード", "顧客名"]), (2, ["C1", "山田, 太郎"])]


def test_xlsx_rows_are_numbered_as_the_sheet_shows_them(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "一覧"
    sheet["A1"] = "title"
    sheet["A4"] = "id"
    sheet["B4"] = "due"
    sheet["A5"] = 7
    sheet["B5"] = datetime(2026, 4, 1)
    other = book.create_sheet("other")
    other["A1"] = "x"
    book.active = 0
    book.save(tmp_path / "w.xlsx")
    rows = rows_of(tmp_path / "w.xlsx")
    assert [n for n, _ in rows] == [1, 2, 3, 4, 5]
    assert rows[4][1] == [7, datetime(2026, 4, 1)]
    assert rows_of(tmp_path / "w.xlsx", sheet="other") == [(1, ["x"])]
    with pytest.raises(
        InvalidInput, match=r"no sheet 'nope' in w.xlsx; its sheets are '一覧', 'other'"
    ):
        open_table(tmp_path / "w.xlsx", sheet="nope")


def test_merged_cells_give_their_value_to_every_cell_they_cover(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Title", None, None])
    sheet.append(["C1", "cloud", "x"])
    sheet.append([None, "network-line", None])
    sheet.merge_cells("A1:C1")
    sheet.merge_cells("A2:A3")
    book.save(tmp_path / "m.xlsx")
    table = open_table(tmp_path / "m.xlsx")
    assert isinstance(table, XlsxFile)
    # a row ends at its last stored cell
    assert [list(c) for _, c in table.rows()] == [
        ["Title", "Title", "Title"],
        ["C1", "cloud", "x"],
        ["C1", "network-line"],
    ]


def test_files_that_cannot_be_read_say_so(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no file"):
        open_table(tmp_path / "missing.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput, match=r"old .xls workbook; save it as .xlsx or CSV"):
        open_table(tmp_path / "old.xls")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match=r"cannot read broken.xlsx as an XLSX workbook"):
        open_table(tmp_path / "broken.xlsx")
    with pytest.raises(InvalidInput, match="--sheet applies to XLSX workbooks only"):
        open_table(write_csv(tmp_path / "a.csv", [["a"]]), sheet="x")
