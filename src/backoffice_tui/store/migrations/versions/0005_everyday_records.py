"""everyday records: versioned customers and orders, cancellations, handoff submitters

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 14:00:00

Customers and orders are edited in the console and on the command line,
so both get a version (a stale edit is refused). Orders and their lines
can be cancelled with a reason; a step may have its own title. A handoff
keeps who submitted it (that person may not accept or return it). A
delegation keeps who set it and when it was ended early.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer(), nullable=False, server_default="1")


def _status() -> sa.Column[str]:
    return sa.Column("status", sa.String(length=16), nullable=False, server_default="open")


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(_version())
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(_status())
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch_op.add_column(_version())
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(_status())
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title", sa.String(length=300), nullable=False, server_default=sa.text("''"))
        )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_handoffs_submitted_by_id_users", "users", ["submitted_by_id"], ["id"]
        )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_delegations_created_by_id_users", "users", ["created_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.drop_constraint("fk_delegations_created_by_id_users", type_="foreignkey")
        batch_op.drop_column("ended_at")
        batch_op.drop_column("created_by_id")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_handoffs_submitted_by_id_users", type_="foreignkey")
        batch_op.drop_column("submitted_by_id")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("title")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("status")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("status")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("version")
