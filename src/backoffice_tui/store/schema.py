"""Schema versions: upgrade, report, and refuse a schema this program does not know.

Checking the version is a plain query, so that opening the console does not
load Alembic; Alembic runs only to upgrade. Revision ids are the numeric
prefixes of the files in ``migrations/versions`` (a test keeps the two in step).
"""

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from backoffice_tui.domain.errors import SchemaMismatch
from backoffice_tui.store.engine import describe_url, unavailable

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def known_revisions() -> list[str]:
    """Every revision this program knows, oldest first."""
    return sorted(
        path.name.split("_", 1)[0] for path in (_MIGRATIONS / "versions").glob("[0-9]*_*.py")
    )


def head_revision() -> str:
    return known_revisions()[-1]


def _config() -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as error:
        raise unavailable(engine, error) from error


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``revision``; returns (before, after)."""
    from alembic import command

    before = current_revision(engine)
    _refuse_unknown(engine, before)
    config = _config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except DBAPIError as error:
        raise unavailable(engine, error) from error
    return before, current_revision(engine) or ""


def _refuse_unknown(engine: Engine, revision: str | None) -> None:
    if revision is not None and revision not in known_revisions():
        raise SchemaMismatch(
            f"the database {describe_url(engine.url)} has schema {revision}, newer than this "
            f"backoffice-tui knows (latest {head_revision()}); upgrade backoffice-tui "
            "(pip install --upgrade backoffice-tui)"
        )


def ensure_current(engine: Engine) -> None:
    """Refuse to work on a missing, older or newer schema, saying what to do."""
    revision = current_revision(engine)
    where = describe_url(engine.url)
    if revision is None:
        raise SchemaMismatch(
            f"the database {where} has no backoffice schema; create it with "
            f"`backoffice --database {where} db upgrade`"
        )
    _refuse_unknown(engine, revision)
    if revision != head_revision():
        raise SchemaMismatch(
            f"the database {where} has an older schema ({revision}, latest {head_revision()}); "
            "run `backoffice db upgrade`"
        )
