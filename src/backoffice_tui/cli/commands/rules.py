"""``backoffice rules``: run the automation rules now (for cron)."""

from datetime import UTC, datetime, timedelta

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.services.approvals.deadlines import (
    DEFAULT_EVERY_HOURS,
    overdue_text,
    remind_overdue,
)


@click.group()
def rules() -> None:
    """Automation rules: reminders to approvers of overdue stages."""


@rules.command("run")
@click.option(
    "--remind-every",
    "every_hours",
    default=DEFAULT_EVERY_HOURS,
    show_default=True,
    type=click.IntRange(1, 24 * 365),
    metavar="HOURS",
    help="Remind the approvers of a stage still overdue again after this many hours.",
)
@json_option
@pass_state
def run_command(state: CliState, every_hours: int, as_json: bool) -> None:
    """Run every rule once: remind the approvers of each overdue approval stage
    (once, then again every --remind-every hours while it stays overdue)."""
    reminders = remind_overdue(state.database(), datetime.now(UTC), every_hours)
    if as_json:
        print_json({"reminders": reminders})
        return
    count = len(reminders)
    say(f"remind-approvers: {count} reminder{'' if count == 1 else 's'} sent")
    if reminders:
        print_table(
            ("APPROVAL", "STAGE", "OVERDUE", "REMINDED", "SUBJECT"),
            (
                (
                    r.request_id,
                    f"{r.stage} {r.stage_name}",
                    overdue_text(timedelta(hours=r.overdue_hours)),
                    ", ".join(r.approvers) or "nobody can decide",
                    r.title,
                )
                for r in reminders
            ),
        )
