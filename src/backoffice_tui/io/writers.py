"""Writing rows as CSV, XLSX or JSON, one row at a time.

- CSV is UTF-8 with a BOM, so that Excel opens Japanese text correctly
  (no BOM on standard output). Text starting with ``=``, ``+`` or ``@`` is
  written as ``'=...`` so that a spreadsheet shows it instead of running
  it as a formula; the import reads it back without the quote.
- XLSX is written with openpyxl's write-only mode: dates are date cells,
  times local times, and text is always text, never a formula.
- JSON is an array of objects, written as the rows come.
"""

import contextlib
import csv
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from backoffice_tui.domain.errors import InvalidInput

_FORMULA_STARTS = ("=", "+", "@")
_SHEET_TITLE_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"

    @classmethod
    def from_path(cls, path: Path) -> "ExportFormat | None":
        try:
            return cls(path.suffix.lower().lstrip("."))
        except ValueError:
            return None


def chosen_format(
    fmt: str | None, output: str | Path | None, default: ExportFormat | None = ExportFormat.CSV
) -> ExportFormat:
    """What an export writes: ``--format``, else the output file's suffix,
    else ``default`` (None: the format must be said). A suffix that is none
    of the formats is refused, never written as another format."""
    if fmt:
        return ExportFormat(fmt)
    if output is not None and str(output) != "-":
        path = Path(output)
        found = ExportFormat.from_path(path)
        if found is not None:
            return found
        if path.suffix:
            raise InvalidInput(
                f"cannot write {path.name}: exports are .csv, .xlsx or .json "
                "(or say --format csv|xlsx|json)"
            )
    if default is None:
        raise InvalidInput(
            "say the format: --format csv|xlsx|json, or an --output FILE with that suffix"
        )
    return default


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(stream: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    writer = csv.writer(stream)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        count += 1
    return count


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_json(stream: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    stream.write("[")
    for row in rows:
        record = {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        stream.write(",\n  " if count else "\n  ")
        stream.write(json.dumps(record, ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def _xlsx_cells(sheet: Any, row: Sequence[Any]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell  # openpyxl loads only when a workbook is used
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells: list[Any] = []
    for value in row:
        if isinstance(value, datetime):
            value = value.astimezone().replace(tzinfo=None)
        elif isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        if isinstance(value, str):
            # control characters cannot be stored in XLSX: show them as symbols
            value = ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m[0][0]) % 0x20), value)
            if value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                value = cell
        cells.append(value)
    return cells


def _discard(sheet: Any) -> None:
    """After a failure, stop openpyxl's row writer and remove its temporary file."""
    rows, writer = getattr(sheet, "_rows", None), getattr(sheet, "_writer", None)
    with contextlib.suppress(Exception):
        if rows is not None:
            rows.close()
        if writer is not None:
            writer.close()
            writer.cleanup()


def write_xlsx(
    path: Path, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    from openpyxl import Workbook  # openpyxl loads only when a workbook is used

    book = Workbook(write_only=True)
    sheet = book.create_sheet((title.translate(_SHEET_TITLE_BAD).strip() or "export")[:31])
    count = 0
    try:
        sheet.append(list(columns))
        for row in rows:
            sheet.append(_xlsx_cells(sheet, row))
            count += 1
        book.save(path)
    except BaseException:
        _discard(sheet)
        raise
    return count


def write_file(
    path: Path,
    fmt: ExportFormat,
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    force: bool = False,
) -> int:
    """Write the rows to ``path`` (refusing to replace a file unless ``force``);
    returns how many were written. A failed export leaves no partial file."""
    if path.exists() and not force:
        raise InvalidInput(f"{path} exists; use --force to replace it")
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory")
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: there is no folder {path.parent}")
    partial = path.with_name(f".{path.name}.partial")
    try:
        if fmt == ExportFormat.XLSX:
            count = write_xlsx(partial, title, columns, rows)
        else:
            encoding = "utf-8-sig" if fmt == ExportFormat.CSV else "utf-8"
            with partial.open("w", encoding=encoding, newline="") as stream:
                write = write_csv if fmt == ExportFormat.CSV else write_json
                count = write(stream, columns, rows)
        partial.replace(path)
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(OSError):  # the error above is the one to tell
            partial.unlink(missing_ok=True)
    return count


def write_stream(
    stream: IO[str], fmt: ExportFormat, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """CSV or JSON to an open text stream (standard output)."""
    if fmt == ExportFormat.XLSX:
        raise InvalidInput("XLSX cannot go to standard output; give --output FILE.xlsx")
    write = write_csv if fmt == ExportFormat.CSV else write_json
    return write(stream, columns, rows)
