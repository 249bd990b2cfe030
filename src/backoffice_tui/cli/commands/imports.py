"""``backoffice import``: customers, orders and work item changes from CSV or XLSX.

Without ``--dry-run`` on an interactive terminal, the file is checked
first, the report and the changes are shown, and the import runs only when
confirmed. ``--yes`` skips the question; so do ``--json`` and a
non-interactive run (a script), which apply at once, except that rows
changed in the database since the export then refuse the whole import
unless ``--yes`` confirms leaving them out.
"""

import csv
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.importing import PreparedImport, Progress, prepare_import
from backoffice_tui.io.mapping_text import template_text
from backoffice_tui.services.imports import (
    BadRow,
    ImportOptions,
    ImportRejected,
    ImportReport,
    RecordKind,
    check_import,
    run_import,
)

KINDS = [k.value for k in RecordKind]


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


class _ErrorsFile:
    """Every bad row of one pass as CSV (UTF-8 with BOM, for Excel)."""

    def __init__(self, path: Path) -> None:
        try:
            self._stream: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        except OSError as error:
            raise InvalidInput(f"cannot write {path}: {error.strerror}") from None
        self._writer = csv.writer(self._stream)
        self._writer.writerow(("row", "column", "value", "reason"))

    def __call__(self, bad: BadRow) -> None:
        self._writer.writerow((bad.row, bad.column, bad.value, bad.reason))

    def close(self) -> None:
        self._stream.close()


def _run_pass(
    action: Callable[[ImportOptions, Progress | None], ImportReport],
    options: ImportOptions,
    errors: Path | None,
    label: str,
) -> ImportReport:
    """One pass over the file, with a progress bar on a terminal and the
    ``--errors`` file written afresh."""
    sink = _ErrorsFile(errors) if errors is not None else None
    if sink is not None:
        options = replace(options, on_problem=sink)
    try:
        if not sys.stderr.isatty():
            return action(options, None)
        with click.progressbar(length=1, label=label, file=sys.stderr) as bar:

            def progress(position: int, size: int | None) -> None:
                bar.length = size or max(position, 1)
                bar.update(position - bar.pos)

            return action(options, progress)
    finally:
        if sink is not None:
            sink.close()


def _print_rows(title: str, rows: list[BadRow], listed_all: bool) -> None:
    if not rows:
        return
    say(title if listed_all else f"{title}; the first {len(rows)} problems:")
    print_table(
        ("ROW", "COLUMN", "VALUE", "REASON"), ((b.row, b.column, b.value, b.reason) for b in rows)
    )


def print_report(report: ImportReport, prepared: PreparedImport) -> None:
    listed_all = report.problems_total == len(report.problems)
    _print_rows(f"bad rows: {report.bad_rows}", report.problems, listed_all)
    refused = f"refused, changed in the database since the export: {report.refused}"
    _print_rows(refused, report.refusals, report.refused == len(report.refusals))
    if report.changes and not report.applied:
        shown = len(report.changes)
        more = f", the first {shown}" if report.changes_total > shown else ""
        say(f"changes: {report.changes_total}{more}")
        print_table(
            ("ROW", "ITEM", "FIELD", "OLD", "", "NEW"),
            ((c.row, c.item, c.field, c.old, "→", c.new) for c in report.changes),
        )
    if report.created_keys:
        first_keys = ", ".join(report.created_keys[:20])
        more = f" and {report.created - 20} more" if report.created > 20 else ""
        say(f"new: {first_keys}{more}")
    skipped = prepared.skipped_text()
    if skipped is not None:
        say(skipped)
    state = "imported" if report.applied else "checked"
    say(f"{state} {report.rows} rows of {prepared.description}: {report.summary()}")


def _emit(
    report: ImportReport, prepared: PreparedImport, as_json: bool, mapping: str | None
) -> None:
    if as_json:
        print_json(
            {
                "mapping": mapping,
                "source": prepared.description,
                "report": report,
                "skipped": dict(prepared.skipped),
            }
        )
    else:
        print_report(report, prepared)


@click.command("import")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--as", "kind", type=click.Choice(KINDS), help="What the rows are.")
@click.option("--mapping", type=click.Path(path_type=Path), help="A mapping file (TOML).")
@click.option("--dry-run", is_flag=True, help="Check and show the changes; write nothing.")
@click.option(
    "--update-only", is_flag=True, help="Never create, only update (work-items always are)."
)
@click.option("--sheet", help="XLSX: the sheet to read (default: the active one).")
@click.option("--encoding", help="CSV: utf-8, utf-8-sig or cp932 (default: detected).")
@click.option("--errors", type=click.Path(path_type=Path), help="Write every bad row to this CSV.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--template", type=click.Choice(KINDS), help="Print a commented mapping and stop.")
@json_option
@pass_state
def import_command(
    state: CliState,
    file: Path | None,
    kind: str | None,
    mapping: Path | None,
    dry_run: bool,
    update_only: bool,
    sheet: str | None,
    encoding: str | None,
    errors: Path | None,
    yes: bool,
    template: str | None,
    as_json: bool,
) -> None:
    """Import FILE (CSV or XLSX) as customers, orders or work item changes.

    All or nothing: one bad row and nothing is written; every bad row is
    listed (and written to --errors FILE). Re-importing the same file
    changes nothing.
    """
    if template is not None:
        click.echo(template_text(RecordKind(template)), nl=False)
        return
    if file is None or kind is None:
        raise click.UsageError("give FILE and --as KIND (or --template KIND)")
    prepared = prepare_import(
        file, RecordKind(kind), mapping_path=mapping, sheet=sheet, encoding=encoding
    )
    with prepared:
        _import(prepared, state, mapping is None, dry_run, update_only, errors, yes, as_json)


def _import(
    prepared: PreparedImport,
    state: CliState,
    print_mapping: bool,
    dry_run: bool,
    update_only: bool,
    errors: Path | None,
    yes: bool,
    as_json: bool,
) -> None:
    chosen = prepared.mapping_text() if print_mapping else None
    if chosen is not None and not as_json:
        click.echo(chosen)
    ctx = state.context()
    base = ImportOptions(update_only=update_only)

    def check(options: ImportOptions, progress: Progress | None) -> ImportReport:
        return check_import(ctx, prepared.source(progress), options)

    def apply(options: ImportOptions, progress: Progress | None) -> ImportReport:
        return run_import(ctx, prepared.source(progress), options)

    try:
        if dry_run or (_interactive() and not yes and not as_json):
            report = _run_pass(check, base, errors, "checking")
            if not report.ok:
                raise ImportRejected(report, f"{report.bad_rows} bad rows; nothing was written")
            if dry_run or not (report.created or report.updated):
                _emit(report, prepared, as_json, chosen)
                return
            print_report(report, prepared)
            question = f"apply {report.created} new and {report.updated} changed records"
            if report.refused:
                question += f", leaving the {report.refused} refused rows as they are"
            if not click.confirm(question + "?", default=False):
                say("nothing was written")
                return
            options = ImportOptions(
                update_only=update_only, skip_stale=True, expected_digest=report.digest
            )
            report = _run_pass(apply, options, None, "importing")
        else:
            options = ImportOptions(update_only=update_only, skip_stale=yes)
            report = _run_pass(apply, options, errors, "importing")
    except ImportRejected as rejected:
        _emit(rejected.report, prepared, as_json, chosen)
        raise
    _emit(report, prepared, as_json, chosen)
