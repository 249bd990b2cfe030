"""Which column of a file is which field: a mapping file, or the names
people usually write.

A mapping file is TOML::

    kind = "work-items"        # optional; must match --as
    header_row = 3             # optional; found automatically otherwise
    sheet = "2026年4月"         # optional (XLSX)
    encoding = "cp932"         # optional (CSV)

    [columns]                  # field = the header in the file ("" = do not import)
    status = "進捗"
    assignee = ["担当", "担当者"]

    [defaults]                 # values for new records when the cell is blank
    segment = "enterprise"

    [values.status]            # words in the file -> what they mean
    "済" = "done"

Fields the file does not name are still recognised by their usual names
(``vocabulary.HEADER_NAMES``).
"""

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.values import (
    CellError,
    as_code,
    as_date,
    as_int,
    as_text,
    match_key,
    split_list,
)
from backoffice_tui.io.vocabulary import BUILT_IN_WORDS, HEADER_NAMES, KNOWN_UNUSED
from backoffice_tui.services.imports import FIELDS, FieldSpec, RecordKind, ValueKind

PARSERS: dict[ValueKind, Callable[[object], Any]] = {
    ValueKind.TEXT: as_text,
    ValueKind.CODE: as_code,
    ValueKind.DATE: as_date,
    ValueKind.INT: as_int,
    ValueKind.LIST: split_list,
}
_TOP_KEYS = {"kind", "header_row", "sheet", "encoding", "columns", "defaults", "values"}


@dataclass(frozen=True)
class ColumnMapping:
    kind: RecordKind
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> names
    defaults: dict[str, Any] = field(default_factory=dict)
    words: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> word -> value
    header_row: int | None = None
    sheet: str | None = None
    encoding: str | None = None
    path: Path | None = None

    def specs(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in FIELDS[self.kind]}

    def recogniser(self) -> Callable[[str], str | None]:
        """Header text -> field: the file's own names first, then the usual ones."""
        known: dict[str, str | None] = {}
        for name in KNOWN_UNUSED[self.kind]:
            known[match_key(name)] = None
        for field_name, names in HEADER_NAMES[self.kind].items():
            if field_name in self.columns:
                continue
            for name in names:
                known.setdefault(match_key(name), field_name)
        for field_name, names in self.columns.items():
            for name in names:
                if name:
                    known[match_key(name)] = field_name

        def recognise(text: str) -> str | None:
            return known.get(match_key(text))

        return recognise

    def value_words(self, field_name: str) -> dict[str, Any] | None:
        """Cell words -> values for one field (built in, then the file's)."""
        words = {match_key(k): v for k, v in BUILT_IN_WORDS.get(field_name, {}).items()}
        words.update({match_key(k): v for k, v in self.words.get(field_name, {}).items()})
        return words or None


def automatic_mapping(kind: RecordKind) -> ColumnMapping:
    return ColumnMapping(kind)


def _fail(path: Path, message: str) -> InvalidInput:
    return InvalidInput(f"mapping {path.name}: {message}")


def _names(path: Path, field_name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(path, f"[columns] {field_name} must be a header name or a list of them")


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
    defaults = _section(path, data, "defaults")
    words = _section(path, data, "values")
    for where, names in (("[columns]", columns), ("[defaults]", defaults), ("[values]", words)):
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
    return ColumnMapping(
        kind=kind,
        columns={name: _names(path, name, value) for name, value in columns.items()},
        defaults=parsed_defaults,
        words={name: dict(table) for name, table in words.items()},
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
