"""The gateway's lines in authorized_keys: written atomically, one per key,
every other line kept byte for byte."""

import base64
import os
import stat
import subprocess
from pathlib import Path

import pytest

from backoffice_tui.config.authorized_keys import (
    PublicKey,
    add_gateway_key,
    check_with_ssh_keygen,
    gateway_keys,
    gateway_line,
    parse_public_key,
    remove_gateway_keys,
)
from backoffice_tui.domain.errors import Conflict, InvalidInput

COMMAND = ["/opt/backoffice/bin/backoffice", "--config", "/srv/backoffice/config.toml"]
FOREIGN = (
    "# the service account's own admin key, not the gateway's\n"
    'from="10.0.0.0/8",no-pty ssh-ed25519 '
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@bastion\n"
    "\n"
    "not a key line at all \xe9\n"
)


def make_key(folder: Path, name: str, key_type: str = "ed25519") -> Path:
    """A real key pair made by ssh-keygen; the path of its public half."""
    path = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", f"{name}@laptop", "-f", str(path)],
        check=True,
    )
    return path.with_suffix(".pub")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PublicKey]:
    folder = tmp_path_factory.mktemp("keys")
    return {
        "kimura": parse_public_key(make_key(folder, "kimura").read_text()),
        "tanaka": parse_public_key(make_key(folder, "tanaka", "ecdsa").read_text()),
        "tanaka2": parse_public_key(make_key(folder, "tanaka2", "rsa").read_text()),
    }


def fingerprint_by_ssh_keygen(key: PublicKey, folder: Path) -> str:
    path = folder / "check.pub"
    path.write_text(key.text + "\n")
    output = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return output.split()[1]


def test_a_public_key_is_read_strictly(keys: dict[str, PublicKey], tmp_path: Path) -> None:
    key = keys["kimura"]
    assert key.key_type == "ssh-ed25519" and key.comment == "kimura@laptop"
    for each in keys.values():
        assert each.fingerprint == fingerprint_by_ssh_keygen(each, tmp_path)
    refused = {
        "": "exactly one public key",
        f"{key.text}\n{keys['tanaka'].text}\n": "exactly one public key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END": "private key",
        f'command="sh" {key.text}': "not an OpenSSH public key",
        f"ssh-dss {key.body}": "not an OpenSSH public key",
        "ssh-ed25519 not*base64": "not base64",
        f"ssh-rsa {key.body}": "not a ssh-rsa key",
        "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519").decode(): "not a",
        f"{key.key_type} {key.body} evil\x1b[2Jcomment": "control characters",
    }
    for text, message in refused.items():
        with pytest.raises(InvalidInput, match=message):
            parse_public_key(text)
    assert parse_public_key(f"# a comment line\n\n{key.text}\n") == key


def test_ssh_keygen_refuses_a_key_that_only_looks_right(tmp_path: Path) -> None:
    # the right type name, then 31 bytes where an Ed25519 key has 32
    blob = b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x1f" + b"\x01" * 31
    looks_right = parse_public_key("ssh-ed25519 " + base64.b64encode(blob).decode())
    with pytest.raises(InvalidInput, match="ssh-keygen refuses it"):
        check_with_ssh_keygen(looks_right)


def test_without_ssh_keygen_the_strict_reading_stands_alone(
    keys: dict[str, PublicKey], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ssh-keygen to be found
    check_with_ssh_keygen(keys["kimura"])


def test_the_line_forces_the_gateway_command(keys: dict[str, PublicKey]) -> None:
    line = gateway_line("kimura", keys["kimura"], COMMAND)
    assert line == (
        'command="/opt/backoffice/bin/backoffice --config /srv/backoffice/config.toml '
        f'gateway kimura",restrict,pty {keys["kimura"].text}\n'
    )
    spaced = gateway_line("kimura", keys["kimura"], ["/opt/back office/backoffice"])
    assert spaced.startswith("command=\"'/opt/back office/backoffice' gateway kimura\",")
    for bad in ('/opt/"x"/backoffice', "/opt/x\\y", "/opt/x\ny"):
        with pytest.raises(InvalidInput, match="cannot be written into a forced command"):
            gateway_line("kimura", keys["kimura"], [bad])
    with pytest.raises(InvalidInput, match="cannot be a gateway login"):
        gateway_line("kimura;id", keys["kimura"], COMMAND)


def test_adding_keeps_every_other_line_and_replaces_the_file_atomically(
    keys: dict[str, PublicKey], tmp_path: Path
) -> None:
    path = tmp_path / "ssh" / "authorized_keys"
    path.parent.mkdir()
    original = FOREIGN.encode("latin-1")  # not even UTF-8: kept as it is
    path.write_bytes(original)
    before = path.stat().st_ino
    with path.open("rb") as reader_of_the_old_file:
        add_gateway_key(path, "kimura", keys["kimura"], COMMAND)
        assert reader_of_the_old_file.read() == original  # never rewritten in place
    assert path.stat().st_ino != before
    add_gateway_key(path, "tanaka", keys["tanaka"], COMMAND)
    add_gateway_key(path, "tanaka", keys["tanaka2"], COMMAND)
    content = path.read_bytes()
    assert content.startswith(original)
    assert content[len(original) :].decode().splitlines() == [
        gateway_line("kimura", keys["kimura"], COMMAND).rstrip("\n"),
        gateway_line("tanaka", keys["tanaka"], COMMAND).rstrip("\n"),
        gateway_line("tanaka", keys["tanaka2"], COMMAND).rstrip("\n"),
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == ["authorized_keys"]  # no temporary file left
    assert [(k.login, k.fingerprint, k.comment) for k in gateway_keys(path)] == [
        ("kimura", keys["kimura"].fingerprint, "kimura@laptop"),
        ("tanaka", keys["tanaka"].fingerprint, "tanaka@laptop"),
        ("tanaka", keys["tanaka2"].fingerprint, "tanaka2@laptop"),
    ]


def test_a_missing_file_and_folder_are_created_private(
    keys: dict[str, PublicKey], tmp_path: Path
) -> None:
    path = tmp_path / "home" / ".ssh" / "authorized_keys"
    assert gateway_keys(path) == []
    add_gateway_key(path, "kimura", keys["kimura"], COMMAND)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == gateway_line("kimura", keys["kimura"], COMMAND)


def test_a_key_already_in_the_file_is_refused_for_any_login(
    keys: dict[str, PublicKey], tmp_path: Path
) -> None:
    path = tmp_path / "authorized_keys"
    path.write_text(FOREIGN.replace("\xe9", ""))
    add_gateway_key(path, "kimura", keys["kimura"], COMMAND)
    before = path.read_bytes()
    for login in ("kimura", "tanaka"):
        with pytest.raises(Conflict, match=r"already in .* \(as kimura\)"):
            add_gateway_key(path, login, keys["kimura"], COMMAND)
    foreign = parse_public_key(FOREIGN.splitlines()[1].split(" ", 1)[1])
    with pytest.raises(Conflict, match="on a line of its own"):
        add_gateway_key(path, "tanaka", foreign, COMMAND)
    assert path.read_bytes() == before


def test_a_file_without_a_final_newline_gets_one_before_the_new_line(
    keys: dict[str, PublicKey], tmp_path: Path
) -> None:
    path = tmp_path / "authorized_keys"
    path.write_text("# no newline at the end")
    add_gateway_key(path, "kimura", keys["kimura"], COMMAND)
    assert path.read_text().splitlines()[0] == "# no newline at the end"
    assert len(gateway_keys(path)) == 1


def test_removing_takes_out_only_that_logins_lines(
    keys: dict[str, PublicKey], tmp_path: Path
) -> None:
    path = tmp_path / "authorized_keys"
    original = FOREIGN.encode("latin-1")
    path.write_bytes(original)
    for login, key in (("kimura", "kimura"), ("tanaka", "tanaka"), ("tanaka", "tanaka2")):
        add_gateway_key(path, login, keys[key], COMMAND)
    # a hand-written line for tanaka that is no gateway line stays too
    hand_written = f"no-pty {keys['tanaka'].key_type} {keys['kimura'].body[:-4]}AAAA tanaka\n"
    with path.open("ab") as stream:
        stream.write(hand_written.encode())

    one = keys["tanaka2"].fingerprint
    removed = remove_gateway_keys(path, "tanaka", one.removeprefix("SHA256:"))
    assert [k.fingerprint for k in removed] == [one]
    assert [(k.login, k.fingerprint) for k in gateway_keys(path)] == [
        ("kimura", keys["kimura"].fingerprint),
        ("tanaka", keys["tanaka"].fingerprint),
    ]
    assert [k.fingerprint for k in remove_gateway_keys(path, "tanaka")] == [
        keys["tanaka"].fingerprint
    ]
    assert remove_gateway_keys(path, "tanaka") == []
    assert remove_gateway_keys(path, "kimura", one) == []
    assert path.read_bytes() == (
        original + gateway_line("kimura", keys["kimura"], COMMAND).encode() + hand_written.encode()
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
