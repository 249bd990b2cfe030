"""``backoffice customers add|edit``, and the version ``customers show`` gives
for ``--expect-version``."""

from tests.cli.support import as_operator, fails, invoke, ok, ok_json


def test_add_then_show_with_its_version(demo_url: str) -> None:
    kimura = as_operator(demo_url, "kimura")
    added = ok_json(
        *kimura,
        "customers",
        "add",
        "N0100",
        "--name",
        "[bold]New[/] KK",
        "--reading",
        "ニュー",
        "--segment",
        "smb",
        "--notes",
        "met at the fair",
        "--attribute",
        "Region=Kansai",
        "--attribute",
        "Formula=a=b",
    )
    assert added["customer"]["code"] == "N0100" and added["customer"]["name"] == "[bold]New[/] KK"
    assert added["attributes"] == {"Region": "Kansai", "Formula": "a=b"}
    assert added["version"] == 1
    shown = ok_json("--database", demo_url, "customers", "show", "N0100")
    assert shown["version"] == 1 and shown["notes"] == "met at the fair"
    said = ok("--database", demo_url, "customers", "show", "N0100").stdout
    assert "version: 1" in said and "name: [bold]New[/] KK" in said
    timeline = ok_json("--database", demo_url, "customers", "timeline", "N0100")
    assert [e["kind"] for e in timeline] == ["customer.created"]


def test_edit_with_the_version_seen(demo_url: str) -> None:
    kimura = as_operator(demo_url, "kimura")
    version = ok_json("--database", demo_url, "customers", "show", "C0003")["version"]
    said = ok(
        *kimura,
        "customers",
        "edit",
        "C0003",
        "--name",
        "Renamed",
        "--attribute",
        "Rank=A",
        "--expect-version",
        str(version),
    ).stdout
    assert said.strip() == f"edited customer C0003 (version {version + 1}): name, attributes"
    edited = ok_json(*kimura, "customers", "edit", "C0003", "--remove-attribute", "Rank")
    assert edited["attributes"] == {} and edited["version"] == version + 2
    moved = ok_json(*kimura, "customers", "edit", "C0003", "--code", "C9003")
    assert moved["customer"]["code"] == "C9003"
    fails("--database", demo_url, "customers", "show", "C0003", contains="no customer 'C0003'")
    kinds = [e["kind"] for e in ok_json("--database", demo_url, "customers", "timeline", "C9003")]
    assert kinds[-3:] == ["customer.edited"] * 3


def test_a_stale_version_is_refused_in_one_line(demo_url: str) -> None:
    kimura = as_operator(demo_url, "kimura")
    sato = as_operator(demo_url, "sato")
    ok(*sato, "customers", "edit", "C0004", "--segment", "public", "--expect-version", "1")
    line = fails(
        *kimura,
        "customers",
        "edit",
        "C0004",
        "--name",
        "Mine",
        "--expect-version",
        "1",
        contains="customer C0004 was changed by sato at ",
    )
    assert "segment is now 'public'" in line and "reload and edit again" in line
    assert ok_json("--database", demo_url, "customers", "show", "C0004")["version"] == 2


def test_bad_input_and_refusals_are_one_line(demo_url: str) -> None:
    kimura = as_operator(demo_url, "kimura")
    fails(*kimura, "customers", "add", "C0001", "--name", "Again", contains="C0001 already exists")
    fails(*kimura, "customers", "add", "N1", "--name", " ", contains="needs a name")
    fails(*kimura, "customers", "add", "N\x07", "--name", "Bell", contains="control characters")
    fails(*kimura, "customers", "add", "N1", "--name", "x" * 301, contains="at most 300")
    fails(
        *kimura,
        "customers",
        "add",
        "N1",
        "--name",
        "A",
        "--attribute",
        "nokey",
        contains="KEY=VALUE",
    )
    fails(*kimura, "customers", "edit", "C0001", contains="say what to change")
    fails(*kimura, "customers", "edit", "nope", "--name", "x", contains="no customer 'nope'")
    fails(*kimura, "customers", "edit", "C0001", "--code", "C0002", contains="C0002 already exists")
    fails(
        *kimura, "customers", "edit", "C0001", "--remove-attribute", "Nope", contains="no attribute"
    )
    usage = invoke(*kimura, "customers", "add", "N1")
    assert usage.exit_code == 2 and "--name" in usage.stderr
    assert [
        c["code"] for c in ok_json("--database", demo_url, "customers", "list", "--search", "N1")
    ] == []


def test_only_team_members_may_add(demo_url: str) -> None:
    admin = as_operator(demo_url, "admin-ito")
    ok(*admin, "users", "add", "loner", "--name", "No Team")
    loner = as_operator(demo_url, "loner")
    fails(*loner, "customers", "add", "N0200", "--name", "X", contains="loner is in no team")
    fails(*loner, "customers", "edit", "C0001", "--name", "X", contains="loner is in no team")
