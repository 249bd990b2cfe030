"""Opening the console from the command line."""

import dataclasses

import click

from backoffice_tui.cli.logs import log_file
from backoffice_tui.cli.state import CliState
from backoffice_tui.config import demo_database_url
from backoffice_tui.demo.load import load_demo
from backoffice_tui.services.connection import open_database, upgrade_schema
from backoffice_tui.services.customers.search import customer_detail
from backoffice_tui.services.identity import os_login


def run_console(
    state: CliState, theme: str | None, screen: str = "home", customer: str | None = None
) -> None:
    from backoffice_tui.tui.app import create_app  # Textual loads only for the console

    log_file()  # unexpected errors in the console are logged there
    settings = state.settings
    if theme:
        settings = dataclasses.replace(settings, theme=theme)
    db = state.database()
    if customer:
        customer_detail(db, customer)  # an unknown code is one line, before the screen opens
    app = create_app(settings, db, state.actor(), start_screen=screen, start_customer=customer)
    try:
        app.run(mouse=settings.mouse)
    finally:
        # decisions still in their undo window when the app ended some other
        # way than its quit key (a crash, a closed terminal) are committed too
        for problem in app.pending_decisions.commit_all():
            click.echo(problem, err=True)


def prepare_demo_database(state: CliState) -> None:
    """Point ``state`` at the demo database, creating and loading it on first use."""
    url = demo_database_url()
    state.database_option = url
    state.reset()
    db = open_database(url, create=True, check_schema=False)
    try:
        before, _ = upgrade_schema(db)
        if before is None:
            click.echo("creating the demo database (first run)…", err=True)
            load_demo(db, you_login=state.settings.user or os_login(), you_admin=True)
    finally:
        db.dispose()
