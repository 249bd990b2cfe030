"""approval stages remember when they became current; approvers are indexed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00

The inbox asks "which pending stages name one of my keys" (my login, my
role@team entries and those of whoever delegated to me). A stage's approvers
were only a JSON list; each entry now also has a row in
``approval_stage_approvers`` indexed by the key. Stages keep their allowed
time and record when they became current (waiting since, reminders) and the
last decision before that, so that a stage sent back and reached again
counts only its new approvals.
Decisions record the approver entry they were made as (rule "all") and are
indexed by stage, which the inbox and every decision read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("approval_stages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_hours", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("since_decision_id", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_approval_stages_state", ["state", "due_at"], unique=False)
    with op.batch_alter_table("approval_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_approver", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_approval_decisions_stage", ["stage_id", "id"], unique=False)
    op.create_table(
        "approval_stage_approvers",
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("approver", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["approval_stages.id"],
            name=op.f("fk_approval_stage_approvers_stage_id_approval_stages"),
        ),
        sa.PrimaryKeyConstraint("stage_id", "approver", name=op.f("pk_approval_stage_approvers")),
    )
    op.create_index(
        "ix_approval_stage_approvers_approver",
        "approval_stage_approvers",
        ["approver", "stage_id"],
        unique=False,
    )
    # Stages written before this revision: their entries become rows.
    connection = op.get_bind()
    stages = sa.table("approval_stages", sa.column("id"), sa.column("approvers", sa.JSON()))
    rows = sa.table("approval_stage_approvers", sa.column("stage_id"), sa.column("approver"))
    entries = [
        {"stage_id": stage_id, "approver": approver}
        for stage_id, approvers in connection.execute(sa.select(stages.c.id, stages.c.approvers))
        for approver in dict.fromkeys(approvers or [])
    ]
    if entries:
        connection.execute(rows.insert(), entries)


def downgrade() -> None:
    op.drop_index("ix_approval_stage_approvers_approver", table_name="approval_stage_approvers")
    op.drop_table("approval_stage_approvers")
    with op.batch_alter_table("approval_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_decisions_stage")
        batch_op.drop_column("as_approver")
    with op.batch_alter_table("approval_stages", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_stages_state")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("since_decision_id")
        batch_op.drop_column("entered_at")
        batch_op.drop_column("due_hours")
