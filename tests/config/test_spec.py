"""The settings table is the one declaration: Settings, config init and the README follow it."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import tomlkit

from backoffice_tui.config import Settings, default_database_url
from backoffice_tui.config.config_file import config_template
from backoffice_tui.config.spec import KNOWN_SETTINGS, SETTINGS, SettingSpec

README = Path(__file__).resolve().parents[2] / "README.md"
README_TABLE_HEADER = "| setting | default | meaning |"

# Fields of Settings that are not settings of the file.
NOT_IN_THE_FILE = {"config_path": "Path", "user": "str | None"}


def _toml(value: object) -> str:
    return tomlkit.item(value).as_string()


def test_settings_fields_follow_the_table() -> None:
    fields = {field.name: field for field in dataclasses.fields(Settings)}
    for name, annotation in NOT_IN_THE_FILE.items():
        assert fields.pop(name).type == annotation
    assert list(fields) == [spec.field for spec in SETTINGS]
    for spec in SETTINGS:
        field = fields[spec.field]
        assert field.type == spec.type.__name__, spec.key
        if spec.default is None:
            assert field.default is dataclasses.MISSING, spec.key
        else:
            assert field.default == spec.default, spec.key
            assert type(field.default) is spec.type, spec.key


def test_known_settings_come_from_the_table() -> None:
    assert {spec.key: spec.type for spec in SETTINGS} == KNOWN_SETTINGS
    assert [spec.key for spec in SETTINGS if spec.default is None] == ["database.url"]
    url = next(spec for spec in SETTINGS if spec.key == "database.url")
    assert url.default_value() == default_database_url()


def _template_block(lines: list[str], spec: SettingSpec) -> list[str]:
    """The comment lines and the key line the template writes for ``spec``."""
    written = f"{spec.name} = {_toml(spec.default_value())}"
    if spec.default is None:
        written = "# " + written
    end = lines.index(written)
    start = end
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    return lines[start : end + 1]


def test_template_writes_each_section_and_key_with_its_comment() -> None:
    text = config_template()
    lines = text.splitlines()
    data = tomllib.loads(text)
    assert list(data) == list(dict.fromkeys(spec.section for spec in SETTINGS))
    for spec in SETTINGS:
        block = _template_block(lines, spec)
        assert block[0] == f"# {spec.description}", spec.key
        assert block[1 : 1 + len(spec.notes)] == [f"# {note}" for note in spec.notes]
        section_line = max(
            number for number, line in enumerate(lines[: lines.index(block[0])]) if line[:1] == "["
        )
        assert lines[section_line] == f"[{spec.section}]", spec.key
        if spec.default is None:
            assert spec.name not in data[spec.section]
        else:
            assert data[spec.section][spec.name] == spec.default


def _readme_rows() -> list[tuple[str, str, str]]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(README_TABLE_HEADER) + 2  # past the header and the | --- | row
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 3, line
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_readme_settings_table_matches_the_table() -> None:
    expected = []
    for spec in SETTINGS:
        if spec.default is None:
            default = spec.default_text
        elif isinstance(spec.default, str):
            default = f"`{spec.default}`"
        else:
            default = f"`{_toml(spec.default)}`"
        expected.append((f"`{spec.key}`", default, spec.description))
    # The README may set words in `code`; otherwise the text is the same.
    shown = [(key, default, meaning.replace("`", "")) for key, default, meaning in _readme_rows()]
    assert shown == expected
