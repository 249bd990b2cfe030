"""events carry their writing transaction; PostgreSQL notifies new events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

The change feed must deliver every event exactly once although ids handed
out by concurrent transactions can commit out of order. On PostgreSQL each
event row records the id of the transaction that wrote it, so that a reader
can tell from a snapshot which writers have committed (see the change feed in services/events.py);
a statement-level trigger wakes listeners with ``pg_notify``. On SQLite
writes are serialized, so the column stays empty and the id is commit order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "backoffice_events"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    default = sa.text("(pg_current_xact_id()::text::bigint)") if postgres else None
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tx_id", sa.BigInteger(), nullable=True, server_default=default)
        )
    if postgres:
        op.create_index("ix_events_tx_id", "events", ["tx_id"], unique=False)
        op.execute(
            f"""
            CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{CHANNEL}', (SELECT max(id) FROM new_events)::text);
                RETURN NULL;
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER events_notify AFTER INSERT ON events "
            "REFERENCING NEW TABLE AS new_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION events_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_notify ON events")
        op.execute("DROP FUNCTION IF EXISTS events_notify()")
        op.drop_index("ix_events_tx_id", table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("tx_id")
