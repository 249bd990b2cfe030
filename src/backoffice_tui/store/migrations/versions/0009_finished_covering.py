"""insight: the index of finished and open items carries what the reports read

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:30:00

The flow and SLA reports find the items finished in a period (and the open
ones) by status and finish time, then need each item's step, team, order
line, position and creation time: held in the index, they are read without
visiting the work item rows.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = [
    "status",
    "finished_at",
    "step_id",
    "team_id",
    "order_line_id",
    "position",
    "created_at",
    "id",
]


def upgrade() -> None:
    op.drop_index("ix_work_items_finished", table_name="work_items")
    op.create_index("ix_work_items_finished", "work_items", COVERED)


def downgrade() -> None:
    op.drop_index("ix_work_items_finished", table_name="work_items")
    op.create_index("ix_work_items_finished", "work_items", ["status", "finished_at"])
