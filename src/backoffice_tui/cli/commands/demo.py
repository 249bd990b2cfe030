"""``backoffice demo``: demo data and large generated data sets."""

import sys

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.console import prepare_demo_database, run_console
from backoffice_tui.cli.output import print_json, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.config import demo_database_url
from backoffice_tui.demo.generate import generate
from backoffice_tui.demo.load import load_demo


@click.group(invoke_without_command=True)
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Open the console on the demo database (created and loaded on first use),
    or manage demo data with a subcommand.

    The commands of the README act on the demo data with
    ``export BACKOFFICE_DATABASE_URL=$(backoffice demo url)``.
    """
    if ctx.invoked_subcommand is None:
        state = ctx.find_object(CliState)
        assert state is not None
        prepare_demo_database(state)
        # the console's own options, given before ``demo``
        options = ctx.parent.params if ctx.parent is not None else {}
        run_console(state, state.theme, options.get("screen", "home"), options.get("customer"))
        say(f"the demo database: {demo_database_url()}")


@demo.command("url")
def url_command() -> None:
    """Print the demo database's URL (for --database or BACKOFFICE_DATABASE_URL)."""
    click.echo(demo_database_url())


@demo.command("load")
@json_option
@pass_state
def load_command(state: CliState, as_json: bool) -> None:
    """Load the sample teams, users, templates, customers and orders."""
    summary = load_demo(state.database(), you_login=state.settings.user, you_admin=True)
    if as_json:
        print_json(summary)
    else:
        say(
            f"demo loaded: {summary.users} users, {summary.customers} customers, "
            f"{summary.orders} orders; you are {summary.you}, an admin of the demo data"
        )


@demo.command("generate")
@click.option(
    "--customers", "customer_count", default=1000, show_default=True, type=click.IntRange(1)
)
@click.option(
    "--work-items", "work_item_count", default=10_000, show_default=True, type=click.IntRange(1)
)
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same data).")
@json_option
@pass_state
def generate_command(
    state: CliState, customer_count: int, work_item_count: int, seed: int, as_json: bool
) -> None:
    """Add a large realistic data set (bulk inserts) for benchmarks."""
    database = state.database()
    with click.progressbar(
        length=work_item_count, label="generating work items", file=sys.stderr
    ) as bar:
        result = generate(
            database,
            customers=customer_count,
            work_items=work_item_count,
            seed=seed,
            progress=bar.update,
        )
    if as_json:
        print_json(result)
    else:
        say(
            f"generated {result.customers} customers, {result.orders} orders, "
            f"{result.work_items} work items, {result.events} events "
            f"in {result.seconds:.1f} s"
        )
