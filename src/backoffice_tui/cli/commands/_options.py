"""Options shared by many commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus, parse_status

if TYPE_CHECKING:
    from backoffice_tui.services.work.queue import QueueFilter

F = TypeVar("F", bound=Callable[..., Any])


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(function)


def queue_filter_options(function: F) -> F:
    """The filters of the work queue screen, as options (``queue list``, ``export queue``)."""
    options = [
        click.option("--team", help="Only this team's items."),
        click.option("--assignee", help="A login, 'me', or 'none' for unassigned items."),
        click.option(
            "--status",
            "statuses",
            multiple=True,
            help="Only these statuses (repeatable; 'all' for every one); default: every open one.",
        ),
        click.option("--customer", help="Only this customer's items (customer code)."),
        click.option("--overdue", is_flag=True, help="Only open items past their due date."),
        click.option("--text", help="Customer code, name or reading, order code or step."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def queue_filter_from(
    *,
    team: str | None,
    assignee: str | None,
    statuses: tuple[str, ...],
    customer: str | None,
    overdue: bool,
    text: str | None,
) -> QueueFilter:
    # here, not at the top: every command takes --json from this module, and
    # the queue's module loads the models
    from backoffice_tui.services.work.queue import QueueFilter

    if "all" in statuses:
        chosen = tuple(WorkStatus)
    else:
        chosen = tuple(parse_status(s) for s in statuses) or tuple(OPEN_STATUSES)
    return QueueFilter(
        team=team, assignee=assignee, statuses=chosen, overdue=overdue, customer=customer, text=text
    )
