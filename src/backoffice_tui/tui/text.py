"""Showing database text on the terminal: always plain, never markup."""

from rich.cells import cell_len, set_cell_size
from textual.content import Content

from backoffice_tui.domain.text import visible_text


def plain(value: object) -> Content:
    """Database text as Content: markup characters shown as typed, control
    characters made visible."""
    return Content(visible_text(value))


def fit(value: object, width: int, ellipsis: str = "…") -> str:
    """Cut or pad ``value`` to exactly ``width`` cells (wide characters count
    two), marking a cut with ``ellipsis``."""
    text = visible_text(value)
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - cell_len(ellipsis)) + ellipsis
    return set_cell_size(text, width)


def plain_lines(lines: list[str]) -> Content:
    """Several lines of database text, each made safe, as one Content."""
    return Content("\n".join(visible_text(line) for line in lines))
