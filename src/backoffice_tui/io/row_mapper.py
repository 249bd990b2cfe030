"""Turning a row of cells into the field values an import takes."""

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from backoffice_tui.io.column_refs import column_index
from backoffice_tui.io.headers import Header, column_letter
from backoffice_tui.io.mapping import ColumnMapping, Letters
from backoffice_tui.io.values import SPREADSHEET_ERRORS, CellError, as_code, as_text, match_key
from backoffice_tui.io.vocabulary import KNOWN_UNUSED
from backoffice_tui.services.imports import BadRow, SourceRow


def _unescape(value: object) -> object:
    """Text exported as ``'=...`` (so that spreadsheets do not run it) reads
    back as ``=...``."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in "=+@":
        return value[1:]
    return value


# what match_key leaves out of ASCII text (besides case)
_IGNORED_ASCII = frozenset(" \t\n\r\f\v\x1c\x1d\x1e\x1f_-.:()*")


def word_chars(keys: Iterable[str]) -> str:
    """The characters an ASCII cell may hold and still be one of these word
    keys (letters in both cases): a cell with any other cannot be, and is
    not folded to look. A cell may be a word when ``not cell.isascii() or
    not cell.strip(chars)`` (nothing left once they are stripped from both
    ends), written out in RowMapper's loop, which runs for every cell."""
    chars = set("".join(keys)) | _IGNORED_ASCII
    return "".join(sorted(chars | {c.upper() for c in chars} | {c.lower() for c in chars}))


@dataclass(frozen=True)
class _Field:
    name: str
    index: int
    parse: Callable[[object], Any]
    words: dict[str, Any] | None
    empty: frozenset[str]
    column: str  # as reports name it

    @functools.cached_property
    def chars(self) -> str:
        return word_chars([*self.empty, *(self.words or ())])


@dataclass(frozen=True)
class _Joined:
    """A field made of several columns (``[combine]``)."""

    name: str
    indexes: tuple[int, ...]
    parse: Callable[[object], Any]
    separator: str
    prefix: str
    column: str


class RowMapper:
    """Parses the mapped cells of each row; a cell that does not parse
    becomes a problem of the row, the others still read."""

    def __init__(self, mapping: ColumnMapping, header: Header) -> None:
        self.plan = [
            _Field(
                name,
                index,
                mapping.parser(name),
                mapping.value_words(name),
                mapping.empty_words(name),
                header.column(name),
            )
            for name, index in header.fields.items()
            if name not in mapping.combine
        ]
        where = f"{mapping.label} [combine]"
        self.joined = [
            _Joined(
                name,
                indexes := tuple(column_index(ref, header, f"{where} {name}") for ref in c.columns),
                mapping.parser(name),
                c.separator,
                c.prefix,
                "+".join(header.names[i] if i < len(header.names) else "" for i in indexes),
            )
            for name, c in mapping.combine.items()
        ]

        self.attributes = _attribute_columns(mapping, header) if mapping.attributes else []
        self.attribute_empty = mapping.empty_words("all")
        self.attribute_chars = word_chars(self.attribute_empty)

    def columns(self) -> dict[str, str]:
        """Field -> the column(s) it is read from, for reports."""
        return {f.name: f.column for f in self.plan} | {j.name: j.column for j in self.joined}

    def __call__(self, number: int, cells: Sequence[object]) -> SourceRow:
        values: dict[str, Any] = {}
        problems: list[BadRow] = []
        width = len(cells)
        for plan in self.plan:
            cell = cells[plan.index] if plan.index < width else None
            if cell.__class__ is str:
                if not cell.strip():
                    values[plan.name] = None
                    continue
                if cell[0] == "'":
                    cell = _unescape(cell)
            elif cell is None:
                values[plan.name] = None
                continue
            if isinstance(cell, str):
                if (plan.empty or plan.words is not None) and (
                    not cell.isascii() or not cell.strip(plan.chars)
                ):
                    key = match_key(cell)
                    if key in plan.empty:
                        values[plan.name] = None
                        continue
                    if plan.words is not None:
                        cell = plan.words.get(key, cell)
                if cell.__class__ is str and cell.lstrip()[:1] == "#":
                    error = cell.strip().upper()
                    if error in SPREADSHEET_ERRORS:
                        reason = (
                            f"the spreadsheet error {error} (a formula that failed); fix it "
                            f'in the file, or make it a blank: empty = ["{error}"]'
                        )
                        problems.append(BadRow(number, plan.column, cell.strip(), reason))
                        continue
            elif plan.words is not None and not isinstance(cell, int | float):
                cell = plan.words.get(match_key(str(cell)), cell)
            try:
                values[plan.name] = plan.parse(cell)
            except CellError as error:
                written = as_text(cells[plan.index]) or ""  # as the file has it
                problems.append(BadRow(number, plan.column, written, str(error)))
        for joined in self.joined:
            # the parts of a key: folded, so that a full-width １ is the 1 of the next section
            parts = [as_code(cells[i]) if i < width else None for i in joined.indexes]
            texts = [p for p in parts if p is not None]
            if not texts:
                values[joined.name] = None
                continue
            text = joined.prefix + joined.separator.join(texts)
            try:
                values[joined.name] = joined.parse(text)
            except CellError as error:
                problems.append(BadRow(number, joined.column, text, str(error)))
        attributes: dict[str, str] | None = None
        if self.attributes:
            attributes = {}
            for index, name in self.attributes:
                cell = as_text(cells[index]) if index < width else None
                if cell is not None and not (
                    self.attribute_empty
                    and (not cell.isascii() or not cell.strip(self.attribute_chars))
                    and match_key(cell) in self.attribute_empty
                ):
                    attributes[name] = cell
        return SourceRow(number, values, tuple(problems), attributes)


def _attribute_columns(mapping: ColumnMapping, header: Header) -> list[tuple[int, str]]:
    """(index, name) of the columns kept as attributes: those with a header
    that no field maps, the mapping does not drop and exports do not add."""
    where = f"{mapping.label} drop"
    used = set(header.fields.values())
    for combination in mapping.combine.values():
        used.update(column_index(ref, header, where) for ref in combination.columns)
    ranges = [ref for ref in mapping.drop if isinstance(ref, Letters)]
    used.update(
        column_index(ref, header, where) for ref in mapping.drop if not isinstance(ref, Letters)
    )
    unused = {match_key(name) for name in KNOWN_UNUSED[mapping.kind]}
    columns: list[tuple[int, str]] = []
    names: set[str] = set()
    for index, shown in enumerate(header.names):
        path = header.paths[index] if index < len(header.paths) else ""
        name = (path or shown).strip()
        if not name or index in used or match_key(name) in unused:
            continue
        if any(index in letters for letters in ranges):
            continue
        if name in names:
            name = f"{name} ({column_letter(index)})"
        names.add(name)
        columns.append((index, name))
    return columns
