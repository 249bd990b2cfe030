"""Schema versions: upgrade, report, and refuse a schema this program does not know."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from backoffice_tui.domain.errors import SchemaMismatch
from backoffice_tui.store.engine import describe_url, unavailable

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as error:
        raise unavailable(engine, error) from error


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``revision``; returns (before, after)."""
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
    if revision is None:
        return
    scripts = ScriptDirectory.from_config(_config())
    try:
        scripts.get_revision(revision)
    except Exception:
        raise SchemaMismatch(
            f"the database {describe_url(engine.url)} has schema {revision}, newer than this "
            f"backoffice-tui knows (latest {head_revision()}); upgrade backoffice-tui "
            "(pip install --upgrade backoffice-tui)"
        ) from None


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
