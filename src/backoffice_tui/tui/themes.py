"""Themes from ``themes/*.toml``, registered with the app at start-up."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.theme import Theme

from backoffice_tui.resources import themes_dir

DEFAULT_THEME = "dark"
_COLOUR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


@dataclass
class ThemeSet:
    themes: dict[str, Theme] = field(default_factory=dict)
    ascii_borders: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def theme_from_file(path: Path) -> tuple[Theme, bool]:
    """Read one theme; raises ValueError with a one-line reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"theme {path.name}: {error}") from None
    name = data.get("name")
    if not isinstance(name, str) or not name or "primary" not in data:
        raise ValueError(f"theme {path.name}: needs a name and a primary colour")
    colours: dict[str, Any] = {key: str(data[key]) for key in _COLOUR_KEYS if key in data}
    variables = {str(k): str(v) for k, v in data.get("variables", {}).items()}
    try:
        theme = Theme(
            name=name,
            dark=bool(data.get("dark", True)),
            ansi=bool(data.get("ansi")),
            variables=variables,
            **colours,
        )
        theme.to_color_system()  # parse every colour now, not when it is first shown
    except Exception as error:
        raise ValueError(f"theme {path.name}: {error}") from None
    return theme, bool(data.get("ascii_borders", False))


def load_themes(folder: Path | None = None) -> ThemeSet:
    """Every readable theme in the folder; broken ones are reported, not fatal."""
    found = ThemeSet()
    for path in sorted((folder or themes_dir()).glob("*.toml")):
        try:
            theme, ascii_borders = theme_from_file(path)
        except ValueError as error:
            found.problems.append(str(error))
            continue
        found.themes[theme.name] = theme
        if ascii_borders:
            found.ascii_borders.add(theme.name)
    return found
