"""Command-line tables: the id column always whole, rows cut to the terminal,
one row per line when piped."""

import re
import shutil
from pathlib import Path

import pytest
from rich.cells import cell_len

from backoffice_tui.cli.output import fit_columns, table_lines
from tests.cli.support import ok, ok_json
from tests.tui.pty_session import PtySession

HEADERS = ("ID", "CUSTOMER", "ORDER", "SERVICE", "STEP", "TEAM", "ASSIGNEE", "STATUS", "DUE")
ROWS = [
    (
        352 + n,
        f"C00{n:02d} 名古屋精工株式会社 第{n}工場",
        f"ORD-2026-00{n:02d}",
        "Custom work",
        "Customer acceptance and handoff",
        "maintenance",
        "ryan",
        "in_progress",
        "2026-10-19",
    )
    for n in range(5)
]


def test_fitting_keeps_the_first_column_whole_and_shrinks_the_widest_first() -> None:
    natural = [4, 30, 13, 11, 31]
    headers = ("ID", "CUSTOMER", "ORDER", "SERVICE", "STEP")
    widths = fit_columns(natural, headers, 64)
    assert widths[0] == 4
    assert sum(widths) + 2 * (len(widths) - 1) <= 64
    assert widths[2] == 13 and widths[3] == 11, "the narrower columns keep their width"
    assert fit_columns(natural, headers, 200) == natural


def test_fitting_drops_the_last_columns_when_shrinking_is_not_enough() -> None:
    widths = fit_columns([6, 20, 20, 20, 20], ("ID", "A", "B", "C", "D"), 24)
    assert widths[0] == 6
    assert widths[-1] == 0 and widths[1] > 0
    shown = [w for w in widths if w]
    assert sum(shown) + 2 * (len(shown) - 1) <= 24


@pytest.mark.parametrize("width", [60, 80, 100])
def test_a_table_fits_the_width_with_every_id(width: int) -> None:
    lines = table_lines(HEADERS, ROWS, width)
    assert lines[0].startswith("ID ")
    for line, row in zip(lines[1:], ROWS, strict=False):
        assert cell_len(line) <= width, line
        assert line.split()[0] == str(row[0]), line


def test_a_table_too_narrow_for_some_columns_says_which_are_left_out() -> None:
    lines = table_lines(HEADERS, ROWS, 40)
    assert all(cell_len(line) <= 40 for line in lines[:-1])
    assert lines[-1].startswith("(not shown for want of width: ") and "DUE" in lines[-1]
    assert [line.split()[0] for line in lines[1:-1]] == [str(r[0]) for r in ROWS]


def test_piped_rows_are_one_line_each_and_never_cut() -> None:
    lines = table_lines(HEADERS, ROWS, None)
    assert len(lines) == 1 + len(ROWS)
    for line, row in zip(lines[1:], ROWS, strict=True):
        assert line == line.rstrip()
        assert row[1] in line and row[4] in line and line.endswith(row[8])


def _demo_copy(tmp_path: Path, sqlite_templates: dict[bool, Path]) -> str:
    path = tmp_path / "demo.db"
    shutil.copyfile(sqlite_templates[True], path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("command", [("queue", "list"), ("approvals", "list")])
@pytest.mark.parametrize("columns", [80, 100])
def test_lists_on_a_terminal_show_every_id(
    tmp_path: Path, sqlite_templates: dict[bool, Path], command: tuple[str, str], columns: int
) -> None:
    url = _demo_copy(tmp_path, sqlite_templates)
    user = ("--database", url, "--user", "admin-ito")
    ids = [str(row["id"]) for row in ok_json(*user, *command)]
    assert ids
    session = PtySession([*user, *command], columns=columns)
    try:
        assert session.process.wait(60) == 0
        session.read(0.2)
    finally:
        session.close()
    text = re.sub(r"\x1b\[[0-9;]*m", "", session.output.decode())
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].split()[0] == "ID"
    assert [line.split()[0] for line in lines[1:]] == ids
    assert all(cell_len(line) <= columns for line in lines)


def test_lists_piped_are_one_row_per_line(
    tmp_path: Path, sqlite_templates: dict[bool, Path]
) -> None:
    url = _demo_copy(tmp_path, sqlite_templates)
    user = ("--database", url, "--user", "admin-ito")
    rows = ok_json(*user, "queue", "list")
    lines = ok(*user, "queue", "list").stdout.splitlines()
    assert len(lines) == 1 + len(rows)
    assert [line.split()[0] for line in lines[1:]] == [str(r["id"]) for r in rows]
