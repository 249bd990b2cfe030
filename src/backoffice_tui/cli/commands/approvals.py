"""``backoffice approvals``: list, show and decide approval requests, and
open new ones along a route file."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_facts, print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.approvals import PAST_TENSE, Action, RequestState
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.services.approvals import actions as approval_actions
from backoffice_tui.services.approvals.read import (
    RequestDetail,
    RequestSummary,
    list_requests,
    request_detail,
)
from backoffice_tui.services.approvals.route_files import SUBJECT_KINDS, request_from_file

DECIDE_ACTIONS = (
    "approve",
    "reject",
    "send-back",
    "forward",
    "comment",
    "hold",
    "release",
    "pull-back",
)
_NEED_COMMENT = {"reject": "reject", "send-back": "send back", "comment": "comment"}
_TAKE_TO = ("forward", "send-back")
_TAKE_STAGE = ("approve", "reject", "send-back", "forward", "hold")
_COLUMNS = ("ID", "SUBJECT", "CUSTOMER", "STAGE", "APPROVERS", "REQUESTER", "WAITING SINCE", "DUE")


def _now() -> datetime:
    return datetime.now(UTC)


@click.group()
def approvals() -> None:
    """Approval requests: list, show, decide, re-apply, withdraw, request."""


# --- reading ----------------------------------------------------------------------


def _table_row(row: RequestSummary) -> tuple[object, ...]:
    due: object = row.due
    if row.due is not None and row.overdue:
        due = f"{row.due.astimezone():%Y-%m-%d %H:%M} overdue"
    return (
        row.id,
        row.subject,
        row.customer_code,
        f"{row.stage} {row.stage_name}",
        ", ".join(row.approvers),
        row.requester,
        row.waiting_since,
        due,
    )


@approvals.command("list")
@click.option(
    "--mine", is_flag=True, help="Only what waits for me (or for whoever I stand in for)."
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@pass_state
def list_command(state: CliState, mine: bool, limit: int, as_json: bool) -> None:
    """List pending requests, most urgent first (earliest due, then longest waiting)."""
    rows = list_requests(state.database(), state.actor(), _now(), mine=mine, limit=limit)
    if as_json:
        print_json(rows)
    else:
        print_table(_COLUMNS, (_table_row(r) for r in rows))


def detail_json(detail: RequestDetail) -> dict[str, Any]:
    """A request whole, in the names the command line documents."""
    return {
        "id": detail.id,
        "version": detail.version,
        "subject_kind": detail.subject_kind,
        "subject_id": detail.subject_id,
        "subject": detail.title,
        "customer_code": detail.customer_code,
        "customer_name": detail.customer_name,
        "requester": detail.requester,
        "state": detail.state,
        "current_stage": detail.current_stage,
        "created_at": detail.created_at,
        "decided_at": detail.decided_at,
        "route": [
            {
                "position": s.position,
                "name": s.name,
                "rule": s.rule,
                "rule_text": s.rule_text,
                "info_only": s.info_only,
                "approvers": s.approvers,
                "state": s.state,
                "due": s.due_at,
                "overdue": s.overdue,
                "held_by": s.held_by,
                "deciders": s.deciders,
                "approved_by": s.approved_by,
            }
            for s in detail.stages
        ],
        "decisions": [
            {
                "at": d.at,
                "actor": d.actor,
                "on_behalf_of": d.on_behalf_of,
                "action": d.action,
                "stage": d.stage,
                "stage_name": d.stage_name,
                "comment": d.comment,
                "target": d.target,
            }
            for d in detail.decisions
        ],
        "you_can": sorted(detail.can),
    }


def _where_it_is(detail: RequestDetail) -> str:
    if detail.state != RequestState.PENDING:
        return detail.state.replace("_", " ")
    stage = detail.current
    text = f"waiting at stage {stage.position} '{stage.name}'"
    if stage.held_by:
        return f"{text}, on hold by {stage.held_by}"
    return f"{text} for {', '.join(stage.deciders) or 'nobody who can decide'}"


def _print_detail(detail: RequestDetail) -> None:
    customer = " ".join(x for x in (detail.customer_code, detail.customer_name) if x)
    print_facts(
        [
            ("approval", detail.id),
            ("subject", f"{detail.title} ({detail.subject_kind} {detail.subject_id})"),
            ("customer", customer or None),
            ("requester", detail.requester),
            ("state", _where_it_is(detail)),
            ("requested", detail.created_at),
            ("decided", detail.decided_at),
            ("you can", ", ".join(sorted(a.replace("_", "-") for a in detail.can)) or None),
        ]
    )
    click.echo()
    print_table(
        ("#", "STAGE", "RULE", "APPROVERS", "STATE", "DUE", "MAY DECIDE", "APPROVED BY"),
        (
            (
                s.position,
                s.name,
                s.rule_text,
                ", ".join(s.approvers),
                f"{s.state} (held by {s.held_by})" if s.held_by else s.state,
                f"{s.due_at.astimezone():%Y-%m-%d %H:%M} overdue"
                if s.overdue and s.due_at
                else s.due_at,
                ", ".join(s.deciders),
                ", ".join(s.approved_by),
            )
            for s in detail.stages
        ),
    )
    click.echo()
    print_table(
        ("AT", "WHO", "ACTION", "STAGE", "TO", "COMMENT"),
        (
            (
                d.at,
                f"{d.actor} for {d.on_behalf_of}" if d.on_behalf_of else d.actor,
                d.action.replace("_", " "),
                d.stage,
                d.target,
                d.comment,
            )
            for d in detail.decisions
        ),
    )


@approvals.command("show")
@click.argument("request_id", type=int)
@json_option
@pass_state
def show_command(state: CliState, request_id: int, as_json: bool) -> None:
    """Show one request: its route stage by stage and every decision."""
    detail = request_detail(state.database(), state.actor(), request_id, _now())
    if as_json:
        print_json(detail_json(detail))
    else:
        _print_detail(detail)


# --- acting -----------------------------------------------------------------------


def _report(state: CliState, request_id: int, action: Action, as_json: bool) -> None:
    actor = state.actor()
    detail = request_detail(state.database(), actor, request_id, _now())
    if as_json:
        print_json(detail_json(detail))
        return
    mine = [d for d in detail.decisions if d.actor == actor.login]
    on_behalf = f" for {mine[-1].on_behalf_of}" if mine and mine[-1].on_behalf_of else ""
    verb = "requested" if action == Action.SUBMIT else PAST_TENSE[action]
    say(
        f"{actor.login}{on_behalf} {verb} approval {detail.id} "
        f"({detail.title}); it is now {_where_it_is(detail)}"
    )


def _check_decide_options(action: str, comment: str, to: str | None, stage: int | None) -> None:
    if to is not None and action not in _TAKE_TO:
        raise click.UsageError(f"--to goes with {' and '.join(_TAKE_TO)}, not {action}")
    if stage is not None and action not in _TAKE_STAGE:
        raise click.UsageError(f"--stage goes with {', '.join(_TAKE_STAGE)}, not {action}")
    if action in _NEED_COMMENT and not comment.strip():
        raise InvalidInput(f"a comment is required to {_NEED_COMMENT[action]}: add --comment TEXT")
    if action == "forward" and not (to or "").strip():
        raise InvalidInput("say whom to forward to: add --to LOGIN")


@approvals.command("decide")
@click.argument("request_id", type=int)
@click.argument("action", type=click.Choice(DECIDE_ACTIONS))
@click.option("--comment", default="", help="Why (required to reject, send back and comment).")
@click.option(
    "--to",
    "to",
    metavar="LOGIN|STAGE",
    help="forward: the login to hand over to; send-back: 'requester' (default) or a stage number.",
)
@click.option(
    "--stage",
    type=int,
    metavar="N",
    help="Refuse if the request is no longer waiting at stage N (someone decided first).",
)
@json_option
@pass_state
def decide_command(
    state: CliState,
    request_id: int,
    action: str,
    comment: str,
    to: str | None,
    stage: int | None,
    as_json: bool,
) -> None:
    """Decide on a request as one of its current approvers (or their delegate).

    ACTION is approve, reject (final), send-back (to the requester, or with
    --to N to an earlier stage), forward --to LOGIN, comment, hold, release
    or pull-back (take back your approval before anyone decides after you)."""
    _check_decide_options(action, comment, to, stage)
    approval_actions.decide(state.context(), request_id, action, comment, to, stage)
    _report(state, request_id, Action(action.replace("-", "_")), as_json)


_comment_option = click.option("--comment", default="", help="A note for the approvers.")


@approvals.command("reapply")
@click.argument("request_id", type=int)
@_comment_option
@json_option
@pass_state
def reapply_command(state: CliState, request_id: int, comment: str, as_json: bool) -> None:
    """Send your sent-back or pulled-back request round again from its first stage."""
    approval_actions.reapply(state.context(), request_id, comment)
    _report(state, request_id, Action.REAPPLY, as_json)


@approvals.command("withdraw")
@click.argument("request_id", type=int)
@_comment_option
@json_option
@pass_state
def withdraw_command(state: CliState, request_id: int, comment: str, as_json: bool) -> None:
    """Withdraw your request for good."""
    approval_actions.withdraw(state.context(), request_id, comment)
    _report(state, request_id, Action.WITHDRAW, as_json)


@approvals.command("request")
@click.argument("subject_kind", type=click.Choice(SUBJECT_KINDS))
@click.argument("ref")
@click.option(
    "--route",
    "route_path",
    required=True,
    type=click.Path(path_type=Path),
    help="A TOML file of [[stage]] tables: name, approvers, rule, due_hours, info_only.",
)
@click.option("--title", help="What the approvers see (default: the order or handoff).")
@json_option
@pass_state
def request_command(
    state: CliState,
    subject_kind: str,
    ref: str,
    route_path: Path,
    title: str | None,
    as_json: bool,
) -> None:
    """Ask for approval of an order (REF: its code) or a handoff (REF: its number)."""
    request_id = request_from_file(state.context(), subject_kind, ref, route_path, title)
    _report(state, request_id, Action.SUBMIT, as_json)
