"""``backoffice report KIND``: the insight reports as a table, JSON, CSV or XLSX."""

import sys
from datetime import UTC, date, datetime

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.commands.exports import write_table
from backoffice_tui.cli.output import print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.written_dates import written_date
from backoffice_tui.io.writers import ExportFormat, write_stream
from backoffice_tui.services.insight.filters import InsightFilter
from backoffice_tui.services.insight.tables import REPORT_KINDS, report_table


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    day = written_date(text)
    if day is None:
        raise InvalidInput(f"{option} {text!r} is not a date (write it as YYYY-MM-DD)")
    return day


@click.command("report")
@click.argument("kind", type=click.Choice(REPORT_KINDS))
@click.option("--team", help="Only this team's steps (team code).")
@click.option("--service", help="Only this service's work (service code).")
@click.option("--template", help="Only this process template (its name or service code).")
@click.option("--from", "since", help="First day of the period (default: 12 weeks back).")
@click.option("--to", "until", help="Last day of the period (default: today).")
@click.option(
    "--by",
    type=click.Choice(["week", "month"]),
    default="week",
    show_default=True,
    help="Throughput per week or per month.",
)
@click.option("--before", type=click.IntRange(1), help="compare: the older version.")
@click.option("--after", type=click.IntRange(1), help="compare: the newer version.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ExportFormat]),
    help="Write csv, xlsx or json (default: from the --output file's name).",
)
@click.option("--output", "-o", help="The file to write; - for standard output (csv, json).")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@json_option
@pass_state
def report(
    state: CliState,
    kind: str,
    team: str | None,
    service: str | None,
    template: str | None,
    since: str | None,
    until: str | None,
    by: str,
    before: int | None,
    after: int | None,
    fmt: str | None,
    output: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Where work waits and for how long, SLAs, rework, approvals, automation.

    KIND is flow (work in progress, ageing, throughput, cycle time per step),
    sla (hit rate and breaches per step, each team on its own clock),
    at-risk (open items that used 75 % or more of their SLA), rework
    (send-backs, returned handoffs, reassignments), approvals (lead time per
    stage), approvers (decisions per approver, delegated share), compare
    (two versions of one --template) or automation (share of transitions
    made by rules).
    """
    wanted = InsightFilter(
        team=team,
        service=service,
        template=template,
        since=_day(since, "--from"),
        until=_day(until, "--to"),
        by=by,
    )
    if output is None and fmt in (ExportFormat.CSV.value, ExportFormat.XLSX.value):
        raise click.UsageError(f"--format {fmt} needs --output FILE (or - for csv)")
    table = report_table(
        state.database(), kind, wanted, datetime.now(UTC), before=before, after=after
    )
    if output is None:
        if as_json or fmt == ExportFormat.JSON.value:
            write_stream(sys.stdout, ExportFormat.JSON, table.columns, table.rows)
            return
        if not table.rows:
            period = "" if wanted.since or wanted.until else " in the period"
            say(f"nothing to report for {wanted.describe()}{period}")
            return
        print_table(table.columns, table.rows)
        return
    write_table(table, fmt, output, force, as_json, subject=f"the {kind} report: ")
