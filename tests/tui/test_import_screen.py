"""Importing from the console: a file, its dry-run report, then y to apply."""

from datetime import date
from pathlib import Path

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.io.writers import ExportFormat, write_file
from backoffice_tui.services.exports.rows import export_queue
from backoffice_tui.services.work.queue import QueueFilter, get_queue_row, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens.import_file import ImportScreen
from backoffice_tui.tui.widgets.path_suggester import PathSuggester
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from tests.io.files import write_csv
from tests.tui.conftest import MakeApp, settle


def build_item(db: Database) -> tuple[int, int]:
    """An in-progress build item and a priority it does not have."""
    (row,) = list_queue(
        db,
        None,
        QueueFilter(team="build", statuses=(WorkStatus.IN_PROGRESS,)),
        today=date.today(),
        limit=1,
    )
    return row.id, 1 if row.priority != 1 else 2


async def open_import(pilot, app, path: Path) -> ImportScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    screen = ImportScreen()
    app.push_screen(screen)
    await settle(pilot)
    screen.query_one("#path", QuietInput).value = str(path)
    await pilot.press("enter")
    await settle(pilot)
    return screen


async def test_check_then_apply_with_y(console: MakeApp, demo_db: Database, tmp_path: Path) -> None:
    item, priority = build_item(demo_db)
    path = write_csv(tmp_path / "変更.csv", [["id", "優先度"], [item, priority]])
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_import(pilot, app, path)
        text = "\n".join(screen.shown_lines)
        assert "0 would be created, 1 would be updated, 0 unchanged" in text
        assert "priority" in text and "→" in text
        assert get_queue_row(demo_db, item).priority != priority  # a dry run only
        await pilot.press("y")
        await settle(pilot)
        assert get_queue_row(demo_db, item).priority == priority
        assert "0 created, 1 updated, 0 unchanged" in "\n".join(screen.shown_lines)
        assert screen.ready is None
        await pilot.press("y")  # nothing left to apply
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportScreen)


async def test_bad_rows_are_shown_and_y_does_nothing(
    console: MakeApp, demo_db: Database, tmp_path: Path
) -> None:
    item, priority = build_item(demo_db)
    path = write_csv(
        tmp_path / "bad.csv", [["id", "priority"], [item, priority], [item + 10**6, 1]]
    )
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_import(pilot, app, path)
        text = "\n".join(screen.shown_lines)
        assert "Bad rows: 1 (nothing will be written)" in text
        assert f"row 3, id '{item + 10**6}': no work item {item + 10**6}" in text
        await pilot.press("y")
        await settle(pilot)
        assert get_queue_row(demo_db, item).priority != priority


async def test_a_file_that_cannot_be_read_says_why(console: MakeApp, tmp_path: Path) -> None:
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_import(pilot, app, tmp_path / "nowhere.xlsx")
        assert screen.shown_lines[0] == "Cannot import nowhere.xlsx:"
        assert "no file" in screen.shown_lines[1]


async def test_an_exported_workbook_round_trips(
    console: MakeApp, demo_db: Database, tmp_path: Path
) -> None:
    every = QueueFilter(team="build", statuses=tuple(WorkStatus))
    table = export_queue(demo_db, None, every, today=date.today())
    path = tmp_path / "queue.xlsx"
    write_file(path, ExportFormat.XLSX, "queue", table.columns, table.rows)
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_import(pilot, app, path)
        assert "would be updated, 0 unchanged" not in "\n".join(screen.shown_lines)
        assert "nothing to change" in str(screen.query_one("#hint").render())


async def test_a_mapping_file_reads_the_dates_and_ctrl_s_saves_the_one_found(
    console: MakeApp, demo_db: Database, tmp_path: Path
) -> None:
    item, _ = build_item(demo_db)
    path = write_csv(tmp_path / "due.csv", [["id", "due"], [item, "13/4/2027"]])
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_import(pilot, app, path)
        assert 'dates = "day-first" or "month-first"' in "\n".join(screen.shown_lines)
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = tmp_path / "due.mapping.toml"
        assert 'id = "id"' in saved.read_text(encoding="utf-8")
        mapping = screen.query_one("#mapping", QuietInput)
        assert mapping.value == str(saved)
        saved.write_text('dates = "day-first"\n' + saved.read_text(encoding="utf-8"), "utf-8")
        mapping.focus()
        await pilot.press("enter")
        await settle(pilot)
        text = "\n".join(screen.shown_lines)
        assert "0 would be created, 1 would be updated" in text and "2027-04-13" in text
        assert screen.checked_mapping is None  # a mapping given is not saved again
        await pilot.press("y")
        await settle(pilot)
        assert get_queue_row(demo_db, item).due == date(2027, 4, 13)


async def test_ctrl_s_never_overwrites_a_mapping(console: MakeApp, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["id", "priority"], [1, 2]])
    existing = tmp_path / "c.mapping.toml"
    existing.write_text("# mine\n", encoding="utf-8")
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_import(pilot, app, path)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert existing.read_text(encoding="utf-8") == "# mine\n"
        assert screen.query_one("#mapping", QuietInput).value == ""


async def test_paths_complete_as_they_are_typed(tmp_path: Path) -> None:
    (tmp_path / "受注一覧.xlsx").write_bytes(b"")
    (tmp_path / "notes.md").write_text("", encoding="utf-8")
    (tmp_path / "2026").mkdir()
    files = PathSuggester((".csv", ".xlsx"))
    assert await files.get_suggestion(f"{tmp_path}/受") == f"{tmp_path}/受注一覧.xlsx"
    assert await files.get_suggestion(f"{tmp_path}/no") is None  # not a spreadsheet
    assert await files.get_suggestion(f"{tmp_path}/20") == f"{tmp_path}/2026/"
    assert await files.get_suggestion(f"{tmp_path}/受注一覧.xlsx") is None  # complete already
    assert await files.get_suggestion("/nonexistent/x") is None
