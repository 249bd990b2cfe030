"""Exporting what a list shows, from the console: where to write is asked,
the format comes from the suffix, unknown ones are refused, and the file
holds the rows in the list's order with the columns shown."""

import csv
import json
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from textual.pilot import Pilot
from textual.widgets import Input, Label

from backoffice_tui.services.approvals.read import InboxSort, inbox_window
from backoffice_tui.services.customers.timeline import TimelineFilter, count_timeline
from backoffice_tui.services.work.queue import QueueFilter, QueueSort, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.approval_lists import reading_time
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.export_view import ExportDialog, target_of
from backoffice_tui.tui.screens.handoffs import HandoffsScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.workspace import workspace_of
from tests.helpers import MessageLog
from tests.tui.conftest import MakeApp, settle


async def export_to(pilot: Pilot[object], app: BackofficeApp, path: Path | str) -> ExportDialog:
    await pilot.press("ctrl+e")
    await settle(pilot)
    dialog = app.screen
    assert isinstance(dialog, ExportDialog)
    dialog.query_one(Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)
    return dialog


def problem_of(dialog: ExportDialog) -> str:
    return str(dialog.query_one("#problem", Label).render())


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


async def test_the_queue_exports_its_order_and_columns(
    console: MakeApp, demo_db: Database, tmp_path: Path
) -> None:
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(100, 30), message_hook=log.hook) as pilot:
        await settle(pilot)
        await pilot.press("2", "O")  # latest due first
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await export_to(pilot, app, tmp_path / "queue.csv")
        assert app.screen is screen
        rows = read_csv(tmp_path / "queue.csv")
        shown = [c.key for c in screen.table.visible_columns()]
        assert "team" not in shown  # too narrow a screen for it: not exported either
        assert "service" not in shown
        assert rows[0] == [
            "id",
            "customer",
            "customer name",
            "order",
            "step",
            "assignee",
            "status",
            "due",
        ]
        expected = list_queue(
            demo_db,
            workspace_of(screen).actor,
            QueueFilter(),
            today=date.today(),
            limit=10_000,
            sort=QueueSort.DUE,
            descending=True,
        )
        assert [int(r[0]) for r in rows[1:]] == [r.id for r in expected]
        assert rows[1][7] == expected[0].due.isoformat()
        assert log.notifications[-1] == f"Wrote {len(expected)} rows to {tmp_path / 'queue.csv'}"


async def test_bad_targets_are_refused_in_the_dialog_and_nothing_is_written(
    console: MakeApp, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    existing = out / "kept.csv"
    existing.write_text("mine", encoding="utf-8")
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        dialog = await export_to(pilot, app, out / "queue.pdf")
        assert app.screen is dialog
        assert "exports are .csv, .xlsx or .json" in problem_of(dialog)
        for target, problem in (
            (out / "nowhere" / "queue.csv", "there is no folder"),
            (existing, "exists; choose another name"),
            (out / "queue", "cannot tell the format"),
            ("   ", "give the file to write"),
        ):
            dialog.query_one(Input).value = str(target)
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is dialog
            assert problem in problem_of(dialog), target
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    assert [p.name for p in out.iterdir()] == ["kept.csv"]
    assert existing.read_text(encoding="utf-8") == "mine"


async def test_the_inbox_exports_to_xlsx_in_its_sort(
    console: MakeApp, demo_db: Database, tmp_path: Path
) -> None:
    app = console("sato")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "o")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # the subject
        await settle(pilot)
        workspace = workspace_of(app.screen)
        expected = inbox_window(
            demo_db, workspace.actor, reading_time(workspace), 0, 500, InboxSort.TITLE
        )
        await export_to(pilot, app, tmp_path / "inbox.xlsx")
    sheet = load_workbook(tmp_path / "inbox.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("due", "kind", "subject", "customer")
    assert [v[2] for v in values[1:]] == [r.title for r in expected]
    assert len(expected) >= 3


async def test_handoffs_export_as_json_and_the_timeline_as_csv(
    console: MakeApp, demo_db: Database, tmp_path: Path
) -> None:
    app = console("kimura")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoffsScreen)
        listed = [row.id for row in screen.rows]
        await export_to(pilot, app, tmp_path / "handoffs.json")
        written = json.loads((tmp_path / "handoffs.json").read_text(encoding="utf-8"))
        assert [entry["id"] for entry in written] == listed
        app.push_screen(CustomerScreen("C0006"))
        await settle(pilot)
        await export_to(pilot, app, tmp_path / "timeline.csv")
    rows = read_csv(tmp_path / "timeline.csv")
    assert rows[0][:3] == ["id", "at", "actor"]
    assert len(rows) - 1 == count_timeline(demo_db, "C0006", TimelineFilter())


def test_a_target_names_its_format_or_is_refused(tmp_path: Path) -> None:
    assert target_of(str(tmp_path / "a.XLSX"))[1].value == "xlsx"
    assert target_of(f"  {tmp_path / 'a.json'}  ")[0] == tmp_path / "a.json"
