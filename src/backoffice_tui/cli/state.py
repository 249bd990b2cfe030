"""What every command shares: settings, the database and the operator.

The database layers (SQLAlchemy, the models, the driver) load when a
command first asks for the database, not when the command line starts:
``--help``, ``config`` and a refused option go without them.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from backoffice_tui.config import Settings, load_settings
from backoffice_tui.config.paths import keep_files_per_login
from backoffice_tui.config.secrets import FoundPassword, password_candidates

if TYPE_CHECKING:
    from backoffice_tui.services.connection import URL, Database
    from backoffice_tui.services.context import Actor, Context
    from backoffice_tui.services.identity import IdentitySource


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile. Loading a command's modules
    and opening the database make a hundred thousand objects that live as
    long as the process; the collector would walk them again and again while
    they are made, for a tenth of a short command's CPU time. They are then
    frozen (kept out of every later collection), or the first collection
    after would walk them all once more."""
    if not gc.isenabled():  # already off (the session server keeps it so)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _prompt_for_password(label: str) -> str:
    return click.prompt(label, hide_input=True, err=True)


def password_for(url: URL) -> Iterator[FoundPassword]:
    """The passwords for a PostgreSQL URL from keyring, env, ~/.pgpass or a
    prompt, in that order, each asked for only if the server refused the last."""
    from backoffice_tui.services.identity import os_login

    return password_candidates(
        url.username or os_login(),
        url.host or "localhost",
        url.port or 5432,
        url.database or "",
        prompt=_prompt_for_password if sys.stdin.isatty() else None,
    )


@dataclass
class CliState:
    """``gateway_login`` is set by ``backoffice gateway`` alone (the SSH
    gateway's forced command names it; no option does): that login is then
    the operator, and this process keeps its files in the login's folders."""

    database_option: str | None
    config_option: Path | None
    user_option: str | None
    theme: str | None = None
    gateway_login: str | None = None
    _settings: Settings | None = field(default=None, init=False)
    _db: Database | None = field(default=None, init=False)
    _actor: Actor | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.gateway_login is not None:
            keep_files_per_login(self.gateway_login)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(
                database=self.database_option, config=self.config_option, user=self.user_option
            )
        return self._settings

    def database(self, *, create: bool = False, check_schema: bool = True) -> Database:
        """Open the database; by default refuse a schema other than this program's."""
        if self._db is None:
            with collector_paused():  # the driver loads here
                from backoffice_tui.services.connection import COMMAND_BACKOFF, open_database

                self._db = open_database(
                    self.settings.database_url,
                    create=create,
                    check_schema=check_schema,
                    password_resolver=password_for,
                    pool_size=self.settings.pool_size,
                    connect_timeout=self.settings.connect_timeout,
                    backoff=COMMAND_BACKOFF,
                )
        return self._db

    def actor(self) -> Actor:
        if self._actor is None:
            from backoffice_tui.services.identity import resolve_actor

            self._actor = resolve_actor(
                self.database(), self.settings.user, gateway_login=self.gateway_login
            )
        return self._actor

    def identity_source(self) -> IdentitySource:
        """What established the operator (``backoffice whoami``)."""
        from backoffice_tui.services.identity import identity_source

        return identity_source(self.database(), self.settings.user, self.gateway_login)

    def context(self) -> Context:
        from backoffice_tui.services.context import Context

        return Context(self.database(), self.actor())

    def reset(self) -> None:
        """Forget the settings and database, after an option changed."""
        self.close()
        self._settings = self._db = self._actor = None

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


pass_state = click.make_pass_decorator(CliState)
