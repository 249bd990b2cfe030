"""ASCII mode draws no ambiguous-width or wide glyph, whatever the screen or the
data holds; NO_COLOR sends no colour code and still shows the cursor."""

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlalchemy import select

from backoffice_tui.services.events import record_event
from backoffice_tui.store.database import Database
from backoffice_tui.store.models.customers import Customer
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.ascii_glyphs import ASCII_TABLE
from tests.tui.conftest import MakeApp, settle
from tests.tui.pty_session import PtySession

ON_SQLITE = pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)

ARROW_SUMMARY = "due 2026-12-01 → 2026-12-09 " + "and a long explanation " * 8


def test_each_ascii_replacement_takes_the_cells_of_its_glyph() -> None:
    for name, ascii in ASCII_TABLE.items():
        assert ascii.isascii()
        assert cell_len(ascii) == cell_len(chr(name)), hex(name)


def _add_arrow_event(db: Database) -> None:
    with db.write() as session:
        customer = session.scalars(select(Customer).where(Customer.code == "C0001")).one()
        record_event(
            session,
            "rule:test",
            datetime.now(UTC),
            entity="customer",
            entity_id=customer.id,
            kind="customer.changed",
            summary=ARROW_SUMMARY,
            customer_id=customer.id,
        )


def _screen_text(app: BackofficeApp) -> str:
    """What the screen shows, as text (the screenshot's spans, unescaped)."""
    spans = re.findall(r"<text [^>]*>([^<]*)</text>", app.export_screenshot())
    return html.unescape("".join(spans)).replace("\xa0", " ")


def _drawn_glyphs(app: BackofficeApp) -> set[str]:
    return {char for char in _screen_text(app) if ord(char) in ASCII_TABLE}


@ON_SQLITE
async def test_ascii_mode_replaces_glyphs_from_data_cut_text_and_the_palette(
    console: MakeApp, demo_db: Database
) -> None:
    _add_arrow_event(demo_db)
    app = console(ascii_borders=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4", *"C0001", "enter")
        await settle(pilot)
        assert "due 2026-12-01 > 2026-12" in _screen_text(app)  # the event, its arrow in ASCII
        assert _drawn_glyphs(app) == set()
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert _drawn_glyphs(app) == set()  # no search icon, no box glyph


@ON_SQLITE
async def test_without_ascii_mode_the_glyphs_stay(console: MakeApp, demo_db: Database) -> None:
    _add_arrow_event(demo_db)
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4", *"C0001", "enter")
        await settle(pilot)
        assert "due 2026-12-01 → 2026-12" in _screen_text(app)


COLOUR_CODE = re.compile(rb"\x1b\[[0-9;]*(?:38|48);[25];[0-9;]*m")
REVERSE = re.compile(rb"\x1b\[(?:[0-9]+;)*7(?:;[0-9]+)*m")


def _session_bytes(url: str, env: dict[str, str]) -> bytes:
    session = PtySession(["--database", url, "--user", "kimura"], env=env)
    try:
        session.wait_for(b"My queue", b"Team load", timeout=30)
        session.send(b"2")
        session.wait_for(b"sorted by due date", timeout=15)
        session.send(b"j")
        session.quiet(0.3)
        return bytes(session.output)
    finally:
        session.close()


@ON_SQLITE
def test_no_color_sends_no_colour_code_and_shows_the_cursor_in_reverse(
    demo_url: str, tmp_path: Path
) -> None:
    coloured = _session_bytes(demo_url, {})
    assert COLOUR_CODE.search(coloured)  # the same session in colour has them
    plain = _session_bytes(demo_url, {"NO_COLOR": "1"})
    assert not COLOUR_CODE.search(plain)
    assert REVERSE.search(plain)
    assert b"\x1b[4" in plain or re.search(rb"\x1b\[(?:[0-9]+;)*4(?:;[0-9]+)*m", plain)


@ON_SQLITE
async def test_no_color_marks_overdue_by_underline(
    console: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color and app.has_class("-nocolor")
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("VirtualTable")
        alert = table.get_component_rich_style("virtual-table--alert")
        cursor = table.get_component_rich_style("virtual-table--cursor")
        assert alert.underline and alert.bold
        assert cursor.reverse
