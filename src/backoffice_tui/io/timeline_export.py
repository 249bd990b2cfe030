"""A customer's timeline as a CSV, XLSX or JSON file: one row per event."""

from pathlib import Path

from backoffice_tui.io.writers import ExportFormat, write_file
from backoffice_tui.services.connection import Database
from backoffice_tui.services.customers.timeline import TimelineFilter
from backoffice_tui.services.exports import rows as exports


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
    table = exports.export_timeline(db, customer_code, timeline_filter, newest_first=newest_first)
    return write_file(path, fmt, table.title, table.columns, table.rows, force=force)


def default_export_path(customer_code: str, stamp: str, fmt: ExportFormat) -> Path:
    """Where the console writes a timeline: the current directory."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in customer_code)
    return Path.cwd() / f"timeline-{safe}-{stamp}.{fmt.value}"
