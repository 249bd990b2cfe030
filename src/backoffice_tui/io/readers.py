"""Streaming the rows of a CSV or XLSX file, one at a time.

Rows come numbered as the spreadsheet shows them (1 = the first row), so a
report can point at them. Nothing is loaded whole: CSV is decoded as it is
read, XLSX is read with openpyxl's read-only mode.
"""

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import IO, Protocol

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.merged_cells import MergedRange, MergeFiller, scan_merged_ranges
from backoffice_tui.io.sheet_traits import SheetTraits, scan_sheet_traits

Row = tuple[int, Sequence[object]]
_SAMPLE = 1 << 20
_ALIASES = {"shift_jis": "cp932", "sjis": "cp932", "shift-jis": "cp932", "s_jis": "cp932"}
ENCODINGS_HINT = "utf-8, utf-8-sig or cp932 (Shift_JIS)"


class TableFile(Protocol):
    """A file of rows. ``position`` and ``size`` measure progress in the
    same unit (bytes for CSV, rows for XLSX); ``size`` is None if unknown."""

    name: str
    description: str

    def rows(self) -> Generator[Row, None, None]: ...

    @property
    def position(self) -> int: ...

    @property
    def size(self) -> int | None: ...

    def close(self) -> None: ...


def _check_encoding(name: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise InvalidInput(f"unknown encoding {name!r}; use {ENCODINGS_HINT}") from None
    return _ALIASES.get(codec, codec)


def detect_encoding(sample: bytes, complete: bool) -> str:
    """BOM first; then UTF-8 if the sample decodes as UTF-8; else CP932."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp932"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InvalidInput(
        f"cannot tell the encoding of the file; choose it with --encoding ({ENCODINGS_HINT})"
    )


class CsvFile:
    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        self.name = path.name
        self._size = path.stat().st_size
        with path.open("rb") as raw:
            sample = raw.read(_SAMPLE)
        complete = len(sample) < _SAMPLE
        if encoding is None:
            self.encoding = detect_encoding(sample, complete)
        else:
            self.encoding = _check_encoding(encoding)
            if self.encoding == "utf-8" and sample.startswith(codecs.BOM_UTF8):
                self.encoding = "utf-8-sig"
        self.delimiter = self._delimiter(sample)
        self.description = f"{self.name} (CSV, {self.encoding})"
        self._raw: IO[bytes] | None = None

    def _delimiter(self, sample: bytes) -> str:
        text = sample.decode(self.encoding, errors="replace")
        first = next((line for line in text.splitlines() if line.strip()), "")
        return "\t" if first.count("\t") > first.count(",") else ","

    @property
    def position(self) -> int:
        return self._raw.tell() if self._raw is not None and not self._raw.closed else 0

    @property
    def size(self) -> int | None:
        return self._size

    def rows(self) -> Generator[Row, None, None]:
        number = 0
        with self.path.open("rb") as raw:
            self._raw = raw
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            try:
                for number, cells in enumerate(csv.reader(text, delimiter=self.delimiter), 1):
                    yield number, cells
            except UnicodeDecodeError:
                raise InvalidInput(
                    f"{self.name}: row {number + 1} is not {self.encoding} text; "
                    f"choose the encoding with --encoding ({ENCODINGS_HINT})"
                ) from None
            except csv.Error as error:
                raise InvalidInput(f"{self.name}: row {number + 1}: {error}") from None

    def close(self) -> None:
        pass


class XlsxFile:
    def __init__(self, path: Path, sheet: str | None = None) -> None:
        from openpyxl import load_workbook  # openpyxl loads only when a workbook is used
        from openpyxl.utils.exceptions import InvalidFileException

        # what openpyxl cannot keep (data validation, extensions, default styles)
        # matters to nobody reading the values: never a warning on the terminal
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
        self.name = path.name
        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
            raise InvalidInput(f"cannot read {path.name} as an XLSX workbook: {error}") from None
        names = self._book.sheetnames
        if sheet is not None and sheet not in names:
            self._book.close()
            listed = ", ".join(repr(n) for n in names)
            raise InvalidInput(f"no sheet {sheet!r} in {path.name}; its sheets are {listed}")
        worksheet = self._book[sheet] if sheet is not None else self._book.active
        if not hasattr(worksheet, "iter_rows"):  # a chart sheet is active
            worksheet = self._book.worksheets[0]
        self._sheet = worksheet
        self.sheet_name = worksheet.title
        self.description = f"{self.name} (XLSX, sheet {self.sheet_name!r})"
        self._size: int | None = worksheet.max_row
        # the stored dimension may be wrong; read every row there is
        worksheet.reset_dimensions()
        self._position = 0
        self._merges: list[MergedRange] | None = None

    @property
    def position(self) -> int:
        return self._position

    @property
    def size(self) -> int | None:
        return self._size

    def _merged(self) -> MergeFiller:
        if self._merges is None:
            opener = getattr(self._sheet, "_get_source", None)
            self._merges = []
            if opener is not None:
                with opener() as source:
                    self._merges = scan_merged_ranges(source)
        return MergeFiller(self._merges)

    def traits(self) -> SheetTraits:
        """The sheet's hidden and formula-only rows (one scan of its XML)."""
        opener = getattr(self._sheet, "_get_source", None)
        if opener is None:
            return SheetTraits()
        with opener() as source:
            return scan_sheet_traits(source)

    def rows(self) -> Generator[Row, None, None]:
        filler = self._merged()
        for number, cells in enumerate(self._sheet.iter_rows(values_only=True), 1):
            self._position = number
            yield number, filler.fill(number, cells)

    def close(self) -> None:
        self._book.close()


def open_table(path: Path, *, sheet: str | None = None, encoding: str | None = None) -> TableFile:
    """Open a CSV or XLSX file by its extension (or its first bytes)."""
    if not path.exists():
        raise InvalidInput(f"no file {path}")
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InvalidInput(f"{path.name} is an old .xls workbook; save it as .xlsx or CSV first")
    try:
        with path.open("rb") as raw:
            is_zip = raw.read(4) == b"PK\x03\x04"
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    if suffix in (".xlsx", ".xlsm") or (is_zip and suffix not in (".csv", ".tsv", ".txt")):
        if encoding is not None:
            raise InvalidInput("--encoding applies to CSV files only")
        return XlsxFile(path, sheet)
    if sheet is not None:
        raise InvalidInput("--sheet applies to XLSX workbooks only")
    return CsvFile(path, encoding)
