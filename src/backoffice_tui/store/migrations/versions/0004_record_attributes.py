"""records keep what a file holds beyond their fields; imported logs keep their rows' keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 15:00:00

Customers, orders and work items take the columns of an imported file that
no field holds as attributes (header -> text); orders get a title, work
items the planned and actual start and finish dates of a project sheet, and
both a folded ``search_text`` of those values for the queue's text filter.
Users made by an import for names no user had are marked placeholders.
An event imported from a log keeps a key made from its row, unique, so that
importing the same log again adds nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATES = ("planned_start_on", "planned_finish_on", "actual_start_on", "actual_finish_on")


def _attributes() -> sa.Column[object]:
    return sa.Column("attributes", sa.JSON(), nullable=False, server_default="{}")


def _search_text() -> sa.Column[str]:
    return sa.Column("search_text", sa.Text(), nullable=False, server_default=sa.text("''"))


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(_attributes())
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title", sa.String(length=300), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(_attributes())
        batch_op.add_column(_search_text())
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        for name in _DATES:
            batch_op.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch_op.add_column(_attributes())
        batch_op.add_column(_search_text())
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("placeholder", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sa.String(length=64), nullable=True))
    op.create_index("uq_events_source_key", "events", ["source_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_events_source_key", table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("source_key")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("placeholder")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("search_text")
        batch_op.drop_column("attributes")
        for name in reversed(_DATES):
            batch_op.drop_column(name)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("search_text")
        batch_op.drop_column("attributes")
        batch_op.drop_column("title")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("attributes")
