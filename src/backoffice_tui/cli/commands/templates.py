"""``backoffice templates``: load, list, show and compare process templates."""

from pathlib import Path

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_facts, print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.services.work.template_versions import (
    StepView,
    TemplateDiff,
    diff_templates,
    show_template,
)
from backoffice_tui.services.work.templates import list_templates, load_templates


@click.group()
def templates() -> None:
    """Process templates (TOML files, versioned)."""


@templates.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_state
def load_command(state: CliState, files: tuple[Path, ...], as_json: bool) -> None:
    """Load template files (all or nothing); an unchanged version is left as is."""
    results = load_templates(state.database(), state.actor(), list(files))
    if as_json:
        print_json(results)
    else:
        for r in results:
            say(f"{r.service} version {r.version}: {'loaded' if r.created else 'unchanged'}")


@templates.command("list")
@json_option
@pass_state
def list_command(state: CliState, as_json: bool) -> None:
    """List loaded templates."""
    rows = list_templates(state.database())
    if as_json:
        print_json(rows)
    else:
        print_table(
            ("SERVICE", "NAME", "VERSION", "STEPS", "LOADED", "OPEN LINES"),
            ((r.service, r.name, r.version, r.steps, r.loaded_at, r.open_lines) for r in rows),
        )


def _handoff_text(step: StepView) -> str:
    if not step.handoff:
        return ""
    return "yes, lead may override" if step.lead_may_override else "yes"


@templates.command("show")
@click.argument("name", metavar="SERVICE")
@click.option("--version", type=int, default=None, help="Which version (default: the latest).")
@json_option
@pass_state
def show_command(state: CliState, name: str, version: int | None, as_json: bool) -> None:
    """One version of a service's process: its steps, when and by whom it was loaded."""
    view = show_template(state.database(), name, version)
    if as_json:
        print_json(view)
        return
    print_facts(
        (
            ("service", f"{view.service} ({view.name})"),
            ("version", view.version),
            ("loaded", view.loaded_at),
            ("loaded by", view.loaded_by or "the program"),
            ("open lines", view.open_lines),
        )
    )
    print_table(
        ("#", "KEY", "STEP", "TEAM", "SLA", "HANDOFF", "CHECKLIST", "APPROVAL"),
        (
            (
                s.position,
                s.key,
                s.name,
                s.team,
                f"{s.sla_days}d",
                _handoff_text(s),
                s.checklist_items or "",
                "; ".join(s.approval),
            )
            for s in view.steps
        ),
    )


def _diff_lines(diff: TemplateDiff) -> list[str]:
    lines = [f"+ {key}" for key in diff.added] + [f"- {key}" for key in diff.removed]
    for change in diff.changed:
        for field, (old, new) in change.changes.items():
            lines.append(f"~ {change.key}: {field} {old!r} -> {new!r}")
    return lines


@templates.command("diff")
@click.argument("name", metavar="SERVICE")
@click.argument("version_a", metavar="A", type=int)
@click.argument("version_b", metavar="B", type=int)
@json_option
@pass_state
def diff_command(state: CliState, name: str, version_a: int, version_b: int, as_json: bool) -> None:
    """What changed from version A to version B: steps added (+), removed (-)
    and changed (~, field by field), matched by step key."""
    diff = diff_templates(state.database(), name, version_a, version_b)
    if as_json:
        print_json(diff)
        return
    say(f"{diff.service} version {version_a} -> {version_b}")
    for line in _diff_lines(diff) or ["no step changed"]:
        say(line)
