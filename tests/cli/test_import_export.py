"""``backoffice import`` and ``backoffice export`` end to end, on SQLite and PostgreSQL."""

import csv
import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from backoffice_tui.cli.commands import imports as import_command
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Team, WorkItem
from tests.cli.support import (
    as_operator,
    assert_one_line_error,
    assert_usage_error,
    invoke,
    ok,
    ok_json,
)
from tests.helpers import give_customer, give_item, give_order
from tests.io.files import (
    INCIDENT_LOG_MAPPING,
    incident_log_csv,
    japanese_customers_cp932,
    write_csv,
)


@pytest.fixture
def admin(demo_url: str) -> list[str]:
    return as_operator(demo_url, "admin-ito")


@pytest.fixture
def lead(demo_url: str) -> list[str]:
    """kimura, a lead of the build team."""
    return as_operator(demo_url, "kimura")


def customer_codes(options: list[str]) -> list[str]:
    rows = ok_json(*options, "customers", "list", "--limit", "100000")
    return [r["code"] for r in rows]


def last_event(options: list[str]) -> int:
    return max(e["id"] for e in ok_json(*options, "events", "--limit", "100000"))


def assert_report_then_error(result: Any, contains: str) -> str:
    """Exit 1: the report on stdout, then one ``error:`` line on stderr."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and contains in lines[0], lines
    return str(result.stdout)


# --- import ----------------------------------------------------------------------------------


def test_the_template_is_a_commented_mapping(tmp_path: Path) -> None:
    text = ok("import", "--template", "customers").stdout
    assert tomllib.loads(text)["kind"] == "customers"
    assert "# code: customer code; the key" in text


def test_customers_from_a_shift_jis_file_then_the_same_file_again(
    admin: list[str], tmp_path: Path
) -> None:
    path = japanese_customers_cp932(tmp_path / "顧客.csv")
    out = ok(*admin, "import", str(path), "--as", "customers").stdout
    assert 'code = "顧客コード"' in out  # the mapping it chose, to save and edit
    assert "imported 3 rows of 顧客.csv (CSV, cp932): 3 created, 0 updated, 0 unchanged" in out
    assert {"K001", "K002", "K003"} <= set(customer_codes(admin))
    before = last_event(admin)
    data = ok_json(*admin, "import", str(path), "--as", "customers")
    assert data["report"]["applied"] is True
    assert (data["report"]["created"], data["report"]["updated"]) == (0, 0)
    assert data["report"]["unchanged"] == 3
    assert tomllib.loads(data["mapping"])["header_row"] == 3
    assert last_event(admin) == before


def test_bad_rows_are_all_listed_and_nothing_is_written(admin: list[str], tmp_path: Path) -> None:
    rows: list[list[object]] = [["顧客コード", "顧客名"]]
    rows += [[f"N{n:03d}", f"会社{n}"] for n in range(1, 31)]
    rows[5][1] = ""  # row 6: a new customer needs a name
    rows[12][0] = "N001"  # row 13: the same code twice
    rows[25][0] = ""  # row 26: no code
    path = write_csv(tmp_path / "c.csv", rows)
    errors = tmp_path / "errors.csv"
    result = invoke(*admin, "import", str(path), "--as", "customers", "--errors", str(errors))
    out = assert_report_then_error(result, "3 bad rows in c.csv; nothing was written")
    assert "bad rows: 3" in out
    for text in ("a new customer needs a name", "customer N001 is on more than one row"):
        assert text in out
    with errors.open(encoding="utf-8-sig", newline="") as stream:
        listed = list(csv.reader(stream))
    assert listed[0] == ["row", "column", "value", "reason"]
    assert [(r[0], r[1]) for r in listed[1:]] == [
        ("6", "顧客名"),
        ("13", "顧客コード"),
        ("26", "顧客コード"),
    ]
    assert not {"N002", "N003"} & set(customer_codes(admin))


def export_build_queue(options: list[str], path: Path) -> None:
    ok(*options, "export", "queue", "--team", "build", "--status", "all", "--output", str(path))


def edit_first(path: Path, status: str, changes: dict[str, object]) -> int:
    """Change the first row with ``status``; returns its id."""
    book = load_workbook(path)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        cells = {name: row[header.index(name)] for name in changes}
        if row[header.index("status")].value == status and all(
            cells[name].value != value for name, value in changes.items()
        ):
            for name, value in changes.items():
                row[header.index(name)].value = value
            book.save(path)
            return int(row[0].value)  # type: ignore[arg-type]
    raise AssertionError(f"no {status} row")


def test_round_trip_through_a_spreadsheet(lead: list[str], tmp_path: Path) -> None:
    path = tmp_path / "queue.xlsx"
    export_build_queue(lead, path)
    item = edit_first(path, "ready", {"status": "in progress", "assignee": "kimura"})
    before = last_event(lead)

    dry = ok(*lead, "import", str(path), "--as", "work-items", "--dry-run").stdout
    assert "changes: 2" in dry
    assert "ready" in dry and "in_progress" in dry and "→" in dry
    assert "0 would be created, 1 would be updated" in dry
    assert last_event(lead) == before

    done = ok(*lead, "import", str(path), "--as", "work-items", "--update-only").stdout
    assert "0 created, 1 updated" in done
    shown = ok_json(*lead, "queue", "show", str(item))
    assert (shown["status"], shown["assignee"]) == ("in_progress", "kimura")

    again = ok(*lead, "import", str(path), "--as", "work-items").stdout
    assert "0 created, 0 updated" in again


def test_rows_changed_since_the_export_are_refused_unless_confirmed(
    lead: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "queue.xlsx"
    export_build_queue(lead, path)
    first = edit_first(path, "in_progress", {"priority": 1})
    ok(*lead, "queue", "block", str(first), "--reason", "no cable")  # changed meanwhile
    edit_first(path, "waiting", {"priority": 1})
    result = invoke(*lead, "import", str(path), "--as", "work-items")
    out = assert_report_then_error(result, "changed in the database since the export")
    assert "changed in the database since the export (version" in out
    assert ok_json(*lead, "queue", "show", str(first))["priority"] != 1

    out = ok(*lead, "import", str(path), "--as", "work-items", "--yes").stdout
    assert "1 updated" in out and "1 refused (changed since the export)" in out


def test_an_interactive_import_asks_first(
    lead: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_command, "_interactive", lambda: True)
    path = tmp_path / "queue.xlsx"
    export_build_queue(lead, path)
    item = edit_first(path, "waiting", {"priority": 1})
    before = ok_json(*lead, "queue", "show", str(item))["priority"]

    declined = invoke(*lead, "import", str(path), "--as", "work-items", input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "priority" in declined.stdout and "nothing was written" in declined.stdout
    assert ok_json(*lead, "queue", "show", str(item))["priority"] == before

    accepted = invoke(*lead, "import", str(path), "--as", "work-items", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "imported" in accepted.stdout
    assert ok_json(*lead, "queue", "show", str(item))["priority"] == 1


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["missing.csv", "--as", "customers"], "no file"),
        ("xlsx", ["FILE", "--as", "customers", "--sheet", "nope"], "no sheet 'nope'"),
        ("cp932", ["FILE", "--as", "customers", "--encoding", "utf-8"], "not utf-8 text"),
        ("cp932", ["FILE", "--as", "customers", "--encoding", "nope"], "unknown encoding"),
        ("cp932", ["FILE", "--as", "work-items"], "no id column (nor order and step columns)"),
    ],
)
def test_files_that_cannot_be_imported_give_one_line(
    admin: list[str], tmp_path: Path, setup: str | None, args: list[str], message: str
) -> None:
    path = tmp_path / "missing.csv"
    if setup == "cp932":
        path = japanese_customers_cp932(tmp_path / "c.csv")
    elif setup == "xlsx":
        export_build_queue(admin, path := tmp_path / "q.xlsx")
    args = [str(path) if a == "FILE" else a for a in args]
    assert_one_line_error(invoke(*admin, "import", *args), contains=message)


def test_import_usage_errors(tmp_path: Path) -> None:
    assert_usage_error(invoke("import", str(tmp_path / "x.csv")))
    assert_usage_error(invoke("import", str(tmp_path / "x.csv"), "--as", "invoices"))


# --- export ----------------------------------------------------------------------------------


def test_export_to_standard_output_and_to_files(admin: list[str], tmp_path: Path) -> None:
    text = ok(*admin, "export", "customers").stdout
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["code", "name", "reading", "segment", "notes"]
    assert rows[1][:2] == ["C0001", "株式会社山田製作所"]

    data = json.loads(
        ok(*admin, "export", "events", "--customer", "C0001", "--format", "json").stdout
    )
    assert data and {e["customer"] for e in data} == {"C0001"}

    path = tmp_path / "queue.xlsx"
    summary = ok_json(*admin, "export", "queue", "--status", "blocked", "--output", str(path))
    assert summary["format"] == "xlsx" and summary["rows"] >= 1
    sheet = load_workbook(path).active
    assert sheet.max_row == summary["rows"] + 1
    assert {row[8] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"blocked"}

    again = invoke(*admin, "export", "queue", "--output", str(path))
    assert_one_line_error(again, contains="exists; use --force to replace it")
    ok(*admin, "export", "queue", "--output", str(path), "--force")


def test_dates_titles_and_attributes_export_and_import_back_unchanged(
    admin: list[str], demo_db: Database, tmp_path: Path
) -> None:
    with demo_db.read() as session:
        first, second = session.scalars(
            select(WorkItem)
            .join(Team, Team.id == WorkItem.team_id)
            .where(Team.code == "build")
            .order_by(WorkItem.id)
            .limit(2)
        ).all()
    give_item(
        demo_db,
        first.id,
        {"Budget code": "B-1", "Site": "[bold]Osaka"},
        planned=(date(2026, 4, 1), date(2026, 4, 10)),
        actual=(date(2026, 4, 2), None),
    )
    give_item(demo_db, second.id, {"Site": "Kyoto", "Phase": "2"})
    give_order(demo_db, first.order_id, "Rack move")
    give_customer(demo_db, "C0001", {"Region": "Kansai", "Rank": "A"})
    give_customer(demo_db, "C0002", {"Rank": "B"})

    queue = tmp_path / "queue.xlsx"
    export_build_queue(admin, queue)
    header = [c.value for c in next(load_workbook(queue).active.iter_rows(max_row=1))]
    assert header[-8:] == [
        "order title",
        "planned start",
        "planned finish",
        "actual start",
        "actual finish",
        "Budget code",
        "Site",
        "Phase",
    ]
    again = ok(*admin, "import", str(queue), "--as", "work-items").stdout
    assert "0 created, 0 updated" in again

    customers = tmp_path / "customers.csv"
    ok(*admin, "export", "customers", "--output", str(customers))
    with customers.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["code", "name", "reading", "segment", "notes", "Region", "Rank"]
    assert rows[1][0] == "C0001" and rows[1][-2:] == ["Kansai", "A"]
    again = ok(*admin, "import", str(customers), "--as", "customers").stdout
    assert "0 created, 0 updated" in again


def test_export_mistakes(admin: list[str], tmp_path: Path) -> None:
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    assert_usage_error(invoke(*admin, "export", "queue", "--format", "xlsx"))
    for command in (("export", "queue"), ("customers", "timeline", "C0001")):
        for name in ("x.pdf", "t.docx"):
            assert_one_line_error(
                invoke(*admin, *command, "--output", str(tmp_path / name)),
                contains=f"cannot write {name}: exports are .csv, .xlsx or .json",
            )
    missing = tmp_path / "no" / "dir" / "x.xlsx"
    assert_one_line_error(
        invoke(*admin, "export", "queue", "--output", str(missing)),
        contains=f"there is no folder {missing.parent}",
    )
    assert list(tmp_path.iterdir()) == []
    assert_one_line_error(invoke(*admin, "export", "queue", "--team", "nope"), contains="no team")
    assert_one_line_error(invoke(*admin, "export", "view", "nope"), contains="no saved view 'nope'")


def test_an_event_log_imports_with_a_mapping_and_again_changes_nothing(
    admin: list[str], tmp_path: Path
) -> None:
    path = incident_log_csv(tmp_path / "incidents.csv", "C0001")
    mapping = tmp_path / "incidents.toml"
    mapping.write_text(INCIDENT_LOG_MAPPING, encoding="utf-8")
    args = ("import", str(path), "--as", "orders", "--mapping", str(mapping), "--yes")
    first = ok_json(*admin, *args, "--json")
    assert (first["report"]["created"], first["report"]["bad_rows"]) == (2, 0)
    assert first["skipped"] == {"repeated": 2}
    printed = ok(*admin, *args).stdout
    assert "not imported: 2 earlier rows of a repeated key (the last one counts)" in printed
    again = ok_json(*admin, *args, "--json")["report"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    items = ok_json(*admin, "queue", "list", "--text", "ORD-L", "--status", "all", "--json")
    assert {i["order_code"] for i in items} == {"ORD-L1", "ORD-L2"}
