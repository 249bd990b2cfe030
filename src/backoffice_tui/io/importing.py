"""A file made ready for import: opened, its header found and mapped.

The command line and the console share this. ``source()`` gives what the
import service takes; each pass over the rows opens the file afresh, so a
dry run followed by the real import never holds the file in memory.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.headers import Header, find_header
from backoffice_tui.io.mapping import ColumnMapping, automatic_mapping, load_mapping
from backoffice_tui.io.mapping_text import chosen_text
from backoffice_tui.io.readers import CsvFile, TableFile, XlsxFile, open_table
from backoffice_tui.io.row_filter import RowFilter, keep_repeats, row_key, skipped_text
from backoffice_tui.io.row_mapper import RowMapper
from backoffice_tui.io.sheet_traits import SheetTraits
from backoffice_tui.services.imports import ImportSource, RecordKind, SourceRow

# progress(position, size): how far the reading is, in the file's own unit
Progress = Callable[[int, int | None], None]
_PROGRESS_EVERY = 1000

_KEY_NEEDS: dict[RecordKind, str] = {
    RecordKind.CUSTOMERS: "customer code column",
    RecordKind.ORDERS: "order code column",
    RecordKind.WORK_ITEMS: "id column (nor order and step columns)",
    RecordKind.EVENTS: "time column (at)",
}


def _has_key(kind: RecordKind, header: Header, mapping: ColumnMapping) -> bool:
    fields = set(header.fields) | set(mapping.combine) | set(mapping.defaults)
    if kind == RecordKind.WORK_ITEMS:
        return "id" in fields or ("order" in fields and "step" in fields)
    if kind == RecordKind.EVENTS:
        return "at" in fields
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
    #: rows the last pass left out, by reason (``row_filter.REASONS``)
    skipped: Counter[str] = field(default_factory=Counter)
    _traits: SheetTraits | None = None

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

    def skipped_text(self) -> str | None:
        """The rows the last pass left out, in words, or None."""
        return skipped_text(self.skipped)

    def _sheet_traits(self, table: TableFile) -> SheetTraits | None:
        skip = self.mapping.skip
        if not isinstance(table, XlsxFile) or not (skip.hidden or skip.formula_only):
            return None
        if self._traits is None:
            self._traits = table.traits()
        return self._traits

    def _mapped_rows(self, progress: Progress | None) -> Iterator[SourceRow]:
        """One pass: every row the mapping keeps, mapped; ``skipped`` counts the others."""
        table = self._open()
        cells_by_row = table.rows()
        self.skipped = Counter()
        try:
            header, data = find_header(
                cells_by_row,
                self.mapping.recogniser(),
                header_row=self.header.last_row,
                source=self.path.name,
                fixed=self.mapping.fixed_columns,
            )
            to_row = RowMapper(self.mapping, header)
            kept = RowFilter(self.mapping, header, self._sheet_traits(table))
            self.skipped = kept.skipped
            for count, (number, cells) in enumerate(data, 1):
                if progress is not None and count % _PROGRESS_EVERY == 0:
                    progress(table.position, table.size)
                filled = kept.before(number, cells)
                if filled is not None:
                    row = to_row(number, filled)
                    if kept.after(row):
                        yield row
            if progress is not None:
                progress(table.size or table.position, table.size)
        finally:
            cells_by_row.close()

    def _last_rows(self) -> dict[Any, int]:
        """Each key's last row, from a pass of its own."""
        last: dict[Any, int] = {}
        for row in self._mapped_rows(None):
            key = row_key(self.kind, row.values) if not row.problems else None
            if key is not None:
                last[key] = row.number
        return last

    def source(self, progress: Progress | None = None) -> ImportSource:
        policy = self.mapping.repeated

        def rows() -> Iterator[SourceRow]:
            if policy == "error":  # the import refuses repeats: every row goes on
                yield from self._mapped_rows(progress)
                return
            last = self._last_rows() if policy == "last" else None
            counts: Counter[str] = Counter()
            for row, left_out in keep_repeats(self._mapped_rows(progress), self.kind, policy, last):
                if left_out is None:
                    yield row
                else:
                    counts[left_out] += 1
            self.skipped.update(counts)

        return ImportSource(
            kind=self.kind,
            name=self.path.name,
            columns=self.columns,
            rows=rows,
            defaults=self.mapping.defaults,
            create_customers=self.mapping.create_customers,
            attributes=tuple(name for _, name in RowMapper(self.mapping, self.header).attributes),
            users=self.mapping.users,
            create_users=self.mapping.create_users,
            create_steps=self.mapping.create_steps,
        )

    @property
    def columns(self) -> dict[str, str]:
        return RowMapper(self.mapping, self.header).columns()


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
            rows,
            mapping.recogniser(),
            header_row=mapping.header_row,
            source=path.name,
            fixed=mapping.fixed_columns,
        )
        # a column the mapping names but the file lacks: one line, before any pass
        RowMapper(mapping, header)
        RowFilter(mapping, header, None)
    except BaseException:
        table.close()
        raise
    finally:
        rows.close()
    if not _has_key(kind, header, mapping):
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
