"""Writing config.toml: ``backoffice config init`` and ``backoffice config set``.

Written with ``tomlkit`` so that the operator's comments, blank lines and key
order survive every change. Every write goes to a temporary file in the same
directory and is moved into place with ``os.replace``, so a crash never leaves
half a file; the file is private to its owner (0600) unless the owner chose
another mode for an existing file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from backoffice_tui.config.settings import (
    PASSWORD_ADVICE,
    coerce_setting,
    parse_config_text,
    read_config_file,
    read_config_text,
)
from backoffice_tui.config.spec import DATABASE_URL, KNOWN_SETTINGS, SECTIONS, SETTINGS, SPECS
from backoffice_tui.domain.errors import ConfigError
from backoffice_tui.domain.urls import database_url_has_password

FILE_MODE = 0o600
DIR_MODE = 0o700

_TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def _toml(value: object) -> str:
    """``value`` as it is written on the right of ``=`` in TOML."""
    import tomlkit  # only writing a file needs it; every command reads one

    return tomlkit.item(value).as_string()


_TEMPLATE_HEADER = """\
# backoffice-tui settings.
#
# Written by `backoffice config init`. Change a value here or with
# `backoffice config set KEY VALUE` (which keeps these comments).
# Precedence: command-line options > environment variables > this file >
# built-in defaults. BACKOFFICE_CONFIG names another file to read instead.
"""


def config_template() -> str:
    """The text of a fresh config.toml: every setting, its default and what it does."""
    lines = [_TEMPLATE_HEADER]
    for section in SECTIONS:
        lines.append(f"[{section}]")
        for spec in SETTINGS:
            if spec.section != section:
                continue
            lines.extend(f"# {line}" for line in (spec.description, *spec.notes))
            value = _toml(spec.default_value())
            if spec.default is None:
                # Written commented out so that the file does not pin a value
                # that belongs to this platform.
                lines.append(f"# Unset, the program uses its own {spec.default_text}:")
                lines.append(f"# {spec.name} = {value}")
            else:
                lines.append(f"{spec.name} = {value}")
        lines.append("")
    return "\n".join(lines)


def _real_path(path: Path) -> Path:
    """Where writes really go: through a symlink (e.g. a dotfiles checkout)."""
    return Path(os.path.realpath(path))


def _write_atomically(path: Path, text: str, mode: int) -> None:
    target = _real_path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror}; check the directory's permissions"
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise ConfigError(
                f"cannot write {path}: {exc.strerror}; check the directory's permissions"
            ) from exc
        raise


def init_config(path: Path, *, force: bool = False) -> Path:
    """Write a commented config.toml with every setting at its default.

    Refuses to replace an existing file unless ``force``. Creates the parent
    directories. Returns ``path``.
    """
    path = Path(path).expanduser()
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; use --force to overwrite")
    if path.is_dir():
        raise ConfigError(f"{path} is a directory; give the path of a config.toml file")
    _write_atomically(path, config_template(), FILE_MODE)
    return path


def _check_key(key: str) -> tuple[str, str]:
    if key not in KNOWN_SETTINGS:
        known = ", ".join(KNOWN_SETTINGS)
        raise ConfigError(f"unknown setting {key!r}; known: {known}")
    section, name = key.split(".", 1)
    return section, name


def parse_setting_text(key: str, text: str, *, path: Path) -> object:
    """Turn the command-line text for ``key`` into its typed value, or ConfigError."""
    kind = SPECS[key].type
    value: object = text
    if kind is bool:
        word = text.strip().lower()
        if word in _TRUE_WORDS:
            value = True
        elif word in _FALSE_WORDS:
            value = False
        else:
            raise ConfigError(f"{key} must be true or false (or yes/no, on/off, 1/0), not {text!r}")
    elif kind is int:
        try:
            value = int(text.strip())
        except ValueError as exc:
            raise ConfigError(f"{key} must be a whole number, not {text!r}") from exc
    elif kind is float:
        try:
            value = float(text.strip())
        except ValueError as exc:
            raise ConfigError(f"{key} must be a number of seconds, not {text!r}") from exc
    elif key == DATABASE_URL and database_url_has_password(text):
        raise ConfigError(
            f"refusing to write a database password into {path} (database.url); "
            f"give the URL without it and {PASSWORD_ADVICE}"
        )
    return coerce_setting(key, value, where=f"in {path}")


def set_config_value(path: Path, key: str, value: str) -> None:
    """Set ``key`` ("section.name") to ``value`` in the config file at ``path``.

    The value is checked and converted to the setting's type first; nothing
    is written if it is wrong. A missing file is created by ``init_config``.
    Comments, blank lines and the order of keys are kept.
    """
    path = Path(path).expanduser()
    section, name = _check_key(key.strip())
    key = f"{section}.{name}"
    typed = parse_setting_text(key, value, path=path)

    if not path.exists():
        init_config(path)
    text = read_config_text(path)
    if text is None:  # removed between the two calls
        init_config(path)
        text = read_config_text(path) or ""
    parse_config_text(text, path)  # the file as it is must already be valid
    import tomlkit  # only writing a file needs it; every command reads one
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(text)
    except TOMLKitError as exc:  # pragma: no cover - tomllib already accepted it
        raise ConfigError(f"{path} is not valid TOML: {exc}; fix it first") from exc

    table = document.get(section)
    if table is None:
        table = tomlkit.table()
        document.add(section, table)
    if not isinstance(table, MutableMapping):  # pragma: no cover - rejected above
        raise ConfigError(f"{section!r} must be a [{section}] table in {path}")
    table[name] = typed

    new_text = tomlkit.dumps(document)
    parse_config_text(new_text, path)
    mode = stat.S_IMODE(_real_path(path).stat().st_mode)
    _write_atomically(path, new_text, mode)


def get_config_value(path: Path, key: str) -> object:
    """The value of ``key`` in the file at ``path``, or its default if unset."""
    section, name = _check_key(key.strip())
    values = read_config_file(Path(path).expanduser())
    dotted = f"{section}.{name}"
    if dotted in values:
        return values[dotted]
    return SPECS[dotted].default_value()
