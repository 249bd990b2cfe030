"""Exports as CSV (for Excel), XLSX and JSON."""

import gc
import io
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.writers import ExportFormat, chosen_format, write_file, write_stream

COLUMNS = ("id", "name", "due", "at", "payload")
ROWS = [
    (1, "山田", date(2026, 4, 1), datetime(2026, 4, 1, 3, 0, tzinfo=UTC), {"a": 1}),
    (2, '=HYPERLINK("http://x")', None, None, {}),
    (3, "bell\x07", None, None, None),
]


def test_csv_opens_in_excel_and_runs_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_file(path, ExportFormat.CSV, "t", COLUMNS, ROWS) == 3
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    text = data.decode("utf-8-sig")
    assert "1,山田,2026-04-01," in text
    assert "'=HYPERLINK" in text


def test_xlsx_keeps_types_and_never_writes_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_file(path, ExportFormat.XLSX, "a/b", COLUMNS, ROWS)
    book = load_workbook(path)
    sheet = book.active
    assert sheet.title == "a b"
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert sheet["A2"].value == 1
    assert sheet["C2"].value == datetime(2026, 4, 1)  # a real date cell
    assert sheet["B3"].data_type == "s" and sheet["B3"].value.startswith("=HYPERLINK")
    assert sheet["B4"].value == "bell\u2407"  # control characters made visible
    assert json.loads(sheet["E2"].value) == {"a": 1}


def test_json_is_an_array_of_objects(tmp_path: Path) -> None:
    stream = io.StringIO()
    write_stream(stream, ExportFormat.JSON, COLUMNS, ROWS)
    data = json.loads(stream.getvalue())
    assert data[0] == {
        "id": 1,
        "name": "山田",
        "due": "2026-04-01",
        "at": "2026-04-01T03:00:00+00:00",
        "payload": {"a": 1},
    }
    empty = io.StringIO()
    write_stream(empty, ExportFormat.JSON, COLUMNS, [])
    assert json.loads(empty.getvalue()) == []


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("mine")
    with pytest.raises(InvalidInput, match="exists; use --force to replace it"):
        write_file(path, ExportFormat.CSV, "t", COLUMNS, ROWS)
    assert path.read_text() == "mine"
    write_file(path, ExportFormat.CSV, "t", COLUMNS, ROWS, force=True)
    assert path.read_text(encoding="utf-8-sig").startswith("id,name")


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    def rows():  # type: ignore[no-untyped-def]
        yield ROWS[0]
        raise InvalidInput("the database went away")

    with pytest.raises(InvalidInput, match="went away"):
        write_file(tmp_path / "out.xlsx", ExportFormat.XLSX, "t", COLUMNS, rows())
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidInput, match="XLSX cannot go to standard output"):
        write_stream(io.StringIO(), ExportFormat.XLSX, COLUMNS, ROWS)


def test_a_workbook_that_cannot_be_saved_is_one_error_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ignored: list[object] = []  # what Python would print as "Exception ignored in ..."
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    (tmp_path / ".out.xlsx.partial").mkdir()  # where the workbook would be saved
    with pytest.raises(InvalidInput, match="cannot write"):
        write_file(tmp_path / "out.xlsx", ExportFormat.XLSX, "t", COLUMNS, ROWS)
    gc.collect()  # openpyxl's row writer, if left open, complains when collected
    assert ignored == []
    assert not (tmp_path / "out.xlsx").exists()


def test_an_export_into_a_missing_folder_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="there is no folder"):
        write_file(tmp_path / "no" / "out.xlsx", ExportFormat.XLSX, "t", COLUMNS, ROWS)


@pytest.mark.parametrize(
    ("fmt", "output", "expected"),
    [
        (None, "-", ExportFormat.CSV),
        (None, "out.XLSX", ExportFormat.XLSX),
        (None, "out.json", ExportFormat.JSON),
        (None, "out", ExportFormat.CSV),
        ("json", "out.pdf", ExportFormat.JSON),  # said outright
    ],
)
def test_the_format_comes_from_the_option_else_the_suffix(
    fmt: str | None, output: str, expected: ExportFormat
) -> None:
    assert chosen_format(fmt, output) == expected


@pytest.mark.parametrize("output", ["out.pdf", "t.docx", "x.csv.bak"])
def test_a_suffix_that_is_no_format_is_refused(output: str) -> None:
    with pytest.raises(InvalidInput, match=r"exports are \.csv, \.xlsx or \.json"):
        chosen_format(None, output)


def test_without_a_default_the_format_must_be_said() -> None:
    with pytest.raises(InvalidInput, match="say the format"):
        chosen_format(None, None, default=None)
