"""``backoffice handoffs``: checklists handed from one team to the next."""

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_facts, print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.services.handoffs import actions as handoff_actions
from backoffice_tui.services.handoffs import checklist as handoffs_checklist
from backoffice_tui.services.handoffs import documents as handoff_documents
from backoffice_tui.services.handoffs.read import (
    Direction,
    HandoffDetail,
    HandoffFilter,
    handoff_detail,
    list_handoffs,
    parse_states,
)

_COLUMNS = ("ID", "STATE", "FROM", "TO", "CUSTOMER", "ORDER", "SERVICE", "OPEN", "SUBMITTED")


@click.group()
def handoffs() -> None:
    """Handoffs between teams: list, show, answer the checklist, submit, accept, return."""


@handoffs.command("list")
@click.option("--incoming", "direction", flag_value="incoming", help="To my teams (default).")
@click.option("--outgoing", "direction", flag_value="outgoing", help="From my teams.")
@click.option("--all", "direction", flag_value="all", help="Between any teams.")
@click.option(
    "--state",
    "states",
    default="open",
    show_default=True,
    help="open, all, or draft, submitted, returned, accepted (comma-separated).",
)
@click.option("--team", help="A team code: to it (incoming), from it (outgoing) or either (all).")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@pass_state
def list_command(
    state: CliState,
    direction: str | None,
    states: str,
    team: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List handoffs: submitted first, then returned, drafts and accepted ones.

    Without --team, incoming and outgoing mean to and from your own teams."""
    handoff_filter = HandoffFilter(
        direction=Direction(direction or "incoming"), states=parse_states(states), team=team
    )
    actor = state.actor() if handoff_filter.direction != Direction.ALL and not team else None
    rows = list_handoffs(state.database(), actor, handoff_filter, limit)
    if as_json:
        print_json(rows)
        return
    print_table(
        _COLUMNS,
        (
            (
                r.id,
                r.state,
                r.from_team,
                r.to_team,
                f"{r.customer_code} {r.customer_name}",
                r.order_code,
                r.service,
                r.open_required or "",
                r.submitted_at,
            )
            for r in rows
        ),
    )


def _print_detail(detail: HandoffDetail) -> None:
    print_facts(
        [
            ("handoff", detail.id),
            ("state", detail.state),
            ("from", f"{detail.from_team} ({', '.join(detail.from_members)})"),
            ("to", f"{detail.to_team} ({', '.join(detail.to_members)})"),
            ("customer", f"{detail.customer_code} {detail.customer_name}"),
            ("order", f"{detail.order_code} {detail.service}"),
            ("step", f"{detail.step} (work item {detail.work_item_id}, {detail.work_item_status})"),
            ("version", detail.version),
        ]
    )
    if detail.state == "returned" and detail.return_reason:
        print_facts([("returned because", detail.return_reason)])
    blocking = detail.blocking_items
    if detail.state in ("draft", "returned"):
        names = ", ".join(f"{i.key}" for i in blocking)
        say(f"blocks submission: {names}" if blocking else "ready to submit")
    click.echo()
    print_table(
        ("KEY", "REQUIRED", "KIND", "ANSWER", "BY", "AT", "VERSION"),
        (
            (
                i.key,
                "required" if i.required else "optional",
                i.kind,
                i.answer,
                i.by,
                i.at,
                i.version,
            )
            for i in detail.items
        ),
    )
    for document in detail.documents:
        click.echo()
        say(f"document {document.id}: {document.title}")
        print_table(
            ("REV", "LOCATION", "NOTE", "BY", "AT"),
            ((r.revision, r.location, r.note, r.by, r.at) for r in document.revisions),
        )


@handoffs.command("show")
@click.argument("handoff_id", type=int)
@json_option
@pass_state
def show_command(state: CliState, handoff_id: int, as_json: bool) -> None:
    """Show one handoff: checklist, documents with every revision, both teams."""
    detail = handoff_detail(state.database(), handoff_id)
    if as_json:
        print_json(detail)
    else:
        _print_detail(detail)


@handoffs.command("answer")
@click.argument("handoff_id", type=int)
@click.argument("item_key")
@click.argument("value")
@click.option(
    "--expect-version",
    type=int,
    help="Refuse if the item's version is no longer this one (someone changed it).",
)
@json_option
@pass_state
def answer_command(
    state: CliState,
    handoff_id: int,
    item_key: str,
    value: str,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Answer one checklist item: yes/no for a check, the text or link otherwise;
    an empty VALUE clears it."""
    handoffs_checklist.answer_item_by_key(
        state.context(), handoff_id, item_key, value, expect_version
    )
    detail = handoff_detail(state.database(), handoff_id)
    item = next(i for i in detail.items if i.key == item_key)
    if as_json:
        print_json(item)
    elif item.answered:
        say(f"handoff {handoff_id}: {item.key} = {item.answer} (version {item.version})")
    else:
        say(f"handoff {handoff_id}: {item.key} cleared (version {item.version})")


def _report(state: CliState, handoff_id: int, verb: str, as_json: bool) -> None:
    detail = handoff_detail(state.database(), handoff_id)
    if as_json:
        print_json(detail)
    else:
        say(
            f"{verb} handoff {detail.id} of {detail.order_code} ({detail.service}): "
            f"{detail.from_team} -> {detail.to_team}, now {detail.state}"
        )


_expect_handoff_version = click.option(
    "--expect-version",
    type=int,
    help="Refuse if the handoff's version is no longer this one (someone changed it).",
)


@handoffs.command("submit")
@click.argument("handoff_id", type=int)
@_expect_handoff_version
@json_option
@pass_state
def submit_command(
    state: CliState, handoff_id: int, expect_version: int | None, as_json: bool
) -> None:
    """Send the handoff to the receiving team (every required item answered)."""
    handoff_actions.submit(state.context(), handoff_id, expect_version)
    _report(state, handoff_id, "submitted", as_json)


@handoffs.command("accept")
@click.argument("handoff_id", type=int)
@_expect_handoff_version
@json_option
@pass_state
def accept_command(
    state: CliState, handoff_id: int, expect_version: int | None, as_json: bool
) -> None:
    """Accept a submitted handoff: its step is done and your team's step is ready."""
    handoff_actions.accept(state.context(), handoff_id, expect_version)
    _report(state, handoff_id, "accepted", as_json)


@handoffs.command("return")
@click.argument("handoff_id", type=int)
@click.option("--reason", required=True, help="What the sending team must fix (required).")
@_expect_handoff_version
@json_option
@pass_state
def return_command(
    state: CliState, handoff_id: int, reason: str, expect_version: int | None, as_json: bool
) -> None:
    """Send a submitted handoff back to the sending team, saying why."""
    handoff_actions.return_handoff(state.context(), handoff_id, reason, expect_version)
    _report(state, handoff_id, "returned", as_json)


@handoffs.group("document")
def document() -> None:
    """Documents of a handoff: add a reference, add a revision."""


@document.command("add")
@click.argument("handoff_id", type=int)
@click.option("--title", required=True, help="What the document is.")
@click.option("--location", required=True, help="Where it is: a path or a URL.")
@click.option("--note", default="", help="A note on this revision.")
@json_option
@pass_state
def document_add_command(
    state: CliState, handoff_id: int, title: str, location: str, note: str, as_json: bool
) -> None:
    """Reference a document on a handoff (revision 1)."""
    document_id = handoff_documents.add_document(state.context(), handoff_id, title, location, note)
    if as_json:
        print_json({"handoff": handoff_id, "document": document_id, "revision": 1})
    else:
        say(f"document {document_id} added to handoff {handoff_id} (revision 1)")


@document.command("revise")
@click.argument("document_id", type=int)
@click.option("--location", required=True, help="Where the new revision is: a path or a URL.")
@click.option("--note", default="", help="What changed in this revision.")
@click.option(
    "--expect-revision",
    type=int,
    help="Refuse if the latest revision is no longer this one (someone added one).",
)
@json_option
@pass_state
def document_revise_command(
    state: CliState,
    document_id: int,
    location: str,
    note: str,
    expect_revision: int | None,
    as_json: bool,
) -> None:
    """Add a new revision of a document; the older revisions are kept."""
    number = handoff_documents.add_revision(
        state.context(), document_id, location, note, expect_revision
    )
    if as_json:
        print_json({"document": document_id, "revision": number})
    else:
        say(f"document {document_id} is now at revision {number}")
