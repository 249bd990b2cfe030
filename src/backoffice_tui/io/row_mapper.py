"""Turning a row of cells into the field values an import takes."""

from collections.abc import Callable, Sequence
from typing import Any

from backoffice_tui.io.headers import Header
from backoffice_tui.io.mapping import PARSERS, ColumnMapping
from backoffice_tui.io.values import CellError, as_text, match_key
from backoffice_tui.services.imports import BadRow, SourceRow

_Plan = tuple[str, int, Callable[[object], Any], dict[str, Any] | None, str]


def _unescape(value: object) -> object:
    """Text exported as ``'=...`` (so that spreadsheets do not run it) reads
    back as ``=...``."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in "=+@":
        return value[1:]
    return value


class RowMapper:
    """Parses the mapped cells of each row; a cell that does not parse
    becomes a problem of the row, the others still read."""

    def __init__(self, mapping: ColumnMapping, header: Header) -> None:
        specs = mapping.specs()
        self.plan: list[_Plan] = [
            (
                name,
                index,
                PARSERS[specs[name].value],
                mapping.value_words(name),
                header.names[index],
            )
            for name, index in header.fields.items()
        ]

    def __call__(self, number: int, cells: Sequence[object]) -> SourceRow:
        values: dict[str, Any] = {}
        problems: list[BadRow] = []
        width = len(cells)
        for name, index, parse, words, column in self.plan:
            cell = cells[index] if index < width else None
            if cell.__class__ is str:
                if not cell.strip():
                    values[name] = None
                    continue
                if cell[0] == "'":
                    cell = _unescape(cell)
            elif cell is None:
                values[name] = None
                continue
            if words is not None and not isinstance(cell, int | float):
                cell = words.get(match_key(str(cell)), cell)
            try:
                values[name] = parse(cell)
            except CellError as error:
                problems.append(BadRow(number, column, as_text(cells[index]) or "", str(error)))
        return SourceRow(number, values, tuple(problems))
