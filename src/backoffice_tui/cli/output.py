"""Printing results: JSON for scripts, plain aligned tables for people.

Database text is printed as plain text (never as Rich markup) after
control characters are made visible.
"""

import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from backoffice_tui.domain.text import visible_text


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
    if value is None:
        return Text("-")
    if isinstance(value, datetime):
        return Text(value.astimezone().strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, date):
        return Text(value.isoformat())
    return Text(visible_text(value), no_wrap=True, overflow="ellipsis")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, no_wrap=True, overflow="ellipsis", min_width=len(header))
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    console = Console(markup=False, highlight=False, emoji=False)
    if not console.is_terminal:
        # piped into a file or another program: never cut values
        console = Console(markup=False, highlight=False, emoji=False, width=100_000)
    console.print(table)


def print_facts(pairs: Iterable[tuple[str, Any]]) -> None:
    for label, value in pairs:
        click.echo(f"{label}: {_cell(value).plain}")


def say(message: str) -> None:
    click.echo(visible_text(message))
