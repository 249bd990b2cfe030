"""One console run off-screen in the session server, before any fork.

A console's first run fills caches that every later run reuses (parsed
styles, colours, character widths, compiled queries). Filled once in the
server, they are shared by every session it forks instead of being built
again in each one while its operator waits for the first screen.
"""

import tempfile
from pathlib import Path

from textual.pilot import Pilot

from backoffice_tui.config import Settings
from backoffice_tui.services.connection import open_database, upgrade_schema
from backoffice_tui.services.identity import resolve_actor
from backoffice_tui.services.people.teams import add_team
from backoffice_tui.services.people.users import add_user

_LOGIN = "warm-up"


def paint_off_screen(settings: Settings) -> None:
    """Run the console headless on a scratch database (one admin, one team)
    until its home screen shows its figures, then drop it all."""
    from backoffice_tui.tui.app import create_app
    from backoffice_tui.tui.screens.home import HomeScreen

    async def until_counted(pilot: Pilot[object]) -> None:
        while not (isinstance(pilot.app.screen, HomeScreen) and pilot.app.screen.counts):
            await pilot.pause(0.01)
        await pilot.pause()
        pilot.app.exit()

    with tempfile.TemporaryDirectory() as folder:
        db = open_database(
            f"sqlite:///{Path(folder) / 'warm-up.db'}", create=True, check_schema=False
        )
        try:
            upgrade_schema(db)
            add_user(db, None, _LOGIN, _LOGIN)
            actor = resolve_actor(db, _LOGIN)
            add_team(db, actor, _LOGIN)
            app = create_app(settings, db, actor)
            app.run(headless=True, size=(80, 24), auto_pilot=until_counted)
        finally:
            db.dispose()
