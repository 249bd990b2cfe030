"""``backoffice customers``: list, show, add, edit and follow one customer."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_facts, print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.timeline_export import export_timeline
from backoffice_tui.io.writers import ExportFormat, chosen_format, write_stream
from backoffice_tui.services.customers.records import (
    CustomerChanges,
    NewCustomer,
    SavedCustomer,
    add_customer,
    edit_customer,
)
from backoffice_tui.services.customers.search import customer_detail, list_customers
from backoffice_tui.services.customers.timeline import (
    customer_timeline,
)
from backoffice_tui.services.exports import rows as exports

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def customers() -> None:
    """Customers and their consolidated timeline."""


@customers.command("list")
@click.option("--search", help="Match code, name or reading (any width, any kana).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@pass_state
def list_command(state: CliState, search: str | None, limit: int, as_json: bool) -> None:
    """List customers."""
    rows = list_customers(state.database(), search, limit)
    if as_json:
        print_json(rows)
    else:
        print_table(
            ("CODE", "NAME", "READING", "SEGMENT"),
            ((r.code, r.name, r.reading, r.segment) for r in rows),
        )


@customers.command("show")
@click.argument("code")
@json_option
@pass_state
def show_command(state: CliState, code: str, as_json: bool) -> None:
    """Show a customer and the progress of every order line."""
    detail = customer_detail(state.database(), code)
    if as_json:
        print_json(detail)
        return
    c = detail.customer
    print_facts(
        [
            ("code", c.code),
            ("name", c.name),
            ("reading", c.reading),
            ("segment", c.segment),
            ("notes", detail.notes),
            ("version", detail.version),
        ]
    )
    print_table(
        ("ORDER", "SERVICE", "PROGRESS", "CURRENT STEP", "STATUS", "TEAM", "DUE"),
        (
            (
                p.order_code,
                p.service,
                f"{p.finished}/{p.steps}",
                p.current_step,
                p.current_status or "complete",
                p.current_team,
                p.current_due,
            )
            for p in detail.lines
        ),
    )


def _attributes(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` options as attributes (the value may hold "=")."""
    attributes = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise InvalidInput(f"--attribute takes KEY=VALUE, not {pair!r}")
        attributes[key.strip()] = value
    return attributes


def _report_saved(state: CliState, saved: SavedCustomer, verb: str, as_json: bool) -> None:
    if as_json:
        print_json(customer_detail(state.database(), saved.code))
    else:
        say(f"{verb} customer {saved.code} (version {saved.version}): {', '.join(saved.changed)}")


def _text_options(function: F) -> F:
    """The options of ``add`` and ``edit`` besides code and name."""
    options = [
        click.option("--reading", help="How the name is read (kana)."),
        click.option("--segment", help="The customer's segment."),
        click.option("--notes", help="Notes about the customer."),
        click.option(
            "--attribute",
            "attributes",
            multiple=True,
            metavar="KEY=VALUE",
            help="Set a free attribute (repeatable).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@customers.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The customer's name.")
@_text_options
@json_option
@pass_state
def add_command(
    state: CliState,
    code: str,
    name: str,
    reading: str | None,
    segment: str | None,
    notes: str | None,
    attributes: tuple[str, ...],
    as_json: bool,
) -> None:
    """Add a customer (any team member)."""
    new = NewCustomer(
        code=code,
        name=name,
        reading=reading,
        segment=segment or "",
        notes=notes or "",
        attributes=_attributes(attributes),
    )
    _report_saved(state, add_customer(state.context(), new), "added", as_json)


@customers.command("edit")
@click.argument("code")
@click.option("--code", "new_code", help="A new code (one no other customer has).")
@click.option("--name", help="The customer's name.")
@_text_options
@click.option(
    "--remove-attribute", "removed", multiple=True, metavar="KEY", help="Remove an attribute."
)
@click.option(
    "--expect-version",
    type=int,
    help="Refuse if the customer's version is no longer this one (someone changed it).",
)
@json_option
@pass_state
def edit_command(
    state: CliState,
    code: str,
    new_code: str | None,
    name: str | None,
    reading: str | None,
    segment: str | None,
    notes: str | None,
    attributes: tuple[str, ...],
    removed: tuple[str, ...],
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Change a customer's code, name, reading, segment, notes or attributes."""
    changes = CustomerChanges(
        code=new_code,
        name=name,
        reading=reading,
        segment=segment,
        notes=notes,
        set_attributes=_attributes(attributes),
        remove_attributes=removed,
    )
    if changes == CustomerChanges():
        raise InvalidInput(
            "say what to change: --code, --name, --reading, --segment, --notes, "
            "--attribute or --remove-attribute"
        )
    saved = edit_customer(state.context(), code, changes, expect_version)
    _report_saved(state, saved, "edited", as_json)


@customers.command("timeline")
@click.argument("code")
@click.option("--newest-first", is_flag=True, help="Newest events first.")
@click.option("--limit", type=click.IntRange(1), help="At most this many events (screen output).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ExportFormat]),
    help="Write the timeline as CSV (UTF-8 with BOM, for Excel), XLSX or JSON.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (with --format, or its format from the suffix); '-' for stdout.",
)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@json_option
@pass_state
def timeline_command(
    state: CliState,
    code: str,
    newest_first: bool,
    limit: int | None,
    fmt: str | None,
    output: Path | None,
    force: bool,
    as_json: bool,
) -> None:
    """Every event about one customer, from all teams, oldest first."""
    if output is not None or fmt is not None:
        _export(state, code, newest_first, fmt, output, force)
        return
    entries = customer_timeline(state.database(), code, newest_first=newest_first, limit=limit)
    if as_json:
        print_json(entries)
    else:
        print_table(
            ("TIME", "ACTOR", "TEAM", "ORDER", "SERVICE", "KIND", "SUMMARY"),
            ((e.at, e.actor, e.team, e.order_code, e.service, e.kind, e.summary) for e in entries),
        )


def _export(
    state: CliState,
    code: str,
    newest_first: bool,
    fmt: str | None,
    output: Path | None,
    force: bool,
) -> None:
    chosen = chosen_format(fmt, output, default=None)
    db = state.database()
    if output is None or str(output) == "-":
        table = exports.export_timeline(db, code, newest_first=newest_first)
        write_stream(sys.stdout, chosen, table.columns, table.rows)
        return
    count = export_timeline(db, code, output, chosen, newest_first=newest_first, force=force)
    say(f"wrote {count} events of {code} to {output}")
