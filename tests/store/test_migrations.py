"""The migrations build exactly the schema the models describe, on both backends."""

from pprint import pformat
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Column, Engine, create_engine
from sqlalchemy.schema import SchemaItem

from backoffice_tui.store import models  # noqa: F401  (registers every table)
from backoffice_tui.store.base import Base


def _differences(engine: Engine) -> list[Any]:
    dialect = engine.dialect.name

    def on_this_backend(
        item: SchemaItem, name: str | None, kind: str, reflected: bool, compare_to: Any
    ) -> bool:
        # Autogenerate ignores ``ddl_if``: an index the models create only on
        # another backend would be reported missing here.
        condition = getattr(item, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    def server_defaults_differ(
        context: MigrationContext,
        reflected: Column[Any],
        column: Column[Any],
        reflected_default: str | None,
        default: Any,
        rendered_default: str | None,
    ) -> bool | None:
        # PostgreSQL has no = for json, so alembic cannot compare JSON
        # defaults there: they are compared as written
        if isinstance(column.type, JSON) and reflected_default is not None:
            return reflected_default.split("::")[0].strip("'") != rendered_default
        return None

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": server_defaults_differ,
                "include_object": on_this_backend,
            },
        )
        differences: list[Any] = compare_metadata(context, Base.metadata)
    return differences


def test_migrations_at_head_match_the_models(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        differences = _differences(engine)
    finally:
        engine.dispose()
    assert differences == [], "the migrations and the models differ:\n" + pformat(differences)


def test_a_column_the_migrations_lack_is_reported(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE customers ADD COLUMN stray INTEGER")
        differences = _differences(engine)
    finally:
        engine.dispose()
    assert [(kind, column.table.name, column.name) for kind, *_, column in differences] == [
        ("remove_column", "customers", "stray")
    ]
