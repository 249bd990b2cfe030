"""An import report as lines of plain text, for the console."""

from backoffice_tui.services.imports import BadRow, ImportReport

SHOWN = 200


def _bad(rows: list[BadRow], total: int) -> list[str]:
    lines = [f"  row {b.row}, {b.column} {b.value!r}: {b.reason}" for b in rows[:SHOWN]]
    if total > len(lines):
        lines.append(f"  … and {total - len(lines)} more")
    return lines


def report_lines(report: ImportReport, description: str, skipped: str | None = None) -> list[str]:
    state = "Imported" if report.applied else "Checked"
    lines = [f"{state} {report.rows} rows of {description}:", f"  {report.summary()}"]
    if skipped is not None:
        lines.append(f"  {skipped}")
    if report.bad_rows:
        lines += ["", f"Bad rows: {report.bad_rows} (nothing will be written)"]
        lines += _bad(report.problems, report.problems_total)
    if report.refused:
        lines += ["", f"Changed in the database since the export, left out: {report.refused}"]
        lines += _bad(report.refusals, report.refused)
    if report.changes and not report.applied:
        lines += ["", f"Changes: {report.changes_total}"]
        lines += [
            f"  row {c.row}  {c.item}  {c.field}  {c.old or '-'} → {c.new or '-'}"
            for c in report.changes[:SHOWN]
        ]
        if report.changes_total > min(len(report.changes), SHOWN):
            lines.append(f"  … and {report.changes_total - min(len(report.changes), SHOWN)} more")
    if report.created_keys and not report.applied:
        lines += ["", f"New: {report.created}"]
        lines += [f"  {key}" for key in report.created_keys[:SHOWN]]
        if report.created > min(len(report.created_keys), SHOWN):
            lines.append(f"  … and {report.created - min(len(report.created_keys), SHOWN)} more")
    return lines
