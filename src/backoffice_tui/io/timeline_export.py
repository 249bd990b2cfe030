"""A customer's timeline as a CSV, XLSX or JSON file: one row per event."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backoffice_tui.io.writers import ExportFormat, write_file
from backoffice_tui.services.connection import Database
from backoffice_tui.services.timeline import TimelineFilter, count_timeline, iter_timeline

COLUMNS = ("id", "at", "actor", "team", "service", "order_code", "kind", "summary")


def timeline_rows(
    db: Database,
    customer_code: str,
    timeline_filter: TimelineFilter | None = None,
    *,
    newest_first: bool = False,
) -> Iterator[tuple[Any, ...]]:
    """The rows of the export, read a chunk at a time; an unknown customer
    fails here, before anything is written."""
    timeline_filter = timeline_filter or TimelineFilter()
    count_timeline(db, customer_code, timeline_filter)
    return (
        (e.id, e.at, e.actor, e.team, e.service, e.order_code, e.kind, e.summary)
        for e in iter_timeline(db, customer_code, timeline_filter, newest_first=newest_first)
    )


def export_timeline(
    db: Database,
    customer_code: str,
    path: Path,
    fmt: ExportFormat,
    *,
    timeline_filter: TimelineFilter | None = None,
    newest_first: bool = False,
    force: bool = False,
) -> int:
    """Write the (filtered) timeline to ``path``; returns the number of events."""
    rows = timeline_rows(db, customer_code, timeline_filter, newest_first=newest_first)
    return write_file(path, fmt, f"timeline {customer_code}", COLUMNS, rows, force=force)


def default_export_path(customer_code: str, stamp: str, fmt: ExportFormat) -> Path:
    """Where the console writes a timeline: the current directory."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in customer_code)
    return Path.cwd() / f"timeline-{safe}-{stamp}.{fmt.value}"
