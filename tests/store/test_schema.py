"""Schema creation, version checks and the append-only event table."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backoffice_tui.domain.errors import DatabaseUnavailable, SchemaMismatch
from backoffice_tui.services.connection import open_database, schema_status, upgrade_schema
from backoffice_tui.store.database import Database
from backoffice_tui.store.schema import head_revision


def test_upgrade_creates_the_schema_in_a_new_sqlite_file(tmp_path) -> None:
    path = tmp_path / "new" / "backoffice.db"
    db = open_database(f"sqlite:///{path}", create=True, check_schema=False)
    assert upgrade_schema(db) == (None, head_revision())
    assert schema_status(db).status == "current"
    assert upgrade_schema(db) == (head_revision(), head_revision())
    db.dispose()


def test_missing_sqlite_file_is_refused_and_not_created(tmp_path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(DatabaseUnavailable, match="db upgrade"):
        open_database(f"sqlite:///{path}")
    assert not path.exists()


@pytest.mark.parametrize("empty_url", ["sqlite"], indirect=True)
def test_sqlite_connections_use_wal_and_foreign_keys(empty_db: Database) -> None:
    with empty_db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_an_empty_database_is_refused_with_the_upgrade_command(empty_url: str) -> None:
    db = open_database(empty_url)
    with db.write() as session:
        session.execute(text("DELETE FROM alembic_version"))
    db.dispose()
    with pytest.raises(SchemaMismatch, match="db upgrade"):
        open_database(empty_url)


def test_a_newer_schema_is_refused(empty_url: str) -> None:
    db = open_database(empty_url)
    with db.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.dispose()
    with pytest.raises(SchemaMismatch, match="newer than this backoffice-tui"):
        open_database(empty_url)
    with pytest.raises(SchemaMismatch, match="newer"):
        upgrade_schema(open_database(empty_url, check_schema=False))


def test_events_are_append_only(demo_db: Database) -> None:
    for statement in ("UPDATE events SET summary = 'rewritten'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="append-only"), demo_db.write() as session:
            session.execute(text(statement))
    with demo_db.read() as session:
        assert session.execute(text("SELECT count(*) FROM events")).scalar() > 100
        assert not session.execute(
            text("SELECT count(*) FROM events WHERE summary = 'rewritten'")
        ).scalar()


def test_revision_ids_match_alembics_own_view() -> None:
    from alembic.script import ScriptDirectory

    from backoffice_tui.store.schema import _config, known_revisions

    scripts = ScriptDirectory.from_config(_config())
    assert known_revisions() == sorted(s.revision for s in scripts.walk_revisions())
    assert head_revision() == scripts.get_current_head()
