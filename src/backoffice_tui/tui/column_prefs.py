"""The columns each operator chose for each list: which are shown, in what
order and how wide. One small JSON file in the user state directory, next
to the drafts, kept per login; nothing in the database."""

import json
import logging
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backoffice_tui.tui.widgets.virtual_table import Column

log = logging.getLogger(__name__)

MAX_WIDTH = 60


@dataclass(frozen=True)
class ColumnChoice:
    key: str
    shown: bool
    width: int  # minimum cells


def default_choices(columns: tuple[Column, ...]) -> list[ColumnChoice]:
    return [ColumnChoice(c.key, not c.hidden, c.width) for c in columns]


def arranged(columns: tuple[Column, ...], choices: list[ColumnChoice] | None) -> list[ColumnChoice]:
    """The choices for these columns: those saved that still exist, in their
    order, then any column added since (as it comes)."""
    by_key = {c.key: c for c in columns}
    saved = [c for c in choices or [] if c.key in by_key]
    known = {c.key for c in saved}
    return saved + [c for c in default_choices(columns) if c.key not in known]


def apply_choices(
    columns: tuple[Column, ...], choices: list[ColumnChoice] | None
) -> tuple[Column, ...]:
    """The columns to show: in the chosen order and widths. A column the
    operator chose shows at any width of the screen (the rightmost give way
    when the screen is too narrow); one that must stay always does."""
    if choices is None:
        return tuple(c for c in columns if not c.hidden)
    by_key = {c.key: c for c in columns}
    shown = []
    for choice in arranged(columns, choices):
        column = by_key[choice.key]
        if choice.shown or column.keep:
            width = max(len(column.title), min(choice.width, MAX_WIDTH))
            shown.append(replace(column, width=width, min_screen=0, hidden=False))
    return tuple(shown)


class ColumnPrefs:
    """``{login: {list: [{key, shown, width}, ...]}}`` in one JSON file."""

    def __init__(self, folder: Path, login: str) -> None:
        self.path = folder / "columns.json"
        self.login = login

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("column choices unreadable, using the defaults: %s", error)
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, name: str) -> list[ColumnChoice] | None:
        mine = self._read().get(self.login)
        listed = mine.get(name) if isinstance(mine, dict) else None
        if not isinstance(listed, list):
            return None
        choices = []
        for entry in listed:
            try:
                choices.append(
                    ColumnChoice(str(entry["key"]), bool(entry["shown"]), int(entry["width"]))
                )
            except (KeyError, TypeError, ValueError):
                continue  # a hand-edited entry that makes no sense
        return choices

    def put(self, name: str, choices: list[ColumnChoice] | None) -> None:
        """Keep the choices of the list ``name``; None goes back to the defaults."""
        data = self._read()
        mine = data.get(self.login)
        mine = mine if isinstance(mine, dict) else {}
        if choices is None:
            mine.pop(name, None)
        else:
            mine[name] = [{"key": c.key, "shown": c.shown, "width": c.width} for c in choices]
        data[self.login] = mine
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".columns-")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, ensure_ascii=False, indent=1)
            os.replace(temporary, self.path)
        except OSError as error:  # a read-only home: the choice holds until the console closes
            log.warning("cannot keep column choices in %s: %s", self.path, error)
