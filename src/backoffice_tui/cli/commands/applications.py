"""``backoffice applications``: file a form of a configured kind, follow it,
correct and resubmit it when it is sent back, withdraw it."""

from pathlib import Path
from typing import Any

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_facts, print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.applications import actions as application_actions
from backoffice_tui.services.applications.kinds import list_kinds, load_kinds
from backoffice_tui.services.applications.read import (
    ApplicationDetail,
    application_detail,
    my_applications,
)


def _fields(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    """``--field key=value`` options as a dict (a key at most once)."""
    fields: dict[str, str] = {}
    for value in values:
        key, equals, text = value.partition("=")
        key = key.strip()
        if not equals or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE")
        if key in fields:
            raise click.BadParameter(f"{key} is given twice")
        fields[key] = text
    return fields


_field_option = click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_fields,
    help="A field of the form (repeatable); `applications kinds --json` lists them.",
)
_comment_option = click.option("--comment", default="", help="A remark for the approvers.")


@click.group()
def applications() -> None:
    """Applications: forms of a configured kind, routed for approval."""


@applications.command("kinds")
@json_option
@pass_state
def kinds_command(state: CliState, as_json: bool) -> None:
    """List the kinds of application that can be filed (latest versions)."""
    rows = list_kinds(state.database())
    if as_json:
        print_json(rows)
        return
    print_table(
        ("KIND", "NAME", "VERSION", "FIELDS", "STAGES", "LOADED"),
        ((r.code, r.name, r.version, len(r.fields), len(r.route), r.loaded_at) for r in rows),
    )


@applications.command("load")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@json_option
@pass_state
def load_command(state: CliState, path: Path | None, as_json: bool) -> None:
    """Load a kind file, or every kind file of a folder (default: the sample
    kinds), all or nothing. A changed file becomes a new version; an
    unchanged one is left as it is. Admins only."""
    results = load_kinds(
        state.database(), state.actor(), path or sample_data_dir() / "application_kinds"
    )
    if as_json:
        print_json(results)
        return
    for r in results:
        say(f"{r.code} version {r.version}: {'loaded' if r.created else 'unchanged'}")


@applications.command("file")
@click.argument("kind")
@_field_option
@json_option
@pass_state
def file_command(state: CliState, kind: str, fields: dict[str, str], as_json: bool) -> None:
    """File an application of KIND; it goes to the first stage of its route."""
    application_id = application_actions.file_application(state.context(), kind, fields)
    detail = application_detail(state.database(), state.actor(), application_id)
    if as_json:
        print_json(detail_json(detail))
    else:
        say(f"application {application_id} filed ({detail.kind_name}); {_waiting(detail)}")


def detail_json(detail: ApplicationDetail) -> dict[str, Any]:
    """One application as the scripts see it."""
    return {
        "id": detail.id,
        "version": detail.version,
        "kind": detail.kind_code,
        "kind_name": detail.kind_name,
        "kind_version": detail.kind_version,
        "applicant": detail.applicant,
        "applicant_name": detail.applicant_name,
        "state": detail.state,
        "waiting_on": detail.waiting_on,
        "filed_at": detail.filed_at,
        "fields": detail.fields,
        "approval_request": detail.request.id,
        "route": [
            {
                "position": s.position,
                "name": s.name,
                "approvers": s.approvers,
                "state": s.state,
                "due": s.due_at,
                "deciders": s.deciders,
                "approved_by": s.approved_by,
            }
            for s in detail.request.stages
        ],
        "history": detail.history,
        "can": sorted(detail.can),
    }


def _waiting(detail: ApplicationDetail) -> str:
    if detail.waiting_on:
        return f"waiting on {detail.waiting_on}"
    return f"now {detail.state.replace('_', ' ')}"


@applications.command("list")
@json_option
@pass_state
def list_command(state: CliState, as_json: bool) -> None:
    """List my applications: those sent back to me first, then those waiting."""
    rows = my_applications(state.database(), state.actor())
    if as_json:
        print_json(rows)
        return
    print_table(
        ("ID", "KIND", "STATE", "WAITING ON", "FILED", "CHANGED"),
        ((r.id, r.kind_name, r.state, r.waiting_on, r.filed_at, r.changed_at) for r in rows),
    )


def _print_detail(detail: ApplicationDetail) -> None:
    print_facts(
        [
            ("application", detail.id),
            ("kind", f"{detail.kind_name} ({detail.kind_code} version {detail.kind_version})"),
            ("applicant", f"{detail.applicant} ({detail.applicant_name})"),
            ("state", detail.state.replace("_", " ")),
            ("waiting on", detail.waiting_on or "-"),
            ("filed", detail.filed_at),
            ("version", detail.version),
        ]
    )
    click.echo()
    print_table(
        ("FIELD", "LABEL", "VALUE"),
        ((f.key, f.label + (" *" if f.required else ""), f.value) for f in detail.fields),
    )
    click.echo()
    print_table(
        ("STAGE", "NAME", "APPROVERS", "STATE", "DUE"),
        (
            (s.position, s.name, ", ".join(s.approvers), s.state, s.due_at)
            for s in detail.request.stages
        ),
    )
    click.echo()
    print_table(
        ("AT", "WHAT", "COMMENT"),
        ((h.at, h.what, h.comment) for h in detail.history),
    )


@applications.command("show")
@click.argument("application_id", type=int)
@json_option
@pass_state
def show_command(state: CliState, application_id: int, as_json: bool) -> None:
    """Show one application: its fields, its route and everything that happened."""
    detail = application_detail(state.database(), state.actor(), application_id)
    if as_json:
        print_json(detail_json(detail))
    else:
        _print_detail(detail)


def _report(state: CliState, application_id: int, verb: str, as_json: bool) -> None:
    detail = application_detail(state.database(), state.actor(), application_id)
    if as_json:
        print_json(detail_json(detail))
    else:
        say(f"application {application_id} {verb}; {_waiting(detail)}")


@applications.command("resubmit")
@click.argument("application_id", type=int)
@_field_option
@_comment_option
@click.option(
    "--expect-version",
    type=int,
    help="Refuse if the application's version is no longer this one (someone changed it).",
)
@json_option
@pass_state
def resubmit_command(
    state: CliState,
    application_id: int,
    fields: dict[str, str],
    comment: str,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Correct a sent-back application (only the fields given change; an empty
    VALUE clears an optional field) and send it round its route again."""
    application_actions.resubmit(state.context(), application_id, fields, comment, expect_version)
    _report(state, application_id, "resubmitted", as_json)


@applications.command("withdraw")
@click.argument("application_id", type=int)
@_comment_option
@json_option
@pass_state
def withdraw_command(state: CliState, application_id: int, comment: str, as_json: bool) -> None:
    """Take an open application back for good."""
    application_actions.withdraw(state.context(), application_id, comment)
    _report(state, application_id, "withdrawn", as_json)
