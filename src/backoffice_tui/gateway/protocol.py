"""What the session client, the session server and a session say to each other.

One JSON object a line over a Unix stream socket, every value a string, an
integer, true, false or null:

- client -> server, once, with the client's stdin, stdout and stderr attached
  (``SCM_RIGHTS``): the request, ``{"login", "screen", "theme", "term",
  "colorterm", "no_color", "columns", "rows"}``; nothing in it can choose a
  database, a configuration file or another identity;
- server -> client: ``{"started": PID}`` or ``{"error": "one line"}``;
- client -> session: ``{"signal": "SIGWINCH"}`` (also SIGHUP, SIGTERM, SIGINT),
  the signals the client's terminal sent it, since the session is not in the
  terminal's session and receives none itself;
- session or server -> client: ``{"exit": STATUS}`` when the session ends
  (128 + N when signal N killed it, as a shell reports it).

The client imports this module, so it imports next to nothing: the ``json``
module alone would double what the client adds to a bare interpreter (it
loads ``re`` and ``enum``), so the flat objects are written and read here,
strings through the scanner ``json`` itself uses.
"""

from __future__ import annotations

from _json import scanstring

SOCKET_NAME = "sessions.sock"
MAX_LINE = 4096
REQUEST_FIELDS = frozenset(
    {"login", "screen", "theme", "term", "colorterm", "no_color", "columns", "rows"}
)
FORWARDED_SIGNALS = ("SIGWINCH", "SIGHUP", "SIGTERM", "SIGINT")
_WHITESPACE = " \t\r\n"
_LITERALS = {"true": True, "false": False, "null": None}


class ProtocolError(Exception):
    """A message that is not one of the protocol's."""


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
    out.append('"')
    return "".join(out)


def _value(value: object) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"not a protocol value: {value!r}")


def encode(message: dict[str, object]) -> bytes:
    """One line: the message as a flat JSON object, ASCII only."""
    fields = ",".join(f"{_string(key)}:{_value(value)}" for key, value in message.items())
    return ("{" + fields + "}\n").encode("ascii")


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _read_value(text: str, position: int) -> tuple[object, int]:
    if text.startswith('"', position):
        return scanstring(text, position + 1, True)
    for word, value in _LITERALS.items():
        if text.startswith(word, position):
            return value, position + len(word)
    end = position + (text[position : position + 1] == "-")
    while end < len(text) and text[end].isdigit() and text[end].isascii():
        end += 1
    digits = text[position:end]
    if digits in ("", "-") or (digits.lstrip("-").startswith("0") and len(digits.lstrip("-")) > 1):
        raise ProtocolError("not a flat JSON object of strings, integers, booleans and null")
    return int(digits), end


def decode(line: bytes) -> dict[str, object]:
    """The flat JSON object on ``line``; ProtocolError for anything else."""
    if len(line) > MAX_LINE:
        raise ProtocolError("message too long")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("not a JSON message") from None
    message: dict[str, object] = {}
    try:
        position = _skip(text, 0)
        if not text.startswith("{", position):
            raise ProtocolError("not a JSON object")
        position = _skip(text, position + 1)
        if text.startswith("}", position):
            position += 1
        else:
            while True:
                if not text.startswith('"', position):
                    raise ProtocolError("not a JSON object")
                key, position = scanstring(text, position + 1, True)
                position = _skip(text, position)
                if not text.startswith(":", position):
                    raise ProtocolError("not a JSON object")
                value, position = _read_value(text, _skip(text, position + 1))
                message[key] = value
                position = _skip(text, position)
                if text.startswith("}", position):
                    position += 1
                    break
                if not text.startswith(",", position):
                    raise ProtocolError("not a flat JSON object")
                position = _skip(text, position + 1)
    except ValueError:  # what the string scanner raises
        raise ProtocolError("not a JSON message") from None
    if _skip(text, position) != len(text):
        raise ProtocolError("not one JSON object")
    return message


class LineReader:
    """Splits what arrives on a stream socket into protocol messages."""

    def __init__(self) -> None:
        self.pending = b""

    def feed(self, data: bytes) -> list[dict[str, object]]:
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        if len(self.pending) > MAX_LINE:
            raise ProtocolError("message too long")
        return [decode(line) for line in lines if line.strip()]


#: What the client and ``backoffice gateway`` say to a console asked for without a terminal.
NEEDS_TERMINAL = (
    "the console needs a terminal: connect with `ssh -t`, or send a command "
    "such as `queue list --json`"
)


def default_socket_path() -> str:
    """The server's socket in the service account's state directory, the
    folder ``backoffice_tui.config.paths.state_dir`` names (checked by a test)."""
    import platformdirs  # only when no --socket is given

    return platformdirs.user_state_dir("backoffice-tui", appauthor=False) + "/" + SOCKET_NAME
