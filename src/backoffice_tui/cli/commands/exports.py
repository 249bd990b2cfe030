"""``backoffice export``: any view as CSV, XLSX or JSON."""

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from backoffice_tui.cli.commands._options import (
    json_option,
    queue_filter_from,
    queue_filter_options,
)
from backoffice_tui.cli.output import print_json, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.written_dates import written_date
from backoffice_tui.io.process_log import LogFormat, write_log, write_log_file
from backoffice_tui.io.writers import ExportFormat, chosen_format, write_file, write_stream
from backoffice_tui.services.exports.rows import (
    ExportTable,
    export_customers,
    export_events,
    export_queue,
    export_view,
)
from backoffice_tui.services.insight.process_log import process_log
from backoffice_tui.services.insight.tables import ReportTable

F = TypeVar("F", bound=Callable[..., Any])


def _output_options(function: F) -> F:
    for option in reversed(
        (
            click.option(
                "--format",
                "fmt",
                type=click.Choice([f.value for f in ExportFormat]),
                help="csv, xlsx or json (default: from the file name, else csv).",
            ),
            click.option(
                "--output",
                "-o",
                default="-",
                show_default=True,
                help="The file to write; - for standard output (csv and json).",
            ),
            click.option("--force", is_flag=True, help="Replace the output file if it exists."),
            json_option,
        )
    ):
        function = option(function)
    return function


def write_table(
    table: ExportTable | ReportTable,
    fmt: str | None,
    output: str,
    force: bool,
    as_json: bool,
    subject: str = "",
) -> None:
    """A table to FILE or standard output, in the format asked or its suffix's;
    ``subject`` names it in the line said (``the sla report: ``)."""
    chosen = chosen_format(fmt, output)
    if output == "-":
        if chosen == ExportFormat.XLSX:
            raise click.UsageError("XLSX cannot go to standard output; give --output FILE.xlsx")
        write_stream(sys.stdout, chosen, table.columns, table.rows)
        return
    path = Path(output)
    count = write_file(path, chosen, table.title, table.columns, table.rows, force=force)
    if as_json:
        print_json({"output": str(path), "format": chosen.value, "rows": count})
    else:
        say(f"exported {subject}{count} rows to {path} ({chosen.value})")


@click.group()
def export() -> None:
    """Write the queue, customers, events or a saved view as CSV, XLSX or JSON."""


@export.command("queue")
@queue_filter_options
@_output_options
@pass_state
def queue_command(
    state: CliState, /, fmt: str | None, output: str, force: bool, as_json: bool, **filters: Any
) -> None:
    """Work items as the queue lists them, with the id and version an import reads back."""
    queue_filter = queue_filter_from(**filters)
    actor = state.actor() if queue_filter.assignee == "me" else None
    table = export_queue(state.database(), actor, queue_filter, today=date.today())
    write_table(table, fmt, output, force, as_json)


@export.command("customers")
@click.option("--search", help="Match code, name or reading (any width, any kana).")
@_output_options
@pass_state
def customers_command(
    state: CliState, search: str | None, fmt: str | None, output: str, force: bool, as_json: bool
) -> None:
    """Customers by code, in the columns an import of customers reads back."""
    write_table(export_customers(state.database(), search), fmt, output, force, as_json)


@export.command("events")
@click.option("--customer", help="Only this customer's events (customer code).")
@click.option("--since", "since_id", default=0, type=click.IntRange(0), help="After this id.")
@_output_options
@pass_state
def events_command(
    state: CliState,
    customer: str | None,
    since_id: int,
    fmt: str | None,
    output: str,
    force: bool,
    as_json: bool,
) -> None:
    """Events, oldest first."""
    table = export_events(state.database(), customer=customer, since=since_id)
    write_table(table, fmt, output, force, as_json)


@export.command("view")
@click.argument("name")
@_output_options
@pass_state
def view_command(
    state: CliState, name: str, fmt: str | None, output: str, force: bool, as_json: bool
) -> None:
    """A saved view: your own, or one shared with your teams."""
    table = export_view(state.database(), state.actor(), name, today=date.today())
    write_table(table, fmt, output, force, as_json)


@export.command("process-log")
@click.option(
    "--format",
    "log_format",
    type=click.Choice([f.value for f in LogFormat]),
    help="csv or xes (default: from the file name, else csv).",
)
@click.option(
    "--output",
    "-o",
    default="-",
    show_default=True,
    help="The file to write; - for standard output.",
)
@click.option("--team", help="Only this team's steps (team code).")
@click.option("--service", help="Only this service's work (service code).")
@click.option("--template", help="Only this process template (its name or service code).")
@click.option("--from", "since", help="Only events from this day on.")
@click.option("--to", "until", help="Only events up to this day.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@json_option
@pass_state
def process_log_command(
    state: CliState,
    log_format: str | None,
    output: str,
    team: str | None,
    service: str | None,
    template: str | None,
    since: str | None,
    until: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """The work's event log for process mining: case id (order line), activity
    (step), timestamp, resource and lifecycle, as CSV or XES."""
    if log_format is None:
        suffix = Path(output).suffix.lower().lstrip(".") if output != "-" else ""
        if suffix and suffix not in {f.value for f in LogFormat}:
            raise InvalidInput(f"cannot write {Path(output).name}: a process log is .csv or .xes")
        log_format = suffix or LogFormat.CSV.value
    chosen = LogFormat(log_format)
    log = process_log(
        state.database(),
        team=team,
        service=service,
        template=template,
        since=_log_day(since, "--from"),
        until=_log_day(until, "--to"),
    )
    if output == "-":
        write_log(sys.stdout, chosen, log.columns, log.rows)
        return
    path = Path(output)
    count = write_log_file(path, chosen, log.columns, log.rows, force=force)
    if as_json:
        print_json({"output": str(path), "format": chosen.value, "events": count})
    else:
        say(f"exported {count} events to {path} ({chosen.value})")


def _log_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    day = written_date(text)
    if day is None:
        raise InvalidInput(f"{option} {text!r} is not a date (write it as YYYY-MM-DD)")
    return day
