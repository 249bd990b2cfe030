"""ASCII mode's last word: no ambiguous-width or wide glyph reaches the terminal.

Terminals that draw East Asian ambiguous-width characters two cells wide
shift every line that holds one. The ASCII mode already picks ASCII borders
and key names; this filter catches what is drawn anyway — Textual's own
ellipsis for cut text, the palette's search icon, arrows in summaries the
database holds, block and box glyphs of widgets — and puts ASCII of the
same width in its place, so the layout Textual computed stays true.
"""

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

_SAME_WIDTH: dict[str, str] = {
    "…": "~",
    "→": ">",
    "←": "<",
    "↑": "^",
    "↓": "v",
    "⇒": ">",
    "⏎": "<",
    "⌫": "<",
    "✓": "v",
    "✔": "v",
    "✗": "x",
    "✘": "x",
    "×": "x",
    "•": "*",
    "·": ".",
    "▶": ">",
    "▸": ">",
    "◀": "<",
    "▼": "v",
    "▲": "^",
    "●": "*",
    "○": "o",
    "◉": "*",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "–": "-",
    "—": "-",
    "🔎": "/ ",
    "🔍": "/ ",
}


def _box(name: int) -> str:
    """A box-drawing glyph (U+2500..257F) as -, | or +."""
    horizontal = {0x2500, 0x2501, 0x2504, 0x2505, 0x2508, 0x2509, 0x254C, 0x254D, 0x2550}
    horizontal |= {0x2574, 0x2576, 0x2578, 0x257A, 0x257C, 0x257E}
    vertical = {0x2502, 0x2503, 0x2506, 0x2507, 0x250A, 0x250B, 0x254E, 0x254F, 0x2551}
    vertical |= {0x2575, 0x2577, 0x2579, 0x257B, 0x257D, 0x257F}
    if name in horizontal:
        return "-"
    if name in vertical:
        return "|"
    return "+"


def _table() -> dict[int, str]:
    table = {ord(glyph): ascii for glyph, ascii in _SAME_WIDTH.items()}
    table.update((name, _box(name)) for name in range(0x2500, 0x2580))
    # blocks (U+2580..259F): low bars of sparklines as _ and =, the rest as #
    table.update((name, "#") for name in range(0x2580, 0x25A0))
    table.update((name, "_" if name < 0x2584 else "=") for name in range(0x2581, 0x2588))
    table[0x2591] = " "  # light shade: the empty part of a bar
    return table


ASCII_TABLE: dict[int, str] = _table()


class AsciiGlyphs(LineFilter):
    """Put ASCII of the same width in place of the glyphs above."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        table = ASCII_TABLE
        lines: list[Segment] = []
        for segment in segments:
            text = segment.text
            if segment.control or text.isascii():
                lines.append(segment)
            else:
                lines.append(Segment(text.translate(table), segment.style))
        return lines
