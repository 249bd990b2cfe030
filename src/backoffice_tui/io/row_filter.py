"""Which rows of a file are records, and which row of a repeated key counts.

Before a row is mapped, the columns of ``fill_down`` take the last value
above them, and rows the mapping skips (hidden, formula-only, matching a
``skip.where`` condition) are left out; after it, rows whose key is blank
(with ``skip.blank_key``) and repeats of a key (``repeated``) are. Every row
left out is counted by reason, so a report can say what was not imported.
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from backoffice_tui.io.column_refs import column_index
from backoffice_tui.io.headers import Header
from backoffice_tui.io.mapping import ColumnMapping, Condition
from backoffice_tui.io.sheet_traits import SheetTraits
from backoffice_tui.io.values import as_text, is_blank, match_key
from backoffice_tui.services.imports import RecordKind, SourceRow

# The fields that name a record; a work item without an id is its order, service and step.
KEY_FIELDS: dict[RecordKind, tuple[tuple[str, ...], ...]] = {
    RecordKind.CUSTOMERS: (("code",),),
    RecordKind.ORDERS: (("code",),),
    RecordKind.WORK_ITEMS: (("id",), ("order", "service", "step")),
    RecordKind.EVENTS: (("key",), ("order",), ("customer",)),
}

# why a row was left out: (one, many)
REASONS = {
    "hidden": ("hidden row", "hidden rows"),
    "formula_only": ("row with formulas only", "rows with formulas only"),
    "where": ("row matching [skip] where", "rows matching [skip] where"),
    "blank_key": ("row with a blank key", "rows with a blank key"),
    "repeated": (
        "earlier row of a repeated key (the last one counts)",
        "earlier rows of a repeated key (the last one counts)",
    ),
    "repeated_first": (
        "later row of a repeated key (the first one counts)",
        "later rows of a repeated key (the first one counts)",
    ),
}


def skipped_text(skipped: Counter[str]) -> str | None:
    """The rows left out, in words (``not imported: 1 hidden row, ...``), or None."""
    parts = [
        f"{skipped[reason]} {words[skipped[reason] != 1]}"
        for reason, words in REASONS.items()
        if skipped[reason]
    ]
    return "not imported: " + ", ".join(parts) if parts else None


def row_key(kind: RecordKind, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The record a row names, or None when its key cells are blank."""
    for fields in KEY_FIELDS[kind]:
        key = tuple(values.get(name) for name in fields)
        if any(part is not None for part in key):
            return (fields, *key)
    return None


class _Matches:
    def __init__(self, index: int, condition: Condition) -> None:
        self.index = index
        self.equals = {match_key(word) for word in condition.equals}
        self.pattern = condition.matches
        self.blank = condition.blank

    def __call__(self, cells: Sequence[object]) -> bool:
        cell = cells[self.index] if self.index < len(cells) else None
        if self.blank:
            return is_blank(cell)
        text = as_text(cell)
        if text is None:
            return False
        if self.pattern is not None:
            return self.pattern.search(text) is not None
        return match_key(text) in self.equals


class RowFilter:
    """One pass's filter; ``skipped`` counts the rows left out, by reason."""

    def __init__(self, mapping: ColumnMapping, header: Header, traits: SheetTraits | None) -> None:
        where = mapping.label
        self.fill = [column_index(ref, header, f"{where} fill_down") for ref in mapping.fill_down]
        self.conditions = [
            _Matches(column_index(c.column, header, f"{where} [skip] where"), c)
            for c in mapping.skip.where
        ]
        self.skip_blank_key = mapping.skip.blank_key
        self.hidden = traits.hidden if traits and mapping.skip.hidden else set()
        self.formula_only = traits.formula_only if traits and mapping.skip.formula_only else set()
        self._above: dict[int, object] = {}
        self.kind = mapping.kind
        self.skipped: Counter[str] = Counter()

    def before(self, number: int, cells: Sequence[object]) -> Sequence[object] | None:
        """The row's cells with blanks filled down, or None if it is skipped."""
        if number in self.hidden:
            self.skipped["hidden"] += 1
            return None
        if number in self.formula_only:
            self.skipped["formula_only"] += 1
            return None
        if self.fill:
            cells = self._fill_down(cells)
        if any(matches(cells) for matches in self.conditions):
            self.skipped["where"] += 1
            return None
        return cells

    def _fill_down(self, cells: Sequence[object]) -> Sequence[object]:
        filled: list[object] | None = None
        for index in self.fill:
            cell = cells[index] if index < len(cells) else None
            if not is_blank(cell):
                self._above[index] = cell
            elif index in self._above:
                if filled is None:
                    filled = list(cells)
                if len(filled) <= index:
                    filled.extend([None] * (index + 1 - len(filled)))
                filled[index] = self._above[index]
        return cells if filled is None else filled

    def after(self, row: SourceRow) -> bool:
        """Whether the mapped row is kept (its key is not blank, if that is asked)."""
        if self.skip_blank_key and not row.problems and row_key(self.kind, row.values) is None:
            self.skipped["blank_key"] += 1
            return False
        return True


def keep_repeats(
    rows: Iterable[SourceRow], kind: RecordKind, policy: str, last_rows: dict[Any, int] | None
) -> Iterator[tuple[SourceRow, str | None]]:
    """Each row, with the reason it is left out (None: kept) under ``policy``:
    ``first`` keeps a key's first row; ``last`` its last one, whose number
    ``last_rows`` holds (from a pass before). (``error`` leaves every row in
    for the import to refuse, and needs no filter.)"""
    seen: set[Any] = set()
    for row in rows:
        key = row_key(kind, row.values) if not row.problems else None
        if key is None:
            yield row, None
        elif policy == "first":
            if key in seen:
                yield row, "repeated_first"
            else:
                seen.add(key)
                yield row, None
        else:
            assert last_rows is not None
            yield row, (None if last_rows.get(key) == row.number else "repeated")
