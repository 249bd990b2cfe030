"""Choosing the columns of a list, kept per login; the id never drops."""

import json
from pathlib import Path

from textual.widgets import OptionList

from backoffice_tui.config.paths import state_dir
from backoffice_tui.tui.column_prefs import ColumnChoice, ColumnPrefs, apply_choices
from backoffice_tui.tui.screens.columns import ColumnsDialog
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.inbox_table import InboxTable
from backoffice_tui.tui.widgets.queue_table import QueueTable
from backoffice_tui.tui.widgets.table_header import TableHeader
from backoffice_tui.tui.widgets.virtual_table import customer_text, layout_columns
from tests.tui.conftest import MakeApp, settle


def header_text(screen: object) -> str:
    return screen.query_one(TableHeader).render_line(0).text  # type: ignore[attr-defined]


async def highlight(dialog: ColumnsDialog, key: str) -> None:
    options = dialog.query_one(OptionList)
    options.highlighted = next(
        i for i in range(options.option_count) if options.get_option_at_index(i).id == key
    )


async def test_columns_are_chosen_kept_per_login_and_restored(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert "ASSIGNEE" in header_text(screen) and "PRI" not in header_text(screen)
        await pilot.press("C")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ColumnsDialog)
        await highlight(dialog, "assignee")
        await pilot.press("space")  # hide
        await highlight(dialog, "priority")
        await pilot.press("space", "K", "K")  # show, and move it up two places
        await highlight(dialog, "customer")
        await pilot.press(*["plus"] * 6, "minus")  # five cells wider
        await highlight(dialog, "id")
        await pilot.press("space")  # the id always shows
        await settle(pilot)
        assert "[=] ID" in str(dialog.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        header = header_text(screen)
        assert "ASSIGNEE" not in header and "PRI" in header
        assert header.index("PRI") < header.index("STATUS")
        table = screen.query_one(QueueTable)
        keys = [c.key for c in table.columns]
        assert keys.index("priority") == keys.index("due") - 2
        assert next(c for c in table.columns if c.key == "customer").width == 17
        row = table.render_line(0).text
        assert row.split()[0] == str(table.current_row.id)
        assert f" {table.current_row.priority} " in row

    saved = json.loads((state_dir() / "columns.json").read_text(encoding="utf-8"))
    assert set(saved) == {"kimura"}
    again = console("kimura")
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert "PRI" in header_text(again.screen) and "ASSIGNEE" not in header_text(again.screen)
    other = console("sato")
    async with other.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert "ASSIGNEE" in header_text(other.screen)  # another login keeps the defaults


async def test_escape_leaves_the_columns_and_defaults_undo_a_choice(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", "C")
        await settle(pilot)
        await highlight(app.screen, "status")  # type: ignore[arg-type]
        await pilot.press("space", "escape")
        await settle(pilot)
        assert "STATUS" in header_text(app.screen)
        assert not (state_dir() / "columns.json").exists()
        await pilot.press("C")
        await settle(pilot)
        await highlight(app.screen, "status")  # type: ignore[arg-type]
        await pilot.press("space", "d", "enter")
        await settle(pilot)
        assert "STATUS" in header_text(app.screen)


async def test_the_inbox_has_its_own_columns(console: MakeApp) -> None:
    app = console("sato")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "C")
        await settle(pilot)
        await highlight(app.screen, "stage")  # type: ignore[arg-type]
        await pilot.press("space", "enter")
        await settle(pilot)
        table = app.screen.query_one(InboxTable)
        assert "stage" not in [c.key for c in table.columns]
        header = app.screen.query_one("#inbox-view TableHeader", TableHeader)
        assert "STAGE" not in header.render_line(0).text
    assert ColumnPrefs(state_dir(), "sato").get("approvals.inbox") is not None
    assert ColumnPrefs(state_dir(), "sato").get("queue") is None


def test_an_unreadable_or_odd_file_gives_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "columns.json"
    path.write_text("{not json", encoding="utf-8")
    prefs = ColumnPrefs(tmp_path, "kimura")
    assert prefs.get("queue") is None
    path.write_text(
        json.dumps(
            {
                "kimura": {
                    "queue": [
                        {"key": "due", "shown": True, "width": "wide"},
                        {"key": "gone", "shown": True, "width": 4},
                        {"key": "status", "shown": False, "width": 11},
                    ]
                }
            }
        ),
        encoding="utf-8",
    )
    choices = prefs.get("queue")
    assert choices == [ColumnChoice("gone", True, 4), ColumnChoice("status", False, 11)]
    columns = apply_choices(QueueTable.COLUMNS, choices)  # unknown keys are ignored
    keys = [c.key for c in columns]
    assert "status" not in keys and "gone" not in keys and keys[0] == "id"
    prefs.put("queue", None)
    assert prefs.get("queue") is None


def test_the_id_never_drops_and_wide_names_keep_their_column() -> None:
    chosen = apply_choices(
        QueueTable.COLUMNS,
        [ColumnChoice(c.key, True, c.width) for c in QueueTable.COLUMNS],  # every column
    )
    for width in (30, 50, 79, 100):
        laid = layout_columns(chosen, width)
        keys = [c.key for c, _ in laid]
        assert keys[0] == "id", width
        assert 1 + sum(w for _, w in laid) + len(laid) - 1 <= width or len(laid) == 1
        assert "customer" in keys or width < 30
    narrow = [c.key for c, _ in layout_columns(chosen, 50)]
    assert narrow[:2] == ["id", "customer"]  # the right end gives way first


def test_a_wide_name_takes_the_cells_before_the_customer_code() -> None:
    wide = "株式会社北斗ネットワークス"  # 26 cells
    assert customer_text("C0001", wide, 30) == wide
    assert customer_text("C0001", wide, 32) == f"C0001 {wide}"
    assert customer_text("C0001", "Orion", 24) == "C0001 Orion"
    assert customer_text("C0001", "Orion", 12) == "Orion"
    assert customer_text("C0001", "", 12) == "C0001"
