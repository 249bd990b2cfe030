"""``backoffice templates show`` and ``diff`` on two versions loaded here,
and ``templates list`` counting the open lines on each version."""

from pathlib import Path

from tests.cli.support import as_operator, fails, ok, ok_json

VERSION_1 = """
service = "site-survey"
name = "Site survey"
version = 1

[[steps]]
key = "book"
name = "Book the visit"
team = "sales-admin"
sla_days = 2

[[steps]]
key = "survey"
name = "Survey the site"
team = "design"
sla_days = 3
handoff = true
checklist = [{ key = "photos", label = "Photos taken" }]

[[steps]]
key = "report"
name = "Write the report"
team = "design"
sla_days = 2
"""

VERSION_2 = """
service = "site-survey"
name = "Site survey"
version = 2

[[steps]]
key = "book"
name = "Book the visit"
team = "sales-admin"
sla_days = 1

[[steps]]
key = "survey"
name = "Survey the site"
team = "build"
sla_days = 3
handoff = true
lead_may_override = true
checklist = [
    { key = "photos", label = "Photos taken" },
    { key = "power", label = "Power measured" },
]

[[steps.approval]]
name = "Survey review"
approvers = ["lead@design"]

[[steps]]
key = "quote"
name = "Quote the work"
team = "sales-admin"
sla_days = 1
"""


def load_both(url: str, tmp_path: Path) -> list[str]:
    admin = as_operator(url, "admin-ito")
    for number, text in enumerate((VERSION_1, VERSION_2), start=1):
        path = tmp_path / f"site-survey-{number}.toml"
        path.write_text(text, encoding="utf-8")
        ok(*admin, "templates", "load", str(path))
    return admin


def test_show_a_version(demo_url: str, tmp_path: Path) -> None:
    admin = load_both(demo_url, tmp_path)
    latest = ok_json(*admin, "templates", "show", "site-survey")
    assert latest["version"] == 2 and latest["loaded_by"] == "admin-ito"
    assert latest["open_lines"] == 0
    survey = latest["steps"][1]
    assert survey["team"] == "build" and survey["handoff"] and survey["lead_may_override"]
    assert survey["checklist_items"] == 2
    assert survey["approval"] == ["Survey review: lead@design (any one)"]
    first = ok_json(*admin, "templates", "show", "site-survey", "--version", "1")
    assert [s["key"] for s in first["steps"]] == ["book", "survey", "report"]
    text = ok(*admin, "templates", "show", "site-survey", "--version", "2").stdout
    assert "loaded by: admin-ito" in text and "yes, lead may override" in text
    fails(*admin, "templates", "show", "site-survey", "--version", "9", contains="no version 9")
    fails(*admin, "templates", "show", "nope", contains="no process template")


def test_diff_two_versions(demo_url: str, tmp_path: Path) -> None:
    admin = load_both(demo_url, tmp_path)
    diff = ok_json(*admin, "templates", "diff", "site-survey", "1", "2")
    assert diff["added"] == ["quote"] and diff["removed"] == ["report"]
    changed = {c["key"]: c["changes"] for c in diff["changed"]}
    assert changed["book"] == {"sla_days": [2, 1]}
    assert set(changed["survey"]) == {"team", "lead_may_override", "checklist_items", "approval"}
    assert changed["survey"]["team"] == ["design", "build"]
    text = ok(*admin, "templates", "diff", "site-survey", "1", "2").stdout.splitlines()
    assert text[0] == "site-survey version 1 -> 2"
    assert "+ quote" in text and "- report" in text and "~ book: sla_days 2 -> 1" in text
    fails(*admin, "templates", "diff", "cloud", "1", "1", contains="two different versions")
    fails(*admin, "templates", "diff", "site-survey", "1", "3", contains="no version 3")


def test_list_counts_open_lines(demo_url: str, tmp_path: Path) -> None:
    load_both(demo_url, tmp_path)
    rows = {
        (r["service"], r["version"]): r
        for r in ok_json("--database", demo_url, "templates", "list")
    }
    assert rows[("site-survey", 1)]["open_lines"] == 0
    assert rows[("cloud", 1)]["open_lines"] > 0
    header = ok("--database", demo_url, "templates", "list").stdout.splitlines()[0]
    assert header.split()[-2:] == ["OPEN", "LINES"]
