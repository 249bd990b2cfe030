"""``customers timeline --format/--output``: one row per event, Excel-ready."""

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from backoffice_tui.services.connection import open_database
from backoffice_tui.services.customers.timeline import customer_timeline
from tests.cli.support import fails, invoke, ok


@pytest.mark.parametrize("demo_url", ["sqlite", "postgresql"], indirect=True)
def test_timeline_files_have_one_row_per_event(demo_url: str, tmp_path: Path) -> None:
    db = open_database(demo_url)
    events = customer_timeline(db, "C0001")
    db.dispose()
    csv_path, xlsx_path = tmp_path / "t.csv", tmp_path / "t.xlsx"
    ok("--database", demo_url, "customers", "timeline", "C0001", "--output", str(csv_path))
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [int(r["id"]) for r in rows] == [e.id for e in events]
    assert rows[0]["summary"] == events[0].summary
    ok(
        "--database",
        demo_url,
        "customers",
        "timeline",
        "C0001",
        "--format",
        "xlsx",
        "--output",
        str(xlsx_path),
    )
    sheet = openpyxl.load_workbook(xlsx_path, read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("id", "at") and len(values) == 1 + len(events)
    out = invoke("--database", demo_url, "customers", "timeline", "C0001", "--format", "json")
    assert [e["id"] for e in json.loads(out.stdout)] == [e.id for e in events]
    fails(
        "--database",
        demo_url,
        "customers",
        "timeline",
        "C0001",
        "--output",
        str(csv_path),
        contains="exists",
    )
    fails(
        "--database",
        demo_url,
        "customers",
        "timeline",
        "NOPE",
        "--output",
        str(tmp_path / "n.csv"),
        contains="no customer",
    )
    assert not (tmp_path / "n.csv").exists()
    fails(
        "--database",
        demo_url,
        "customers",
        "timeline",
        "C0001",
        "--output",
        str(tmp_path / "t.txt"),
        contains="cannot write t.txt: exports are .csv, .xlsx or .json",
    )
