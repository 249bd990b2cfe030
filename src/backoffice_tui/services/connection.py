"""Opening the database and managing its schema, for the command line and the console."""

from dataclasses import dataclass

from sqlalchemy.engine import URL

from backoffice_tui.store import schema
from backoffice_tui.store.database import Database
from backoffice_tui.store.engine import PasswordResolver, create_database_engine, parse_database_url

__all__ = [
    "URL",
    "Database",
    "PasswordResolver",
    "SchemaStatus",
    "open_database",
    "parse_database_url",
]


def open_database(
    url: str,
    *,
    create: bool = False,
    check_schema: bool = True,
    password_resolver: PasswordResolver | None = None,
    pool_size: int | None = None,
) -> Database:
    """Open ``url``; by default refuse a schema other than this program's.

    A missing SQLite file is refused unless ``create`` is true; ``pool_size``
    bounds the connections held (see ``create_database_engine``).
    """
    engine = create_database_engine(
        url, create=create, password_resolver=password_resolver, pool_size=pool_size
    )
    try:
        if check_schema:
            schema.ensure_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


@dataclass(frozen=True)
class SchemaStatus:
    database: str
    current: str | None
    head: str

    @property
    def status(self) -> str:
        if self.current == self.head:
            return "current"
        return "empty" if self.current is None else "differs"


def schema_status(db: Database) -> SchemaStatus:
    return SchemaStatus(db.description, schema.current_revision(db.engine), schema.head_revision())


def upgrade_schema(db: Database) -> tuple[str | None, str]:
    """Create or upgrade the schema; returns the revisions before and after."""
    return schema.upgrade(db.engine)
