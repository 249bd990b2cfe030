"""Finding the header row of a sheet, and the data rows under it.

Spreadsheets rarely start with their header: a title, a date, a blank row
come first; a header may take two rows (a group name merged over the names
below it); a long sheet may repeat its header every printed page. The
header is the row (or pair of rows) among the first ones whose cells name
the most fields; rows above it are ignored, and below it blank rows and
repeats of the header are skipped.
"""

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.readers import Row
from backoffice_tui.io.values import as_text, match_key

Recognise = Callable[[str], str | None]


def column_letter(index: int) -> str:
    """A column's letter as spreadsheets show it (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


SCAN_ROWS = 30


@dataclass(frozen=True)
class Header:
    rows: tuple[int, ...]  # the header's row numbers (one, or two when combined)
    names: tuple[str, ...]  # each column's header as shown in reports
    fields: dict[str, int]  # field -> column index
    paths: tuple[str, ...] = ()  # two rows: each column's "group name" (group filled right)

    @property
    def last_row(self) -> int:
        return self.rows[-1]

    def column(self, field: str) -> str:
        index = self.fields[field]
        return self.names[index] if index < len(self.names) else column_letter(index)

    def unused(self) -> list[str]:
        used = set(self.fields.values())
        return [name for index, name in enumerate(self.names) if name and index not in used]


def _texts(cells: Sequence[object]) -> list[str]:
    return [as_text(cell) or "" for cell in cells]


def _assign(names: Sequence[str], recognise: Recognise, fixed: dict[str, int]) -> dict[str, int]:
    fields: dict[str, int] = {}
    taken = set(fixed.values())
    for index, name in enumerate(names):
        field = recognise(name) if name and index not in taken else None
        if field is not None and field not in fields and field not in fixed:
            fields[field] = index
    return fields


def _filled_right(names: list[str]) -> list[str]:
    """A group name stands for the columns to its right up to the next one,
    as a cell merged across them does."""
    filled, current = [], ""
    for name in names:
        current = name or current
        filled.append(current)
    return filled


def _combined(
    upper: list[str], lower: list[str], recognise: Recognise
) -> tuple[list[str], list[str]]:
    """Each column's name from two header rows: ``group name`` if that is
    known, else the lower name, else the upper one (a cell merged down);
    and each column's ``group name`` path."""
    names, paths = [], []
    width = max(len(upper), len(lower))
    upper = _filled_right(upper) + [""] * (width - len(upper))
    lower = lower + [""] * (width - len(lower))
    for top, bottom in zip(upper, lower, strict=True):
        if top and bottom and top != bottom and recognise(top + bottom):
            names.append(f"{top} {bottom}")
        else:
            names.append(bottom or top)
        paths.append(f"{top} {bottom}" if top and bottom and top != bottom else bottom or top)
    return names, paths


def _is_blank(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _best_header(
    buffer: list[Row], recognise: Recognise, wanted: int | None, fixed: dict[str, int]
) -> Header | None:
    """The row (or pair) naming the most fields. Columns named by letter
    (``fixed``) count for every row alike: with nothing else to go by, the
    header is ``wanted`` or the first row."""
    best: Header | None = None
    best_count = -1 if fixed else 0
    previous: list[str] | None = None
    for number, cells in buffer:
        texts = _texts(cells)
        if wanted is None or number == wanted:
            candidates: list[tuple[tuple[int, ...], list[str], list[str]]] = [
                ((number,), texts, [])
            ]
            if previous is not None and any(previous):
                names, paths = _combined(previous, texts, recognise)
                candidates.append(((number - 1, number), names, paths))
            for rows, names, paths in candidates:
                fields = _assign(names, recognise, fixed)
                if len(fields) > best_count:
                    best_count = len(fields)
                    best = Header(rows, tuple(names), {**fixed, **fields}, tuple(paths))
        previous = texts if not _is_blank(cells) else None
    return best


class _RepeatedHeader:
    """Tells a repeat of the header rows from data, cheaply for data rows."""

    def __init__(self, header: Header, header_cells: list[list[str]]) -> None:
        columns = sorted(header.fields.values())
        self.columns = columns
        self.first = columns[0]
        self.repeats = [
            (
                cells[self.first].strip().casefold(),
                [match_key(cells[c]) if c < len(cells) else "" for c in columns],
            )
            for cells in header_cells
            if self.first < len(cells)
        ]

    def __call__(self, cells: Sequence[object]) -> bool:
        if self.first >= len(cells):
            return False
        cell = cells[self.first]
        if not isinstance(cell, str):
            return False
        lead = cell.strip().casefold()
        for first, keys in self.repeats:
            if (
                lead == first
                and [
                    match_key(as_text(cells[c]) or "") if c < len(cells) else ""
                    for c in self.columns
                ]
                == keys
            ):
                return True
        return False


def find_header(
    rows: Iterator[Row],
    recognise: Recognise,
    *,
    header_row: int | None = None,
    source: str = "",
    fixed: dict[str, int] | None = None,
) -> tuple[Header, Iterator[Row]]:
    """The header and the data rows after it (blank rows and repeated
    headers left out). ``header_row`` names the header's row instead of
    looking for it among the first ``SCAN_ROWS``; ``fixed`` fields are at
    the given column indexes whatever the header says."""
    scan = SCAN_ROWS if header_row is None else max(header_row, 1)
    buffer = list(itertools.islice(rows, scan))
    header = _best_header(buffer, recognise, header_row, fixed or {})
    if header is None:
        where = f"row {header_row}" if header_row else f"the first {SCAN_ROWS} rows"
        raise InvalidInput(
            f"{source}: no column names found in {where}; name the columns in a mapping file "
            "(backoffice import --template KIND)"
        )
    header_cells = [_texts(cells) for number, cells in buffer if number in header.rows]
    repeated = _RepeatedHeader(header, header_cells)
    after = ((n, c) for n, c in buffer if n > header.last_row)

    def data() -> Iterator[Row]:
        for number, cells in itertools.chain(after, rows):
            if not _is_blank(cells) and not repeated(cells):
                yield number, cells

    return header, data()
