"""``backoffice rules``: automation rules (TOML files, versioned) and running them."""

import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_facts, print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.services.approvals.deadlines import (
    DEFAULT_EVERY_HOURS,
    overdue_text,
    remind_overdue,
)
from backoffice_tui.services.rules.definitions import list_rules, load_rules, set_enabled, show_rule
from backoffice_tui.services.rules.history import automation_rate, history, overall_rate, try_rule
from backoffice_tui.services.rules.runner import Firing, run_once, serve


@click.group()
def rules() -> None:
    """Automation rules: load, list, test, run and follow what they did."""


@rules.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_state
def load_command(state: CliState, files: tuple[Path, ...], as_json: bool) -> None:
    """Load rule files (admins; all or nothing): a changed file is a new version."""
    results = load_rules(state.database(), state.actor(), list(files))
    if as_json:
        print_json(results)
        return
    for r in results:
        say(f"{r.name} version {r.version}: {'loaded' if r.created else 'unchanged'}")


def _when(at: datetime | None) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M") if at else "never"


@rules.command("list")
@json_option
@pass_state
def list_command(state: CliState, as_json: bool) -> None:
    """Every rule: state, version, trigger, last fired, firings and failures."""
    rows = list_rules(state.database())
    if as_json:
        print_json(rows)
        return
    print_table(
        ("RULE", "STATE", "VERSION", "TRIGGER", "SUBJECT", "LAST FIRED", "DONE", "FAILED"),
        (
            (
                r.name,
                "enabled" if r.enabled else "disabled",
                r.version,
                r.trigger,
                r.subject,
                _when(r.last_fired),
                r.done,
                r.failed,
            )
            for r in rows
        ),
    )


@rules.command("show")
@click.argument("name")
@click.option("--version", type=int, default=None, help="Which version (default: the latest).")
@json_option
@pass_state
def show_command(state: CliState, name: str, version: int | None, as_json: bool) -> None:
    """A rule's text as loaded, with its version and who loaded it."""
    text = show_rule(state.database(), name, version)
    if as_json:
        print_json(text)
        return
    print_facts(
        (
            ("rule", text.name),
            ("version", text.version),
            ("state", "enabled" if text.enabled else "disabled"),
            ("loaded", _when(text.loaded_at)),
            ("loaded by", text.loaded_by or "the program"),
        )
    )
    click.echo(text.source.rstrip("\n"))


def _toggle(state: CliState, name: str, enabled: bool) -> None:
    changed = set_enabled(state.database(), state.actor(), name, enabled)
    word = "enabled" if enabled else "disabled"
    say(f"{name}: {word}" if changed else f"{name} was already {word}")


@rules.command("enable")
@click.argument("name")
@pass_state
def enable_command(state: CliState, name: str) -> None:
    """Enable a rule (admins)."""
    _toggle(state, name, True)


@rules.command("disable")
@click.argument("name")
@pass_state
def disable_command(state: CliState, name: str) -> None:
    """Disable a rule (admins): it fires no more until enabled again."""
    _toggle(state, name, False)


def _firing_line(f: Firing) -> str:
    subject = f"{f.entity} {f.entity_id}" if f.entity_id else f.entity
    line = f"{f.rule}: {f.outcome} on {subject}"
    return f"{line}: {f.error}" if f.error else line


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
    """Run every schedule and time rule once (for cron), retry failed firings
    whose time has come, and remind the approvers of each overdue approval
    stage (once, then again every --remind-every hours while it stays overdue)."""
    db = state.database()
    reminders = remind_overdue(db, datetime.now(UTC), every_hours)
    result = run_once(db)
    if as_json:
        print_json({"reminders": reminders, "firings": result.firings, "retried": result.retried})
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
    done = [f for f in result.firings if f.outcome == "done"]
    say(f"rules: {len(done)} fired, {len(result.firings) - len(done)} not done")
    for name, more in result.left:
        say(f"{name}: {more} more left for the next run")
    for firing in (*result.firings, *result.retried):
        if firing.outcome != "done":
            say(_firing_line(firing))


@rules.command("serve")
@click.option("--name", default="serve", show_default=True, help="The runner's cursor name.")
@click.option(
    "--poll",
    default=0.2,
    show_default=True,
    type=click.FloatRange(0.01, 60),
    help="Seconds between reads when idle.",
)
@pass_state
def serve_command(state: CliState, name: str, poll: float) -> None:
    """Follow the change feed and apply event-triggered rules as events come,
    resuming after a restart from the last handled event. Stops on Ctrl-C or
    SIGTERM."""
    db = state.database()
    stopping = []

    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    say(f"rules serve: following changes as {name!r}; Ctrl-C stops")

    def show(firing: Firing) -> None:
        click.echo(_firing_line(firing))
        sys.stdout.flush()

    try:
        stats = serve(
            db, name=name, poll_seconds=poll, should_stop=lambda: bool(stopping), on_firing=show
        )
    except KeyboardInterrupt:
        return
    say(f"rules serve: stopped after {stats.events} events")


@rules.command("test")
@click.argument("name")
@json_option
@pass_state
def test_command(state: CliState, name: str, as_json: bool) -> None:
    """What a rule would do now, writing nothing: the records it would act on
    and how, and how often it would have fired over the last 30 days."""
    report = try_rule(state.database(), name)
    if as_json:
        print_json(report)
        return
    facts: list[tuple[str, object]] = [
        ("rule", f"{report.rule} version {report.version}"),
        ("state", "enabled" if report.enabled else "disabled"),
        ("trigger", report.trigger),
        ("conditions", report.conditions),
    ]
    if report.events_30_days is not None:
        facts.append(
            (
                "last 30 days",
                f"would have fired {report.events_30_days} times on {report.events_seen} events",
            )
        )
    more = " (first ones shown)" if report.more else ""
    facts.append(("would act on", f"{len(report.would_act_on)} records{more}"))
    print_facts(facts)
    if report.would_act_on:
        print_table(
            ("SUBJECT", "TITLE", "WOULD DO"),
            ((w.subject, w.title, "; ".join(w.actions)) for w in report.would_act_on),
        )


@rules.command("history")
@click.argument("name", required=False)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@json_option
@pass_state
def history_command(state: CliState, name: str | None, limit: int, as_json: bool) -> None:
    """What each rule did, newest first, with failures and their reasons."""
    rows = history(state.database(), name, limit)
    if as_json:
        print_json(rows)
        return
    print_table(
        ("WHEN", "RULE", "V", "TRIGGER", "SUBJECT", "OUTCOME", "TRIES", "DID / WHY NOT"),
        (
            (
                _when(r.at),
                r.rule,
                r.version,
                r.trigger,
                r.subject,
                r.outcome
                if r.next_retry_at is None
                else f"{r.outcome}, retry {_when(r.next_retry_at)}",
                r.attempts,
                r.error or r.did,
            )
            for r in rows
        ),
    )


@rules.command("rate")
@click.option("--weeks", default=4, show_default=True, type=click.IntRange(1, 520))
@json_option
@pass_state
def rate_command(state: CliState, weeks: int, as_json: bool) -> None:
    """The share of step completions, assignments and approval decisions
    made by rules, per template and per week."""
    rows = automation_rate(state.database(), weeks)
    if as_json:
        print_json({"overall": overall_rate(rows), "rows": rows})
        return
    say(f"automation rate: {overall_rate(rows):.0%} over {weeks} week{'' if weeks == 1 else 's'}")
    print_table(
        ("WEEK", "TEMPLATE", "WHAT", "ALL", "BY RULES", "SHARE"),
        ((r.week, r.template, r.kind, r.total, r.by_rules, f"{r.share:.0%}") for r in rows),
    )
