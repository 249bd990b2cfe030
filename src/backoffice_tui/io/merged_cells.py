"""Merged cells of an XLSX sheet, for a reader that streams rows.

A merged range keeps its value in its top-left cell; the other cells read
as empty. People merge a customer's code down the rows of its orders, or a
header across two rows, and expect every covered cell to carry the value.
The ranges are listed after the rows in the sheet's XML, so they are found
by one quick scan of the XML before the rows are streamed.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_CHUNK = 1 << 20


@dataclass(frozen=True)
class MergedRange:
    first_row: int
    first_column: int  # 0-based
    last_row: int
    last_column: int


def scan_merged_ranges(source: IO[bytes]) -> list[MergedRange]:
    """Every merged range of a sheet, read from its XML in chunks."""
    from openpyxl.utils.cell import (
        column_index_from_string,  # openpyxl loads only when a workbook is used
    )

    ranges = []
    tail = b""
    while True:
        chunk = source.read(_CHUNK)
        data = tail + chunk
        end = 0
        for match in _MERGE.finditer(data):
            end = match.end()
            first_col, first_row, last_col, last_row = match.groups()
            last_col, last_row = last_col or first_col, last_row or first_row
            ranges.append(
                MergedRange(
                    int(first_row),
                    column_index_from_string(first_col.decode()) - 1,
                    int(last_row),
                    column_index_from_string(last_col.decode()) - 1,
                )
            )
        if not chunk:
            break
        # keep enough of the end to catch a tag cut in two
        tail = data[max(end, len(data) - 200) :]
    ranges.sort(key=lambda r: (r.first_row, r.first_column))
    return [r for r in ranges if r.last_row > r.first_row or r.last_column > r.first_column]


class MergeFiller:
    """Copies each merged range's value into every cell it covers, row by row."""

    def __init__(self, ranges: Iterable[MergedRange]) -> None:
        self._pending = sorted(ranges, key=lambda r: r.first_row, reverse=True)
        self._active: list[tuple[MergedRange, object]] = []

    def fill(self, number: int, cells: Sequence[object]) -> Sequence[object]:
        if not self._pending and not self._active:
            return cells
        self._active = [(r, v) for r, v in self._active if r.last_row >= number]
        while self._pending and self._pending[-1].first_row <= number:
            merged = self._pending.pop()
            if merged.first_row == number:
                value = cells[merged.first_column] if merged.first_column < len(cells) else None
                self._active.append((merged, value))
        if not self._active:
            return cells
        filled = list(cells)
        for merged, value in self._active:
            if value is None:
                continue
            if len(filled) <= merged.last_column:
                filled.extend([None] * (merged.last_column + 1 - len(filled)))
            for column in range(merged.first_column, merged.last_column + 1):
                if filled[column] is None:
                    filled[column] = value
        return filled
