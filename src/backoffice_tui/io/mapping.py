"""Which column of a file is which field, and how its cells read: a mapping
file, or the names people usually write.

A mapping file is TOML::

    kind = "work-items"        # optional; must match --as
    header_row = 3             # optional; found automatically otherwise
    sheet = "2026年4月"         # optional (XLSX)
    encoding = "cp932"         # optional (CSV)
    guess = false              # read only the columns named below (the default
                               # once [columns] names one; true: usual names too)
    dates = "day-first"        # 3/4/2026 is 3 April; or "month-first", or a
                               # form such as "%m/%d/%Y %I:%M %p"; or a table
                               # per field: dates = { all = "day-first", due = "%Y%m%d" }
    empty = ["?", "N/A", "#VALUE!"]   # words that mean a blank cell (or a table per field)
    repeated = "last"          # a key on several rows: "last" or "first" row wins,
                               # or "error" (the default)
    fill_down = ["区分"]        # blank cells of these columns take the value above
    create_customers = true    # orders, events: an unknown customer code becomes a new
                               # customer (named by the customer_name column, else by its code)
    create_steps = true        # work items: the rows of an order the database lacks
                               # become its steps (a task list: WBS, 工程表)
    create_users = true        # a name the database does not know becomes an inactive
                               # placeholder user (kept on the record; cannot log in)
    attributes = true          # columns no field maps are kept on each record as
                               # attributes (the default); false: they are not read
    drop = ["メモ", { letters = "P:ZZ" }]   # columns not kept as attributes

    [users]                    # names in the file -> logins
    "Caller 2403" = "sato"

    [columns]                  # field = the header in the file ("" = do not import)
    status = "進捗"
    assignee = ["担当", "担当者"]    # the first of these the file has
    due = "実績/終了日"              # under a merged two-row header
    reason = { letter = "H" }      # by the column's letter

    [combine]                  # a field made of several columns (a key per section)
    step = { columns = ["区分", "NO"], separator = "-", prefix = "" }

    [skip]                     # rows that are not records (each counted in the report)
    hidden = true              # rows hidden in the workbook
    blank_key = true           # rows whose key cells are blank (section headings)
    formula_only = true        # rows holding nothing but formulas
    where = [{ column = "種別", equals = ["小計", "合計"] }, { column = "NO", matches = "^#" }]

    [defaults]                 # values for new records when the cell is blank
    segment = "enterprise"

    [values.status]            # words in the file -> what they mean
    "済" = "done"

Columns in ``combine``, ``fill_down``, ``drop`` and ``skip.where`` are named
like those in ``[columns]``: a header, a ``group/name`` path, or
``{ letter = "F" }``; ``drop`` also takes a range, ``{ letters = "P:ZZ" }``.
"""

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.values import (
    CellError,
    as_code,
    as_date,
    as_int,
    as_moment,
    as_text,
    date_parser,
    match_key,
    moment_parser,
    split_list,
)
from backoffice_tui.io.vocabulary import BUILT_IN_WORDS, HEADER_NAMES, KNOWN_UNUSED
from backoffice_tui.services.imports import FIELDS, FieldSpec, RecordKind, ValueKind

PARSERS: dict[ValueKind, Callable[[object], Any]] = {
    ValueKind.TEXT: as_text,
    ValueKind.CODE: as_code,
    ValueKind.DATE: as_date,
    ValueKind.MOMENT: as_moment,
    ValueKind.INT: as_int,
    ValueKind.LIST: split_list,
}
_TOP_KEYS = {
    "kind",
    "header_row",
    "sheet",
    "encoding",
    "guess",
    "dates",
    "empty",
    "repeated",
    "fill_down",
    "create_customers",
    "create_users",
    "create_steps",
    "attributes",
    "drop",
    "users",
    "columns",
    "combine",
    "skip",
    "defaults",
    "values",
}
REPEATED = ("error", "last", "first")
_SKIP_KEYS = {"hidden", "blank_key", "formula_only", "where"}
_LETTERS = re.compile(r"[A-Za-z]{1,3}")


@dataclass(frozen=True)
class Letter:
    """A column named by its letter (``{ letter = "F" }``)."""

    letter: str

    @property
    def index(self) -> int:
        number = 0
        for char in self.letter.upper():
            number = number * 26 + ord(char) - 64
        return number - 1


ColumnRef = str | Letter  # a header, a ``group/name`` path, or a letter


@dataclass(frozen=True)
class Letters:
    """A range of columns by letter (``{ letters = "P:ZZ" }``), both ends in."""

    first: Letter
    last: Letter

    def __contains__(self, index: int) -> bool:
        return self.first.index <= index <= self.last.index


def name_key(name: str) -> str:
    """A header name or ``group/name`` path as header texts are compared (a
    two-row header reads as its two names together)."""
    return match_key(name.replace("/", " "))


@dataclass(frozen=True)
class Combination:
    columns: tuple[ColumnRef, ...]
    separator: str = "-"
    prefix: str = ""


@dataclass(frozen=True)
class Condition:
    """Skip a row when its ``column`` equals one of ``equals``, matches
    ``matches``, or (``blank``) is blank."""

    column: ColumnRef
    equals: tuple[str, ...] = ()
    matches: re.Pattern[str] | None = None
    blank: bool = False


@dataclass(frozen=True)
class SkipRules:
    hidden: bool = False
    blank_key: bool = False
    formula_only: bool = False
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class ColumnMapping:
    kind: RecordKind
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> names
    letters: dict[str, Letter] = field(default_factory=dict)  # field -> its column's letter
    combine: dict[str, Combination] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    words: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> word -> value
    guess: bool = True  # recognise the fields it does not name by their usual names
    dates: dict[str, str] = field(default_factory=dict)  # field or "all" -> date form
    empty: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field or "all" -> words
    repeated: str = "error"
    fill_down: tuple[ColumnRef, ...] = ()
    create_customers: bool = False  # orders: an unknown customer code becomes a customer
    create_users: bool = False  # an unknown name becomes an inactive placeholder user
    create_steps: bool = False  # work items: rows of an unknown order become its steps
    users: dict[str, str] = field(default_factory=dict)  # name in the file -> login
    attributes: bool = True  # keep the columns no field maps as attributes
    drop: tuple[ColumnRef | Letters, ...] = ()  # columns not kept as attributes
    skip: SkipRules = SkipRules()
    header_row: int | None = None
    sheet: str | None = None
    encoding: str | None = None
    path: Path | None = None

    def specs(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in FIELDS[self.kind]}

    @property
    def label(self) -> str:
        """How errors about this mapping name it."""
        return f"mapping {self.path.name}" if self.path else "mapping"

    @property
    def fixed_columns(self) -> dict[str, int]:
        """Field -> column index, for the fields named by letter."""
        return {name: letter.index for name, letter in self.letters.items()}

    def recogniser(self) -> Callable[[str], str | None]:
        """Header text -> field: the file's own names first, then (``guess``)
        the usual ones."""
        known: dict[str, str | None] = {}
        for name in KNOWN_UNUSED[self.kind]:
            known[match_key(name)] = None
        named = set(self.columns) | set(self.letters) | set(self.combine)
        if self.guess:
            for field_name, names in HEADER_NAMES[self.kind].items():
                if field_name in named:
                    continue
                for name in names:
                    known.setdefault(match_key(name), field_name)
        for field_name, names in self.columns.items():
            for name in names:
                if name:
                    known[name_key(name)] = field_name

        def recognise(text: str) -> str | None:
            return known.get(match_key(text))

        return recognise

    def value_words(self, field_name: str) -> dict[str, Any] | None:
        """Cell words -> values for one field (built in, then the file's)."""
        words = {match_key(k): v for k, v in BUILT_IN_WORDS.get(field_name, {}).items()}
        words.update({match_key(k): v for k, v in self.words.get(field_name, {}).items()})
        return words or None

    def empty_words(self, field_name: str) -> frozenset[str]:
        """Words that mean a blank cell in this field (the file's, and its fields')."""
        words = self.empty.get("all", ()) + self.empty.get(field_name, ())
        return frozenset(match_key(w) for w in words)

    def parser(self, field_name: str) -> Callable[[object], Any]:
        spec = self.specs()[field_name]
        form = self.dates.get(field_name, self.dates.get("all"))
        if form is not None and spec.value == ValueKind.DATE:
            parse: Callable[[object], date] = date_parser(form)
            return parse
        if form is not None and spec.value == ValueKind.MOMENT:
            return moment_parser(form)
        return PARSERS[spec.value]


def automatic_mapping(kind: RecordKind) -> ColumnMapping:
    return ColumnMapping(kind)


def _fail(path: Path, message: str) -> InvalidInput:
    return InvalidInput(f"mapping {path.name}: {message}")


def _names(path: Path, field_name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(
        path,
        f'[columns] {field_name} must be a header name, a list of them or {{ letter = "F" }}',
    )


def _column_ref(path: Path, where: str, value: object) -> ColumnRef:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, dict) and set(value) == {"letter"}:
        letter = value["letter"]
        if isinstance(letter, str) and _LETTERS.fullmatch(letter):
            return Letter(letter.upper())
    raise _fail(path, f'{where} must name a column: its header, or {{ letter = "F" }}')


def _text_list(path: Path, where: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(path, f"{where} must be a word or a list of words")


def _per_field(
    path: Path, kind: RecordKind, name: str, value: object, read: Callable[[str, object], Any]
) -> dict[str, Any]:
    """``name = X`` for every column, or ``name = { all = X, field = Y }``."""
    if not isinstance(value, dict):
        return {"all": read(name, value)}
    _check_fields(path, kind, set(value) - {"all"}, name)
    return {key: read(f"{name}.{key}", item) for key, item in value.items()}


def _date_form(path: Path, where: str, value: object) -> str:
    if not isinstance(value, str):
        raise _fail(path, f'{where} must be text such as "day-first" or "%d/%m/%Y"')
    try:
        date_parser(value)
    except ValueError as error:
        raise _fail(path, f"{where}: {error}") from None
    return value


def _dropped(path: Path, value: object) -> ColumnRef | Letters:
    if isinstance(value, dict) and set(value) == {"letters"}:
        text = value["letters"]
        ends = text.split(":") if isinstance(text, str) else []
        if len(ends) == 2 and all(_LETTERS.fullmatch(end) for end in ends):
            first, last = Letter(ends[0].upper()), Letter(ends[1].upper())
            if first.index <= last.index:
                return Letters(first, last)
        raise _fail(path, 'drop: a range of columns is { letters = "P:ZZ" }')
    return _column_ref(path, "drop", value)


def _user_names(path: Path, data: Mapping[str, Any]) -> dict[str, str]:
    users = _section(path, data, "users")
    for name, login in users.items():
        if not isinstance(login, str) or not login.strip():
            raise _fail(path, f"[users] {name!r} must be a login")
    return {name: login.strip() for name, login in users.items()}


def _combination(path: Path, field_name: str, value: object) -> Combination:
    where = f"[combine] {field_name}"
    if not isinstance(value, dict) or not set(value) <= {"columns", "separator", "prefix"}:
        raise _fail(path, f'{where} must be {{ columns = [...], separator = "-", prefix = "" }}')
    columns = value.get("columns")
    if not isinstance(columns, list) or not columns:
        raise _fail(path, f"{where}: columns must list the columns to join")
    separator, prefix = value.get("separator", "-"), value.get("prefix", "")
    if not isinstance(separator, str) or not isinstance(prefix, str):
        raise _fail(path, f"{where}: separator and prefix must be text")
    refs = tuple(_column_ref(path, f"{where} columns", c) for c in columns)
    return Combination(refs, separator, prefix)


def _condition(path: Path, value: object) -> Condition:
    where = "[skip] where"
    if not isinstance(value, dict) or "column" not in value:
        raise _fail(path, f"{where}: each condition is {{ column = ..., equals = [...] }}")
    unknown = sorted(set(value) - {"column", "equals", "matches", "blank"})
    if unknown or len(value) != 2:
        raise _fail(path, f"{where}: a condition has a column and one of equals, matches, blank")
    column = _column_ref(path, where, value["column"])
    if "equals" in value:
        return Condition(column, equals=_text_list(path, f"{where} equals", value["equals"]))
    if "matches" in value:
        pattern = value["matches"]
        try:
            compiled = re.compile(pattern) if isinstance(pattern, str) else None
        except re.error as error:
            raise _fail(path, f"{where} matches {pattern!r}: {error}") from None
        if compiled is None:
            raise _fail(path, f"{where} matches must be a regular expression")
        return Condition(column, matches=compiled)
    if value["blank"] is not True:
        raise _fail(path, f"{where} blank must be true")
    return Condition(column, blank=True)


def _flag(path: Path, table: Mapping[str, Any], name: str, default: bool, where: str = "") -> bool:
    flag = table.get(name, default)
    if not isinstance(flag, bool):
        raise _fail(path, f"{where}{name} must be true or false")
    return flag


def _skip_rules(path: Path, data: Mapping[str, Any]) -> SkipRules:
    skip = _section(path, data, "skip")
    unknown = sorted(set(skip) - _SKIP_KEYS)
    if unknown:
        raise _fail(path, f"[skip] has no setting {', '.join(unknown)}")
    flags = {
        name: _flag(path, skip, name, False, "[skip] ")
        for name in ("hidden", "blank_key", "formula_only")
    }
    where = skip.get("where", [])
    if isinstance(where, dict):
        where = [where]
    if not isinstance(where, list):
        raise _fail(path, "[skip] where must be a list of conditions")
    return SkipRules(**flags, where=tuple(_condition(path, c) for c in where))


def _section(path: Path, data: Mapping[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise _fail(path, f"[{name}] must be a table")
    return section


def _check_fields(path: Path, kind: RecordKind, names: object, where: str) -> None:
    known = {spec.name for spec in FIELDS[kind]}
    unknown = sorted(set(names) - known)  # type: ignore[call-overload]
    if unknown:
        raise _fail(
            path,
            f"{where} names no field {', '.join(unknown)} of {kind.value}; "
            f"the fields are {', '.join(sorted(known))}",
        )


def load_mapping(path: Path, kind: RecordKind) -> ColumnMapping:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InvalidInput(f"no mapping file {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read mapping {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise _fail(path, f"not valid TOML: {error}") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _fail(path, f"unknown setting {', '.join(unknown)}")
    if data.get("kind", kind.value) != kind.value:
        raise _fail(path, f"it maps {data['kind']}, not {kind.value}")
    columns = _section(path, data, "columns")
    combine = _section(path, data, "combine")
    defaults = _section(path, data, "defaults")
    words = _section(path, data, "values")
    for where, names in (
        ("[columns]", columns),
        ("[combine]", combine),
        ("[defaults]", defaults),
        ("[values]", words),
    ):
        _check_fields(path, kind, names, where)
    header_row = data.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise _fail(path, "header_row must be a row number (1 or more)")
    for name, table in words.items():
        if not isinstance(table, dict):
            raise _fail(path, f"[values.{name}] must be a table of word = value")
    specs = {spec.name: spec for spec in FIELDS[kind]}
    parsed_defaults = {}
    for name, value in defaults.items():
        try:
            parsed_defaults[name] = PARSERS[specs[name].value](value)
        except CellError as error:
            raise _fail(path, f"[defaults] {name} = {value!r}: {error}") from None
    named = {n: v for n, v in columns.items() if not isinstance(v, dict)}
    letters = {}
    for name, value in columns.items():
        if isinstance(value, dict):
            ref = _column_ref(path, f"[columns] {name}", value)
            assert isinstance(ref, Letter)
            letters[name] = ref
    guess = _flag(path, data, "guess", not (columns or combine))
    repeated = data.get("repeated", "error")
    if repeated not in REPEATED:
        raise _fail(path, f"repeated must be {', '.join(repr(r) for r in REPEATED)}")
    if repeated != "error" and kind == RecordKind.EVENTS:
        raise _fail(path, "repeated does not apply to events: every row of a log is an event")
    create_customers = _flag(path, data, "create_customers", False)
    create_steps = _flag(path, data, "create_steps", False)
    if create_steps and kind != RecordKind.WORK_ITEMS:
        raise _fail(path, "create_steps applies to work-items")
    if create_customers and kind == RecordKind.CUSTOMERS:
        raise _fail(path, "create_customers applies to orders, events and work-items")
    fill_down = data.get("fill_down", [])
    if not isinstance(fill_down, list):
        fill_down = [fill_down]
    drop = data.get("drop", [])
    if not isinstance(drop, list):
        drop = [drop]
    return ColumnMapping(
        kind=kind,
        columns={name: _names(path, name, value) for name, value in named.items()},
        letters=letters,
        combine={name: _combination(path, name, value) for name, value in combine.items()},
        defaults=parsed_defaults,
        words={name: dict(table) for name, table in words.items()},
        guess=guess,
        dates=(
            _per_field(path, kind, "dates", data["dates"], lambda w, v: _date_form(path, w, v))
            if "dates" in data
            else {}
        ),
        empty=(
            _per_field(path, kind, "empty", data["empty"], lambda w, v: _text_list(path, w, v))
            if "empty" in data
            else {}
        ),
        repeated=repeated,
        fill_down=tuple(_column_ref(path, "fill_down", c) for c in fill_down),
        create_customers=create_customers,
        create_users=_flag(path, data, "create_users", False),
        create_steps=create_steps,
        users=_user_names(path, data),
        attributes=_flag(path, data, "attributes", True),
        drop=tuple(_dropped(path, d) for d in drop),
        skip=_skip_rules(path, data),
        header_row=header_row,
        sheet=_optional_text(path, data, "sheet"),
        encoding=_optional_text(path, data, "encoding"),
        path=path,
    )


def _optional_text(path: Path, data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(path, f"{key} must be text")
    return value
