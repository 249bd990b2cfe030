"""Mapping files as text: the commented template, and the mapping an import
chose by itself, printed so that it can be saved and edited."""

from typing import Any

import tomlkit
from tomlkit.items import Table

from backoffice_tui.io.headers import Header
from backoffice_tui.io.mapping import ColumnMapping
from backoffice_tui.io.vocabulary import HEADER_NAMES
from backoffice_tui.services.imports import FIELDS, RecordKind

_LISTED = 8  # column names listed in a comment

_EXAMPLE_WORDS: dict[RecordKind, tuple[str, dict[str, Any]]] = {
    RecordKind.CUSTOMERS: ("segment", {"大企業": "enterprise", "中小": "small-business"}),
    RecordKind.ORDERS: ("services", {"クラウド": "cloud", "回線": "network-line"}),
    RecordKind.WORK_ITEMS: ("status", {"完成": "done", "確認待ち": "blocked"}),
    RecordKind.EVENTS: ("status", {"1 - New": "new", "6 - Resolved": "resolved"}),
}
_EXAMPLE_DEFAULTS: dict[RecordKind, tuple[str, str]] = {
    RecordKind.CUSTOMERS: ("segment", '"enterprise"'),
    RecordKind.ORDERS: ("priority", "3"),
    RecordKind.WORK_ITEMS: ("reason", '"set from the spreadsheet"'),
    RecordKind.EVENTS: ("customer", '"C0001"'),
}


def _toml_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def template_text(kind: RecordKind) -> str:
    """A commented starting mapping for ``kind``."""
    doc = tomlkit.document()
    for line in (
        f"Mapping for: backoffice import FILE --as {kind.value} --mapping THIS",
        "Only the columns named in [columns] are read (guess = true: the others too, by",
        "their usual names).",
    ):
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    doc["kind"] = kind.value
    for line in (
        "header_row = 1      # the row of the column names (found if left out)",
        'sheet = "Sheet1"    # XLSX: the sheet to read (default: the active one)',
        'encoding = "cp932"  # CSV: utf-8, utf-8-sig or cp932 (found if left out)',
        "guess = false       # true: also read unnamed columns by their usual names",
        'dates = "day-first" # 3/4/2026 is 3 April; "month-first"; a form "%m/%d/%Y %I:%M %p";',
        '                    # per field: dates = { all = "day-first", FIELD = "%Y%m%d" }',
        'empty = ["?", "N/A"] # words meaning a blank cell; per field: { FIELD = ["未定"] }',
        'repeated = "last"   # a key on several rows: "last" or "first" counts ("error": refuse)',
        'fill_down = ["区分"] # blank cells take the value above',
        "create_customers = true  # orders, events: an unknown customer code becomes a customer",
        "create_users = true # a name no user has becomes an inactive placeholder user",
        "create_steps = true # work-items: rows of an order the database lacks become its",
        "                    # steps (a task list), on a template version made for them",
        "attributes = false  # do not keep the columns no field maps (kept by default)",
        'drop = ["メモ", { letters = "P:ZZ" }]  # columns not kept as attributes',
        "",
        "[users]             # names in the file -> logins",
        '  "Caller 2403" = "sato"',
        "[combine]           # a field made of several columns, e.g.",
        '  code = { columns = ["区分", "NO"], separator = "-", prefix = "" }',
        "[skip]              # rows that are not records",
        "  hidden = true       (XLSX hidden rows)    formula_only = true  (rows of formulas only)",
        "  blank_key = true    (rows whose key is blank)",
        '  where = [{ column = "NO", blank = true }, { column = "種別", equals = ["小計"] },',
        '           { column = "番号", matches = "^TEST" }]',
        'Columns are named by header, by "group/name" under a two-row header, or',
        '{ letter = "F" }.',
    ):
        doc.add(tomlkit.comment(line) if line else tomlkit.nl())
    doc.add(tomlkit.nl())
    columns = tomlkit.table()
    for line in (
        "field = the header of its column in the file, or a list of headers;",
        '"" leaves the field out. Usual names follow each field.',
    ):
        columns.add(tomlkit.comment(line))
    for spec in FIELDS[kind]:
        names = HEADER_NAMES[kind][spec.name]
        needed = " (needed for new records)" if spec.required else ""
        columns.add(tomlkit.comment(f"{spec.name}: {spec.help}{needed}"))
        columns.add(tomlkit.comment("  also: " + ", ".join(names[1:])))
        columns[spec.name] = names[0]
    doc["columns"] = columns
    defaults = tomlkit.table()
    applies = "blocked or skipped rows" if kind == RecordKind.WORK_ITEMS else "new records"
    defaults.add(tomlkit.comment(f"values for {applies} when a cell is blank or a column missing"))
    name, value = _EXAMPLE_DEFAULTS[kind]
    defaults.add(tomlkit.comment(f"{name} = {value}"))
    doc["defaults"] = defaults
    field_name, words = _EXAMPLE_WORDS[kind]
    doc.add(tomlkit.nl())
    doc.add(tomlkit.comment("words in the file and what they mean, per field, e.g."))
    doc.add(tomlkit.comment(f"[values.{field_name}]"))
    for word, meaning in words.items():
        doc.add(tomlkit.comment(f'"{word}" = "{meaning}"'))
    return tomlkit.dumps(doc)


def chosen_text(
    mapping: ColumnMapping, header: Header, *, sheet: str | None, encoding: str | None
) -> str:
    """The mapping an import used, as a mapping file."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("The mapping used: save it, edit it and pass it with --mapping FILE."))
    doc["kind"] = mapping.kind.value
    doc["header_row"] = header.last_row
    if sheet is not None:
        doc["sheet"] = sheet
    if encoding is not None:
        doc["encoding"] = encoding
    columns = tomlkit.table()
    for spec in FIELDS[mapping.kind]:
        if spec.name in header.fields:
            columns[spec.name] = header.column(spec.name)
    missing = [spec.name for spec in FIELDS[mapping.kind] if spec.name not in header.fields]
    if missing:
        columns.add(tomlkit.comment("not in the file: " + ", ".join(missing)))
    unused = header.unused()
    if unused:
        shown = ", ".join(unused[:_LISTED])
        if len(unused) > _LISTED:
            shown += f" and {len(unused) - _LISTED} more"
        columns.add(tomlkit.comment(f"kept as attributes (drop = [...] leaves them out): {shown}"))
    doc["columns"] = columns
    if mapping.defaults:
        doc["defaults"] = {k: _toml_value(v) for k, v in mapping.defaults.items()}
    if mapping.words:
        values: Table = tomlkit.table(is_super_table=True)
        for field_name, words in mapping.words.items():
            values[field_name] = dict(words)
        doc["values"] = values
    return tomlkit.dumps(doc)
