"""insight: indexes the reports read through

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 18:00:00

The reports find the items finished in a period by status and finish time,
and read each item's status events (when it became ready, started, was
blocked) from an index that holds the kind and time, without visiting the
event rows.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_work_items_finished", "work_items", ["status", "finished_at"])
    op.create_index("ix_events_entity_kind", "events", ["entity", "entity_id", "kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_events_entity_kind", table_name="events")
    op.drop_index("ix_work_items_finished", table_name="work_items")
