"""A file made ready for import: opened, its header found and mapped.

The command line and the console share this. ``source()`` gives what the
import service takes; each pass over the rows opens the file afresh, so a
dry run followed by the real import never holds the file in memory.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.headers import Header, find_header
from backoffice_tui.io.mapping import ColumnMapping, automatic_mapping, load_mapping
from backoffice_tui.io.mapping_text import chosen_text
from backoffice_tui.io.readers import CsvFile, TableFile, XlsxFile, open_table
from backoffice_tui.io.row_mapper import RowMapper
from backoffice_tui.services.imports import ImportSource, RecordKind, SourceRow

# progress(position, size): how far the reading is, in the file's own unit
Progress = Callable[[int, int | None], None]
_PROGRESS_EVERY = 1000

_KEY_NEEDS: dict[RecordKind, str] = {
    RecordKind.CUSTOMERS: "customer code column",
    RecordKind.ORDERS: "order code column",
    RecordKind.WORK_ITEMS: "id column (nor order and step columns)",
}


def _has_key(kind: RecordKind, header: Header) -> bool:
    fields = header.fields
    if kind == RecordKind.WORK_ITEMS:
        return "id" in fields or ("order" in fields and "step" in fields)
    return "code" in fields


@dataclass
class PreparedImport:
    path: Path
    kind: RecordKind
    mapping: ColumnMapping
    header: Header
    description: str
    sheet: str | None
    encoding: str | None

    table: TableFile | None = None

    def _open(self) -> TableFile:
        """The open file, opened again if it was closed: a workbook is loaded
        once (its shared strings and size are read whole by openpyxl) and
        each pass streams its rows again."""
        if self.table is None:
            self.table = open_table(self.path, sheet=self.sheet, encoding=self.encoding)
        return self.table

    def close(self) -> None:
        if self.table is not None:
            self.table.close()
            self.table = None

    def __enter__(self) -> "PreparedImport":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def mapping_text(self) -> str:
        return chosen_text(self.mapping, self.header, sheet=self.sheet, encoding=self.encoding)

    def source(self, progress: Progress | None = None) -> ImportSource:
        def rows() -> Iterator[SourceRow]:
            table = self._open()
            cells_by_row = table.rows()
            try:
                header, data = find_header(
                    cells_by_row,
                    self.mapping.recogniser(),
                    header_row=self.header.last_row,
                    source=self.path.name,
                )
                to_row = RowMapper(self.mapping, header)
                for count, (number, cells) in enumerate(data, 1):
                    if progress is not None and count % _PROGRESS_EVERY == 0:
                        progress(table.position, table.size)
                    yield to_row(number, cells)
                if progress is not None:
                    progress(table.size or table.position, table.size)
            finally:
                cells_by_row.close()

        columns = {name: self.header.names[index] for name, index in self.header.fields.items()}
        return ImportSource(
            kind=self.kind,
            name=self.path.name,
            columns=columns,
            rows=rows,
            defaults=self.mapping.defaults,
        )


def prepare_import(
    path: Path,
    kind: RecordKind,
    *,
    mapping_path: Path | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
) -> PreparedImport:
    """Open ``path``, find its header and map it, or say what is wrong.
    The file stays open for the passes that follow: close the result."""
    mapping = load_mapping(mapping_path, kind) if mapping_path else automatic_mapping(kind)
    table = open_table(path, sheet=sheet or mapping.sheet, encoding=encoding or mapping.encoding)
    rows = table.rows()
    try:
        header, _ = find_header(
            rows, mapping.recogniser(), header_row=mapping.header_row, source=path.name
        )
    except BaseException:
        table.close()
        raise
    finally:
        rows.close()
    if not _has_key(kind, header):
        table.close()
        found = ", ".join(n for n in header.names if n) or "none"
        raise InvalidInput(
            f"{path.name}: no {_KEY_NEEDS[kind]} for {kind.value} (row {header.last_row} has "
            f"{found}); name it in a mapping file (backoffice import --template {kind.value})"
        )
    return PreparedImport(
        path=path,
        kind=kind,
        mapping=mapping,
        header=header,
        description=table.description,
        sheet=table.sheet_name if isinstance(table, XlsxFile) else None,
        encoding=table.encoding if isinstance(table, CsvFile) else None,
        table=table,
    )
