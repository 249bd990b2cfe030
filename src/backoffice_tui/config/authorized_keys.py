"""The SSH gateway's lines in the service account's authorized_keys.

Each operator's key gets one line whose forced command names their login::

    command="/opt/backoffice/bin/backoffice gateway tanaka",restrict,pty ssh-ed25519 AAAA... t@pc

OpenSSH authenticates the key and runs that command whatever the client
asked for (``restrict`` turns off forwarding, agent and X11; ``pty`` allows
the console's terminal again). Only lines of that shape are this module's:
every other line of the file is kept byte for byte. The file is replaced
atomically (a temporary file in the same folder, fsync, rename) under a lock
on the folder, so that sshd never reads half a file and two admins never
lose each other's change.

No database and no Textual here: who may change the file is the service's
to check (``services.people.ssh_keys``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import os
import shlex
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from backoffice_tui.domain.errors import ConfigError, Conflict, InvalidInput
from backoffice_tui.domain.logins import GATEWAY_LOGIN, check_gateway_login

#: Key types an operator's key may have (what ``ssh-keygen -t`` makes today).
OPERATOR_KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
#: Types recognised in lines this module did not write (for duplicates only).
KNOWN_KEY_TYPES = OPERATOR_KEY_TYPES | {
    "ssh-dss",
    *(
        name.replace("@openssh.com", "") + "-cert-v01@openssh.com"
        for name in OPERATOR_KEY_TYPES | {"ssh-dss"}
    ),
}
GATEWAY_OPTIONS = ("restrict", "pty")
MAX_KEY_FILE = 64 * 1024
SSH_KEYGEN_TIMEOUT = 10.0


def default_authorized_keys() -> Path:
    """The service account's own authorized_keys."""
    return Path.home() / ".ssh" / "authorized_keys"


@dataclass(frozen=True)
class PublicKey:
    """One OpenSSH public key: its type, its base64 body and its comment."""

    key_type: str
    body: str
    comment: str = ""

    @property
    def fingerprint(self) -> str:
        """As ``ssh-keygen -l`` prints it: ``SHA256:`` and unpadded base64."""
        digest = hashlib.sha256(base64.b64decode(self.body)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.key_type, self.body, self.comment) if part)


@dataclass(frozen=True)
class GatewayKey:
    """A line of the file that lets ``login`` in through the gateway."""

    login: str
    key: PublicKey

    @property
    def key_type(self) -> str:
        return self.key.key_type

    @property
    def fingerprint(self) -> str:
        return self.key.fingerprint

    @property
    def comment(self) -> str:
        return self.key.comment


# --- public keys -------------------------------------------------------------


def _has_control_characters(text: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def parse_public_key(text: str) -> PublicKey:
    """The one public key in ``text`` (the content of an ``id_*.pub`` file),
    checked strictly: a known type, base64 that decodes, and a body that
    starts with its own type name, as the SSH wire format does."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if any(line.startswith("-----BEGIN") for line in lines):
        raise InvalidInput("this is a private key; give the public one (the .pub file)")
    if len(lines) != 1:
        raise InvalidInput(
            f"expected exactly one public key (one line of an .pub file), found {len(lines)} lines"
        )
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or parts[0] not in OPERATOR_KEY_TYPES:
        raise InvalidInput(
            "not an OpenSSH public key: a line starts with its type, one of "
            + ", ".join(sorted(OPERATOR_KEY_TYPES))
        )
    key_type, body = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    if _has_control_characters(comment):
        raise InvalidInput("the key's comment holds control characters")
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"the {key_type} key's body is not base64") from None
    if len(blob) < 4:
        raise InvalidInput(f"the {key_type} key's body is too short to be a key")
    (length,) = struct.unpack(">I", blob[:4])
    if blob[4 : 4 + length] != key_type.encode() or len(blob) <= 4 + length:
        raise InvalidInput(f"the key's body is not a {key_type} key")
    return PublicKey(key_type, body, comment)


def check_with_ssh_keygen(key: PublicKey) -> None:
    """Let OpenSSH's own parser confirm the key; without ssh-keygen on this
    host, the strict reading of ``parse_public_key`` stands alone."""
    program = shutil.which("ssh-keygen")
    if program is None:
        return
    with tempfile.TemporaryDirectory(prefix="backoffice-key-") as folder:
        path = Path(folder) / "key.pub"
        path.write_text(key.text + "\n", encoding="utf-8")
        try:
            result = subprocess.run(
                [program, "-l", "-E", "sha256", "-f", str(path)],
                capture_output=True,
                text=True,
                timeout=SSH_KEYGEN_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise InvalidInput(f"ssh-keygen could not check the key: {error}") from None
    if result.returncode != 0:
        raise InvalidInput(f"not a valid {key.key_type} key (ssh-keygen refuses it)")
    fields = result.stdout.split()
    if len(fields) < 2 or fields[1] != key.fingerprint:
        raise InvalidInput(f"ssh-keygen reads this {key.key_type} key differently; check the file")


# --- lines of authorized_keys ------------------------------------------------------


def _split_options(line: str) -> tuple[str, str]:
    """``(options, rest)`` of a line that starts with options: they end at
    the first blank outside double quotes."""
    quoted = escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in " \t" and not quoted:
            return line[:index], line[index:].strip()
    return line, ""


def _option_list(options: str) -> list[str]:
    """The comma-separated options, quotes taken into account."""
    found: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in options:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            found.append("".join(current))
            current = []
        else:
            current.append(char)
    found.append("".join(current))
    return found


@dataclass(frozen=True)
class _Line:
    options: list[str]
    key: PublicKey


def _read_line(line: str) -> _Line | None:
    """The options and key of one line; None for blanks, comments and lines
    this module cannot read (they are kept as they are)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    options: list[str] = []
    if text.split(None, 1)[0] not in KNOWN_KEY_TYPES:
        option_text, text = _split_options(text)
        options = _option_list(option_text)
    parts = text.split(None, 2)
    if len(parts) < 2 or parts[0] not in KNOWN_KEY_TYPES:
        return None
    try:
        base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    return _Line(options, PublicKey(parts[0], parts[1], parts[2].strip() if len(parts) > 2 else ""))


def _gateway_login_of(line: _Line) -> str | None:
    """The login a line's forced command names, if it is a gateway line."""
    if not set(GATEWAY_OPTIONS) <= set(line.options):
        return None
    commands = [o[len("command=") :] for o in line.options if o.startswith("command=")]
    if len(commands) != 1:
        return None
    try:
        words = shlex.split(commands[0])
    except ValueError:
        return None
    if len(words) < 3 or words[-2] != "gateway" or not GATEWAY_LOGIN.fullmatch(words[-1]):
        return None
    return words[-1]


def gateway_line(login: str, key: PublicKey, command: Sequence[str]) -> str:
    """The authorized_keys line letting ``key`` in as ``login``: ``command``
    is the program and its global options, ``gateway LOGIN`` follows."""
    check_gateway_login(login)
    words = [*command, "gateway", login]
    for word in words:
        if '"' in word or "\\" in word or _has_control_characters(word):
            raise InvalidInput(
                f"{word!r} cannot be written into a forced command (no quotes, backslashes "
                "or control characters)"
            )
    forced = shlex.join(words)
    return f'command="{forced}",{",".join(GATEWAY_OPTIONS)} {key.text}\n'


# --- the file --------------------------------------------------------------------


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(path.expanduser()))


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return ""
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None


@contextlib.contextmanager
def _locked_folder(path: Path) -> Iterator[None]:
    folder = path.parent
    if not folder.exists():
        try:
            folder.mkdir(mode=0o700, parents=True)
            folder.chmod(0o700)
        except FileExistsError:
            pass
        except OSError as error:
            raise ConfigError(f"cannot create {folder}: {error.strerror}") from None
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise ConfigError(f"cannot open {folder}: {error.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to a new file beside ``path`` (mode 0600), flush it to
    disk and rename it over ``path``."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise ConfigError(f"cannot write in {path.parent}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8", errors="surrogateescape"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ConfigError(f"cannot write {path}: {error.strerror}") from None
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def gateway_keys(path: Path) -> list[GatewayKey]:
    """The gateway lines of the file, in file order."""
    found = []
    for line in _read_text(_resolved(path)).splitlines():
        read = _read_line(line)
        login = _gateway_login_of(read) if read else None
        if read is not None and login is not None:
            found.append(GatewayKey(login, read.key))
    return found


def add_gateway_key(path: Path, login: str, key: PublicKey, command: Sequence[str]) -> GatewayKey:
    """Append the line for ``key`` as ``login``; a key already in the file,
    on any line, is refused (sshd would use only its first line)."""
    path = _resolved(path)
    line = gateway_line(login, key, command)
    with _locked_folder(path):
        text = _read_text(path)
        for existing in text.splitlines():
            read = _read_line(existing)
            if read is not None and (read.key.key_type, read.key.body) == (key.key_type, key.body):
                owner = _gateway_login_of(read)
                whose = f"as {owner}" if owner else "on a line of its own"
                raise Conflict(f"the key {key.fingerprint} is already in {path} ({whose})")
        if text and not text.endswith("\n"):
            text += "\n"
        _replace(path, text + line)
    return GatewayKey(login, key)


def remove_gateway_keys(path: Path, login: str, fingerprint: str | None = None) -> list[GatewayKey]:
    """Remove the gateway lines of ``login`` (only the one with
    ``fingerprint`` if given); the lines removed."""
    path = _resolved(path)
    check_gateway_login(login)
    if fingerprint is not None and not fingerprint.startswith("SHA256:"):
        fingerprint = "SHA256:" + fingerprint
    with _locked_folder(path):
        kept: list[str] = []
        removed: list[GatewayKey] = []
        for existing in _read_text(path).splitlines(keepends=True):
            read = _read_line(existing)
            if (
                read is not None
                and _gateway_login_of(read) == login
                and fingerprint in (None, read.key.fingerprint)
            ):
                removed.append(GatewayKey(login, read.key))
            else:
                kept.append(existing)
        if removed:
            _replace(path, "".join(kept))
    return removed
