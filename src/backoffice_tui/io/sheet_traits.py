"""Rows of an XLSX sheet that are not records: hidden rows, and rows that
hold nothing but formulas (a template's "ghost" rows, whose formulas give
blanks or zeros until someone types into the row).

openpyxl's streaming reader gives neither, so they are found by one quick
scan of the sheet's XML, as merged cells are (``merged_cells.py``).
"""

import re
from dataclasses import dataclass, field
from typing import IO

_TOKEN = re.compile(rb"<(/?)(?:\w+:)?(row|c|f|v|is)(?=[\s/>])([^>]*)>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_CHUNK = 1 << 20
_LONGEST_TAG = 4096  # kept back at a chunk's end, so that no tag is read cut in two


@dataclass
class SheetTraits:
    hidden: set[int] = field(default_factory=set)
    formula_only: set[int] = field(default_factory=set)


class _Scan:
    def __init__(self) -> None:
        self.traits = SheetTraits()
        self.row = 0
        self.row_formula = self.row_constant = False
        self.cell_formula = self.cell_value = False

    def token(self, closing: bytes, name: bytes, attributes: bytes) -> None:
        empty = attributes.endswith(b"/")
        if name == b"row" and not closing:
            number = _ROW_NUMBER.search(attributes)
            self.row = int(number.group(1)) if number else self.row + 1
            if _HIDDEN.search(attributes):
                self.traits.hidden.add(self.row)
            self.row_formula = self.row_constant = False
        elif name == b"row":
            if self.row_formula and not self.row_constant:
                self.traits.formula_only.add(self.row)
        elif name == b"c" and not closing and not empty:
            self.cell_formula = self.cell_value = False
        elif name == b"c":
            if self.cell_formula:
                self.row_formula = True
            elif self.cell_value:
                self.row_constant = True
        elif name == b"f" and not closing:
            self.cell_formula = True
        elif not closing and not empty:  # <v> or <is>
            self.cell_value = True


def scan_sheet_traits(source: IO[bytes]) -> SheetTraits:
    """The hidden and the formula-only rows of a sheet, from its XML."""
    scan = _Scan()
    pending = b""
    while True:
        chunk = source.read(_CHUNK)
        data = pending + chunk
        limit = len(data) if not chunk else max(len(data) - _LONGEST_TAG, 0)
        end = 0
        for match in _TOKEN.finditer(data, 0, limit):
            scan.token(*match.groups())
            end = match.end()
        if not chunk:
            break
        # a tag that starts this close to the limit may cross it: read it again whole
        pending = data[max(end, limit - _LONGEST_TAG) :]
    return scan.traits
