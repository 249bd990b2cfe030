"""Insight benchmark: every report over a million work items, and the first
paint of the Insights screen next to the Home screen's.

Run from the project root with the project's Python::

    python bench/bench_insight.py [--work-items 1000000] [--keep DIR] [--postgres URL]

In one run it measures:

1. each report (``backoffice report KIND``'s table, in-process, over all
   work and the default 12 weeks): one warm-up, then the slowest of
   ``--repeat`` runs; target: at most 2 s each, on SQLite and, with
   ``--postgres URL`` (a database already holding the generated data), on
   PostgreSQL too;
2. time from process start to the first painted screen, in an 80x24 pty:
   ``--screen home`` (the baseline: until the team load is drawn) and
   ``--screen insights`` (until its title line is drawn; the figures follow
   from a worker); target: Insights at most 1.5x Home, in the same run.

The SQLite database is ``backoffice demo generate``'s, in a temporary
directory or reused from ``--keep DIR`` (upgraded first if an older version
made it; the PostgreSQL one must be at the latest schema already). The
compare report needs two versions of one template, which generated data does
not have: when solution-pack has only its first, a second (its first step's
SLA a day longer) is loaded into each database, so that compare sets the
generated items of the first against the (still empty) second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_console import prepare
from report import heading, table, verdict
from tests.tui.pty_session import PtySession

from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.services.connection import open_database, upgrade_schema
from backoffice_tui.services.insight.filters import InsightFilter, template_versions
from backoffice_tui.services.insight.tables import REPORT_KINDS, report_table
from backoffice_tui.services.work.templates import load_templates
from backoffice_tui.store.database import Database

REPORT_TARGET_S = 2.0
PAINT_TARGET_RATIO = 1.5
USER = "yamamoto"  # a build operator in every generated database
BIG_DB = "insight.db"


COMPARED = "solution-pack"
TEMPLATE = Path(__file__).resolve().parents[1] / "sample_data" / "templates" / f"{COMPARED}.toml"


def load_second_version(db: Database) -> None:
    """A second version of the compared template, unless it has one."""
    with db.read() as session:
        if len(template_versions(session, COMPARED)) > 1:
            return
    text = TEMPLATE.read_text(encoding="utf-8")
    changed = text.replace("version = 1\n", "version = 2\n", 1)
    changed = changed.replace("sla_days = 1\n", "sla_days = 2\n", 1)
    assert changed.count("= 2\n") == text.count("= 2\n") + 2, "version 1, a one-day first step"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / TEMPLATE.name
        path.write_text(changed, encoding="utf-8")
        load_templates(db, "bench", [path])


def time_reports(url: str, repeat: int) -> list[tuple[str, float | None, str]]:
    """(kind, slowest seconds or None if skipped, rows or why skipped)."""
    db = open_database(url)
    now = datetime.now(UTC)
    results: list[tuple[str, float | None, str]] = []
    try:
        load_second_version(db)
        for kind in REPORT_KINDS:
            wanted = InsightFilter()
            if kind == "compare":
                wanted = InsightFilter(template=COMPARED)
            try:
                report_table(db, kind, wanted, now)  # warm-up
            except BackofficeError as error:
                results.append((kind, None, f"skipped: {error}"))
                continue
            times = []
            rows = 0
            for _ in range(repeat):
                started = time.perf_counter()
                rows = len(report_table(db, kind, wanted, now).rows)
                times.append(time.perf_counter() - started)
            results.append((kind, max(times), str(rows)))
    finally:
        db.dispose()
    return results


def first_paint(database: Path, screen: str, marker: bytes, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        session = PtySession(
            ["--database", f"sqlite:///{database}", "--user", USER, "--screen", screen],
            env={"BACKOFFICE_CONFIG": "/nonexistent/config.toml"},
        )
        try:
            times.append(session.wait_for(marker))
        finally:
            try:
                session.close()
            except subprocess.TimeoutExpired:  # still counting in its worker
                session.process.kill()
                session.process.wait()
    return times


def report_rows(label: str, results: list[tuple[str, float | None, str]]) -> list[list[object]]:
    return [
        [
            label,
            kind,
            "-" if seconds is None else f"{seconds:.2f}",
            rows,
            "-" if seconds is None else verdict(seconds <= REPORT_TARGET_S),
        ]
        for kind, seconds, rows in results
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-items", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Keep (and reuse) the database here.")
    parser.add_argument("--postgres", help="Also time the reports on this PostgreSQL URL.")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--paint-runs", type=int, default=3)
    options = parser.parse_args()

    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-insight-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / BIG_DB
    prepare(database, options.work_items)
    kept = open_database(f"sqlite:///{database}", check_schema=False)
    try:
        upgrade_schema(kept)  # a kept file made by an older version
    finally:
        kept.dispose()

    heading(f"reports over {options.work_items:,} work items (target <= {REPORT_TARGET_S} s)")
    results = report_rows("sqlite", time_reports(f"sqlite:///{database}", options.repeat))
    if options.postgres:
        results += report_rows("postgresql", time_reports(options.postgres, options.repeat))
    table(["backend", "report", "slowest s", "rows", "verdict"], results)

    heading(f"first paint in an 80x24 pty (target <= {PAINT_TARGET_RATIO}x home)")
    home = statistics.median(first_paint(database, "home", b"Team load", options.paint_runs))
    insights = statistics.median(
        first_paint(database, "insights", b"Flow (times", options.paint_runs)
    )
    ratio = insights / home
    table(
        ["screen", "median s", "ratio", "verdict"],
        [
            ["home", f"{home:.3f}", "1.00", "baseline"],
            ["insights", f"{insights:.3f}", f"{ratio:.2f}", verdict(ratio <= PAINT_TARGET_RATIO)],
        ],
    )
    summary = {
        "work_items": options.work_items,
        "reports": {f"{r[0]}:{r[1]}": r[2] for r in results},
        "first_paint": {"home": round(home, 3), "insights": round(insights, 3)},
        "paint_ratio": round(ratio, 2),
    }
    print()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
