"""``backoffice queue``: list work items and act on them."""

from datetime import date
from typing import Any

import click

from backoffice_tui.cli.commands._options import (
    json_option,
    queue_filter_from,
    queue_filter_options,
)
from backoffice_tui.cli.output import print_facts, print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.io.values import typed_date
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.edits import edit_item
from backoffice_tui.services.work.queue import QueueRow, get_queue_row, list_queue
from backoffice_tui.services.work.take_next import nothing_ready, take_next

_COLUMNS = ("ID", "CUSTOMER", "ORDER", "SERVICE", "STEP", "TEAM", "ASSIGNEE", "STATUS", "DUE")


def _table_row(row: QueueRow) -> tuple[object, ...]:
    return (
        row.id,
        f"{row.customer_code} {row.customer_name}",
        row.order_code,
        row.service,
        row.step,
        row.team,
        row.assignee,
        row.status,
        row.due,
    )


@click.group()
def queue() -> None:
    """The work queue: list items, claim, start, finish, block."""


@queue.command("list")
@queue_filter_options
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@pass_state
def list_command(state: CliState, /, limit: int, as_json: bool, **filters: Any) -> None:
    """List work items, earliest due first."""
    queue_filter = queue_filter_from(**filters)
    actor = state.actor() if queue_filter.assignee == "me" else None
    rows = list_queue(
        state.database(),
        actor,
        queue_filter,
        today=date.today(),
        limit=limit,
    )
    if as_json:
        print_json(rows)
    else:
        print_table(_COLUMNS, (_table_row(r) for r in rows))


@queue.command("show")
@click.argument("item_id", type=int)
@json_option
@pass_state
def show_command(state: CliState, item_id: int, as_json: bool) -> None:
    """Show one work item."""
    row = get_queue_row(state.database(), item_id)
    if as_json:
        print_json(row)
    else:
        print_facts(
            [
                ("id", row.id),
                ("customer", f"{row.customer_code} {row.customer_name}"),
                ("order", row.order_code),
                ("service", row.service),
                ("step", row.step),
                ("team", row.team),
                ("assignee", row.assignee),
                ("status", row.status),
                ("priority", row.priority),
                ("due", row.due),
                ("version", row.version),
            ]
        )


_expect_version = click.option(
    "--expect-version",
    type=int,
    help="Refuse if the item's version is no longer this one (someone changed it).",
)


def _report(state: CliState, item_id: int, verb: str, as_json: bool) -> None:
    row = get_queue_row(state.database(), item_id)
    if as_json:
        print_json(row)
    else:
        say(
            f"{verb} work item {row.id}: {row.step} of {row.order_code} is {row.status}"
            f" (assignee {row.assignee or 'none'}, version {row.version})"
        )


def _simple_action(name: str, action, verb: str, help_text: str) -> None:  # type: ignore[no-untyped-def]
    @queue.command(name, help=help_text)
    @click.argument("item_id", type=int)
    @_expect_version
    @json_option
    @pass_state
    def command(state: CliState, item_id: int, expect_version: int | None, as_json: bool) -> None:
        action(state.context(), item_id, expect_version)
        _report(state, item_id, verb, as_json)


_simple_action("claim", work_items.claim, "claimed", "Take an unassigned item.")
_simple_action("release", work_items.release, "released", "Give an item back to the team.")
_simple_action("start", lifecycle.start, "started", "Start a ready item (claims it if free).")
_simple_action("done", lifecycle.done, "finished", "Finish an item; the next step becomes ready.")
_simple_action("unblock", work_items.unblock, "unblocked", "Unblock an item.")


def _reason_action(name: str, action, verb: str, help_text: str) -> None:  # type: ignore[no-untyped-def]
    @queue.command(name, help=help_text)
    @click.argument("item_id", type=int)
    @click.option("--reason", required=True, help="Why (required).")
    @_expect_version
    @json_option
    @pass_state
    def command(
        state: CliState, item_id: int, reason: str, expect_version: int | None, as_json: bool
    ) -> None:
        action(state.context(), item_id, reason, expect_version)
        _report(state, item_id, verb, as_json)


_reason_action("block", work_items.block, "blocked", "Block an item, saying why.")
_reason_action("skip", lifecycle.skip, "skipped", "Skip a step, saying why (leads).")


@queue.command("assign")
@click.argument("item_id", type=int)
@click.argument("login")
@_expect_version
@json_option
@pass_state
def assign_command(
    state: CliState, item_id: int, login: str, expect_version: int | None, as_json: bool
) -> None:
    """Give an item to a member of its team (leads)."""
    work_items.assign(state.context(), item_id, login, expect_version)
    _report(state, item_id, "assigned", as_json)


@queue.command("edit")
@click.argument("item_id", type=int)
@click.option("--due", metavar="DATE", help="New due date (2026-12-14, 2026/12/14, ...).")
@click.option("--priority", type=click.IntRange(1, 4), help="1 (urgent) to 4 (low).")
@click.option("--title", help="The step's own title; an empty one goes back to the step's name.")
@click.option("--reason", required=True, help="Why (required; kept with the change).")
@_expect_version
@json_option
@pass_state
def edit_command(
    state: CliState,
    item_id: int,
    due: str | None,
    priority: int | None,
    title: str | None,
    reason: str,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Change a step's due date or title (leads of its team) or priority (and its assignee)."""
    due_on = typed_date(due, "--due") if due is not None else None
    edit_item(
        state.context(),
        item_id,
        due_on=due_on,
        priority=priority,
        title=title,
        reason=reason,
        expected_version=expect_version,
    )
    _report(state, item_id, "edited", as_json)


@queue.command("note")
@click.argument("item_id", type=int)
@click.argument("text")
@json_option
@pass_state
def note_command(state: CliState, item_id: int, text: str, as_json: bool) -> None:
    """Add a note to an item."""
    note_id = work_items.add_note(state.context(), item_id, text)
    if as_json:
        print_json({"work_item": item_id, "note": note_id})
    else:
        say(f"note {note_id} added to work item {item_id}")


@queue.command("next")
@json_option
@pass_state
def next_command(state: CliState, as_json: bool) -> None:
    """Take the next one: claim and start the next ready item of my teams
    (due first, then priority, then id)."""
    ctx = state.context()
    row = take_next(ctx)
    if as_json:
        print_json(row)
    elif row is None:
        say(nothing_ready(ctx))
    else:
        _report(state, row.id, "took", as_json)
