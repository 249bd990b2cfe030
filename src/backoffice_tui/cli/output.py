"""Printing results: JSON for scripts, plain aligned tables for people.

Database text is printed as plain text (never as Rich markup) after
control characters are made visible. Rich, which lays out the tables,
loads only when a table or a fact is printed: ``--json`` goes without it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import click

from backoffice_tui.domain.text import visible_text

if TYPE_CHECKING:
    from rich.text import Text


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def print_json(data: Any) -> None:
    click.echo(json.dumps(_jsonable(data), ensure_ascii=False, indent=2))


def _cell(value: Any) -> Text:
    from rich.text import Text

    if value is None:
        return Text("-")
    if isinstance(value, datetime):
        return Text(value.astimezone().strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, date):
        return Text(value.isoformat())
    return Text(visible_text(value), no_wrap=True, overflow="ellipsis")


_GAP = 2  # between two columns
_NARROWEST = 6  # a shrunk column keeps this much (or its header's width, if less)


def fit_columns(natural: Sequence[int], headers: Sequence[str], width: int) -> list[int]:
    """The width of each column on a screen ``width`` cells wide (0: left
    out). The first column (the id or code that every follow-up command
    takes) always shows whole; the others shrink, the widest first, down to
    a few cells, and then the last ones drop."""
    widths = list(natural)
    least = [widths[0]] + [
        min(w, max(len(h), _NARROWEST)) for w, h in zip(widths[1:], headers[1:], strict=True)
    ]

    def total() -> int:
        shown = [w for w in widths if w]
        return sum(shown) + _GAP * (len(shown) - 1)

    while total() > width:
        room = [i for i in range(1, len(widths)) if widths[i] > least[i]]
        if room:  # one cell off the widest that can give one
            widths[max(room, key=lambda i: (widths[i], i))] -= 1
            continue
        shown = [i for i in range(1, len(widths)) if widths[i]]
        if not shown:
            break
        widths[shown[-1]] = 0
    return widths


def table_lines(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], width: int | None
) -> list[str]:
    """The table as lines of plain text, at most ``width`` cells wide (None:
    as wide as the values; one line per row, for pipes and files)."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    cells = [[_cell(v) for v in row] for row in rows]
    natural = [
        max([cell_len(header), *(row[i].cell_len for row in cells)])
        for i, header in enumerate(headers)
    ]
    widths = natural if width is None else fit_columns(natural, headers, width)
    shown = [i for i, w in enumerate(widths) if w]
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for i in shown:
        table.add_column(headers[i], no_wrap=True, overflow="ellipsis", width=widths[i])
    for row in cells:
        table.add_row(*(row[i] for i in shown))
    console = Console(
        markup=False,
        highlight=False,
        emoji=False,
        color_system=None,
        force_terminal=False,
        width=sum(natural) + _GAP * len(natural),
    )
    with console.capture() as captured:
        console.print(table)
    lines = [line.rstrip() for line in captured.get().splitlines()]
    if len(shown) < len(headers):
        left_out = ", ".join(headers[i] for i, w in enumerate(widths) if not w)
        lines.append(f"(not shown for want of width: {left_out}; --json has every field)")
    return lines


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows under their headers: cut to the terminal's width, the first
    column always whole; piped into a file or another program, never cut."""
    from rich.console import Console
    from rich.text import Text

    console = Console()
    width = console.width if console.is_terminal else None
    lines = table_lines(headers, rows, width)
    if console.is_terminal and lines:
        # the header in bold, as before: the rest is plain text
        console.print(Text(lines[0], style="bold"), soft_wrap=True)
        lines = lines[1:]
    for line in lines:
        click.echo(line)


def print_facts(pairs: Iterable[tuple[str, Any]]) -> None:
    for label, value in pairs:
        click.echo(f"{label}: {_cell(value).plain}")


def say(message: str) -> None:
    click.echo(visible_text(message))
