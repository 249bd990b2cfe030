"""Every setting config.toml may hold, declared once.

The table below is the single source for the known keys and their types, the
built-in defaults, the checks on values, the commented file written by
``backoffice config init`` and the settings table in the README. The
``Settings`` dataclass mirrors it field for field (a test keeps them equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backoffice_tui.config.paths import default_database_url

DATABASE_URL = "database.url"
ORDER_CODE_PATTERN = "orders.code_pattern"


@dataclass(frozen=True)
class SettingSpec:
    """One setting: where it lives, what it holds and what it is for."""

    key: str  # "section.name" in config.toml
    type: type  # str, bool, int (a count) or float (a number of seconds)
    default: object  # None: the default depends on the platform (see platform_default)
    field: str  # the attribute of ``Settings`` that holds it
    description: str  # one line: the README's "meaning" and the first comment line
    notes: tuple[str, ...] = ()  # further comment lines in the written file
    above_zero: bool = False  # a number that must be greater than 0, not just 0 or more
    at_most: float | None = None  # the largest number that makes sense
    choices: tuple[str, ...] = ()  # the only texts it may hold, if any
    platform_default: Callable[[], object] | None = None
    default_text: str = ""  # how the README names a platform default

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]

    def default_value(self) -> object:
        """The built-in default, worked out for this platform if need be."""
        if self.default is None and self.platform_default is not None:
            return self.platform_default()
        return self.default


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        key=DATABASE_URL,
        type=str,
        default=None,
        field="database_url",
        description=(
            "The shared database to open: sqlite:///PATH or postgresql://USER@HOST[:PORT]/DB."
        ),
        notes=(
            "Overridden by BACKOFFICE_DATABASE_URL and by --database.",
            "Never put a password here (the program refuses to start if you do): store it",
            "with `backoffice login` (keyring), or use BACKOFFICE_DB_PASSWORD or ~/.pgpass.",
        ),
        platform_default=default_database_url,
        default_text="SQLite file in the user data directory",
    ),
    SettingSpec(
        key="ui.theme",
        type=str,
        default="dark",
        field="theme",
        description="Colour theme: dark, light or high-contrast.",
        choices=("dark", "light", "high-contrast"),
    ),
    SettingSpec(
        key="ui.ascii_borders",
        type=bool,
        default=False,
        field="ascii_borders",
        description=(
            "Plain ASCII borders, for terminals that lack box-drawing glyphs or draw them "
            "two cells wide."
        ),
    ),
    SettingSpec(
        key="ui.mouse",
        type=bool,
        default=False,
        field="mouse",
        description="Let the mouse click and scroll (off keeps the terminal's own text selection).",
    ),
    SettingSpec(
        key="ui.bell",
        type=bool,
        default=False,
        field="bell",
        description="Ring the terminal bell when a new notification lands on you.",
    ),
    SettingSpec(
        key="sync.poll_interval",
        type=float,
        default=1.0,
        field="poll_interval",
        description=(
            "Seconds between checks for changes other people made (more than 0, at most 60)."
        ),
        above_zero=True,
        at_most=60.0,
    ),
    SettingSpec(
        key="approvals.undo_seconds",
        type=float,
        default=5.0,
        field="undo_seconds",
        description=(
            "Seconds during which an approval or rejection can still be undone "
            "(0 = no undo; at most 60)."
        ),
        at_most=60.0,
    ),
    SettingSpec(
        key=ORDER_CODE_PATTERN,
        type=str,
        default="ORD-{yyyy}-{n:04}",
        field="order_code_pattern",
        description=(
            "The code proposed for a new order: text with {customer}, {yyyy}, {yy}, {mm}, "
            "{dd} and, last, the next free number {n} (width: {n:04})."
        ),
        notes=('For example "{customer}-{yyyy}{mm}-{n:03}" gives C0001-202611-001.',),
    ),
    SettingSpec(
        key="connection.timeout",
        type=float,
        default=5.0,
        field="connect_timeout",
        description=(
            "Seconds a PostgreSQL connection may take to open before it is tried again "
            "(more than 0, at most 120)."
        ),
        above_zero=True,
        at_most=120.0,
    ),
    SettingSpec(
        key="connection.pool_size",
        type=int,
        default=1,
        field="pool_size",
        description=(
            "PostgreSQL connections one command or console keeps open (1 to 20; a console "
            "holds one more to hear changes)."
        ),
        above_zero=True,
        at_most=20,
    ),
)

SPECS: dict[str, SettingSpec] = {spec.key: spec for spec in SETTINGS}

#: Every setting the config file may hold, as "section.key" -> Python type.
KNOWN_SETTINGS: dict[str, type] = {spec.key: spec.type for spec in SETTINGS}

#: The [sections] of the file, in the order they are written.
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(spec.section for spec in SETTINGS))
