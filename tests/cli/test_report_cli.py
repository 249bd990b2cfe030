"""``backoffice report`` end to end, on SQLite and PostgreSQL, over a
history whose figures are known (the lab process of the service tests)."""

import csv
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from backoffice_tui.store.database import Database
from tests.cli.support import assert_usage_error, fails, invoke, ok
from tests.services.test_insight import DAY, T0, Lab

PERIOD = ("--template", "Insight lab", "--from", "2026-10-26", "--to", "2026-11-29")


@pytest.fixture
def lab_url(demo_url: str, demo_db: Database) -> str:
    """Ten lab orders whose intake waited two days and took one."""
    lab = Lab(demo_db)
    for _ in range(10):
        item = lab.at(T0).order()[0]
        lab.start("tanaka", item, T0 + 2 * DAY)
        lab.done("tanaka", item, T0 + 3 * DAY)
    return demo_url


def test_flow_as_json_has_the_known_figures(lab_url: str) -> None:
    rows = json.loads(ok("--database", lab_url, "report", "flow", *PERIOD, "--json").stdout)
    intake = next(r for r in rows if r["step"] == "intake")
    assert intake["done"] == 10
    assert (intake["cycle_median_days"], intake["waiting_median_days"]) == (3.0, 2.0)
    assert intake["done 2026-11-02"] == 10
    build = next(r for r in rows if r["step"] == "build")
    assert (build["wip"], build["ready"]) == (10, 10)


def test_the_table_for_people_and_an_empty_report(lab_url: str) -> None:
    out = ok("--database", lab_url, "report", "sla", *PERIOD).stdout
    assert out.splitlines()[0].split()[:4] == ["service", "step", "name", "team"]
    assert any(line.split()[:2] == ["lab", "intake"] for line in out.splitlines())
    empty = ok("--database", lab_url, "report", "rework", *PERIOD).stdout
    assert empty == "nothing to report for template Insight lab; 2026-10-26 to 2026-11-29\n"


def test_csv_and_xlsx_files(lab_url: str, tmp_path: Path) -> None:
    target = tmp_path / "sla.csv"
    done = ok("--database", lab_url, "report", "sla", *PERIOD, "--output", str(target))
    assert "sla report" in done.stdout and str(target) in done.stdout
    with target.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    intake = next(r for r in rows if r["step"] == "intake")
    assert (intake["finished"], intake["hit"], intake["hit_rate_percent"]) == ("10", "10", "100.0")

    book = tmp_path / "flow.xlsx"
    ok("--database", lab_url, "report", "flow", *PERIOD, "--format", "xlsx", "--output", str(book))
    sheet = load_workbook(book, read_only=True).active
    header, *values = [list(row) for row in sheet.iter_rows(values_only=True)]
    intake_row = dict(zip(header, next(v for v in values if v[1] == "intake"), strict=True))
    assert intake_row["cycle_median_days"] == 3.0

    again = invoke("--database", lab_url, "report", "sla", *PERIOD, "--output", str(target))
    assert again.exit_code == 1 and "--force" in again.stderr
    ok("--database", lab_url, "report", "sla", *PERIOD, "--output", str(target), "--force")


def test_csv_to_standard_output(lab_url: str) -> None:
    out = ok(
        "--database", lab_url, "report", "automation", *PERIOD, "--format", "csv", "--output", "-"
    ).stdout
    header, first = out.splitlines()[:2]
    assert header == "service,template,version,transitions,by_rules,rate_percent"
    assert first.startswith("lab,Insight lab,1,")


def test_bad_input_is_one_line(lab_url: str) -> None:
    fails("--database", lab_url, "report", "flow", "--team", "nobody", contains="no team 'nobody'")
    fails("--database", lab_url, "report", "flow", "--from", "soon", contains="--from 'soon'")
    fails(
        "--database",
        lab_url,
        "report",
        "flow",
        "--from",
        "2026-12-01",
        "--to",
        "2026-11-01",
        contains="starts",
    )
    fails("--database", lab_url, "report", "compare", *PERIOD, contains="only version 1")
    fails("--database", lab_url, "report", "compare", contains="--template")
    fails("--database", lab_url, "report", "flow", "--before", "1", contains="compare report")
    assert_usage_error(invoke("--database", lab_url, "report", "nonsense"))
    assert_usage_error(invoke("--database", lab_url, "report", "flow", "--format", "xlsx"))
    assert_usage_error(
        invoke("--database", lab_url, "report", "flow", "--format", "xlsx", "--output", "-")
    )


# --- the process-mining log -----------------------------------------------------------

XES = "{http://www.xes-standard.org/}"


def test_process_log_as_xes_opens_as_traces_of_events(lab_url: str, tmp_path: Path) -> None:
    target = tmp_path / "lab.xes"
    done = ok(
        "--database",
        lab_url,
        "export",
        "process-log",
        "--template",
        "Insight lab",
        "--output",
        str(target),
    )
    assert "exported 30 events" in done.stdout and "(xes)" in done.stdout
    log = ElementTree.parse(target).getroot()
    assert log.tag == f"{XES}log"
    prefixes = {e.get("prefix") for e in log.findall(f"{XES}extension")}
    assert prefixes == {"concept", "time", "org", "lifecycle"}
    traces = log.findall(f"{XES}trace")
    assert len(traces) == 10
    first = traces[0]
    assert first.find(f"{XES}string").get("key") == "concept:name"
    assert first.find(f"{XES}string").get("value").startswith("LAB-0001/")
    events = [
        {a.get("key"): a.get("value") for a in event} for event in first.findall(f"{XES}event")
    ]
    assert [(e["concept:name"], e["lifecycle:transition"]) for e in events] == [
        ("Intake", "start"),
        ("Intake", "complete"),
        ("Build", "schedule"),
    ]
    assert events[0]["time:timestamp"] == "2026-11-04T09:00:00.000+00:00"
    assert events[0]["org:resource"] == "tanaka"


def test_process_log_as_csv_and_its_bad_input(lab_url: str, tmp_path: Path) -> None:
    out = ok(
        "--database",
        lab_url,
        "export",
        "process-log",
        "--template",
        "Insight lab",
        "--from",
        "2026-11-04",
        "--to",
        "2026-11-04",
    ).stdout
    header, *rows = list(csv.reader(out.splitlines()))
    assert header[:5] == ["case_id", "activity", "timestamp", "resource", "lifecycle"]
    assert {tuple(r[1:5]) for r in rows} == {
        ("Intake", "2026-11-04T09:00:00.000+00:00", "tanaka", "start")
    }
    assert len(rows) == 10
    fails("--database", lab_url, "export", "process-log", "--team", "nobody", contains="nobody")
    fails(
        "--database",
        lab_url,
        "export",
        "process-log",
        "--output",
        str(tmp_path / "log.txt"),
        contains=".csv or .xes",
    )
    assert not (tmp_path / "log.txt").exists()
    assert_usage_error(invoke("--database", lab_url, "export", "process-log", "--format", "pdf"))
