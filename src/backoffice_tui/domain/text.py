"""Text normalisation shared by search, import and display."""

import unicodedata
from collections.abc import Mapping
from typing import Any

# C0 and C1 control characters, DEL included; tab and newline are handled apart.
_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_CONTROL_PICTURES[0x7F] = "\u2421"


def visible_text(value: object) -> str:
    """Make database text safe to show on a terminal.

    Control characters (ESC, OSC introducers, BEL, ...) become visible
    symbols so they can never drive the terminal; newlines and tabs become
    spaces, because every value is shown on one line.
    """
    text = "" if value is None else str(value)
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char in "\n\r\t":
            out.append(" ")
        elif code < 0x20 or code == 0x7F:
            out.append(_CONTROL_PICTURES[code])
        elif 0x80 <= code < 0xA0:
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


def search_key(*parts: str | None) -> str:
    """A case- and width-insensitive key: full-width letters and digits fold
    to half-width, katakana to hiragana, all lower case."""
    joined = " ".join(p for p in parts if p)
    if joined.isascii():  # nothing to fold but case
        return joined.casefold()
    folded = unicodedata.normalize("NFKC", joined).casefold()
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in folded)


def attribute_search_text(attributes: Mapping[str, str], *parts: str | None) -> str:
    """What the text filters match besides a record's own columns: ``parts``
    (a title, a code) and its attribute values, folded; "" when all are blank."""
    return search_key(*parts, *attributes.values())


def attribute_texts(attributes: Mapping[str, Any] | None) -> dict[str, str]:
    """A record's attributes (header -> text as written) as text, in order:
    what a screen shows, whatever a writer put in the column."""
    return {str(k): "" if v is None else str(v) for k, v in (attributes or {}).items()}


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 item``, ``2 items``, ``1,000 items`` (``plural`` when not noun + s)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
