"""work item stays: each item's waiting, working and blocked time so far

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 21:30:00

The flow and SLA reports read one row per work item instead of replaying
every item's status events. The rows are filled here from the events, in
one statement: the same replay the services use, written out in SQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE_KINDS = (
    "'work_item.ready', 'work_item.released', 'work_item.started', 'work_item.blocked', "
    "'work_item.unblocked', 'work_item.done', 'work_item.skipped'"
)
READIED = "'work_item.ready', 'work_item.released'"

BACKFILL = """
INSERT INTO work_item_stays (work_item_id, waiting, working, blocked, visits, readied_at,
    done_at, state, since, is_blocked, is_started, is_readied)
WITH counted AS (
    SELECT DISTINCT entity_id AS item_id FROM events
    WHERE entity = 'work_item' AND kind IN ({kinds})
),
stream AS (
    SELECT entity_id AS item_id, id AS seq, at, kind FROM events
    WHERE entity = 'work_item' AND kind IN ({kinds})
    UNION ALL
    SELECT id, 0, created_at,
        CASE WHEN position = 1 THEN 'work_item.ready' ELSE 'work_item.created' END
    FROM work_items WHERE id IN (SELECT item_id FROM counted)
),
marked AS (
    SELECT item_id, seq, at, kind,
        LEAD(at) OVER (PARTITION BY item_id ORDER BY at, seq) AS next_at,
        MAX(CASE WHEN kind = 'work_item.started' THEN seq END) OVER running AS last_started,
        MAX(CASE WHEN kind IN ({readied}) THEN seq END) OVER running AS last_readied,
        MAX(CASE WHEN kind = 'work_item.blocked' THEN seq END) OVER running AS last_blocked,
        MAX(CASE WHEN kind = 'work_item.unblocked' THEN seq END) OVER running AS last_unblocked
    FROM stream
    WINDOW running AS (PARTITION BY item_id ORDER BY at, seq
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
flagged AS (
    SELECT item_id, seq, at, kind, next_at,
        CASE WHEN COALESCE(last_blocked, -1) > COALESCE(last_unblocked, -1)
            THEN 1 ELSE 0 END AS is_blocked,
        CASE WHEN COALESCE(last_started, -1) > COALESCE(last_readied, -1)
            THEN 1 ELSE 0 END AS is_started,
        CASE WHEN last_readied IS NOT NULL THEN 1 ELSE 0 END AS is_readied
    FROM marked
),
spells AS (
    SELECT item_id, seq, at, kind, next_at, is_blocked, is_started, is_readied,
        CASE
            WHEN kind IN ('work_item.done', 'work_item.skipped') THEN 'closed'
            WHEN is_blocked = 1 THEN 'blocked'
            WHEN is_started = 1 THEN 'working'
            WHEN is_readied = 1 THEN 'waiting'
            ELSE 'pending'
        END AS state,
        CASE WHEN next_at IS NULL THEN 0.0 ELSE {seconds} END AS length
    FROM flagged
)
SELECT item_id,
    COALESCE(SUM(CASE WHEN state = 'waiting' THEN length ELSE 0.0 END), 0.0),
    COALESCE(SUM(CASE WHEN state = 'working' THEN length ELSE 0.0 END), 0.0),
    COALESCE(SUM(CASE WHEN state = 'blocked' THEN length ELSE 0.0 END), 0.0),
    SUM(CASE WHEN kind = 'work_item.started' THEN 1 ELSE 0 END),
    MIN(CASE WHEN kind IN ({readied}) AND seq > 0 THEN at END),
    MAX(CASE WHEN kind = 'work_item.done' THEN at END),
    MAX(CASE WHEN next_at IS NULL THEN state END),
    MAX(CASE WHEN next_at IS NULL THEN at END),
    MAX(CASE WHEN next_at IS NULL THEN is_blocked END) = 1,
    MAX(CASE WHEN next_at IS NULL THEN is_started END) = 1,
    MAX(CASE WHEN next_at IS NULL THEN is_readied END) = 1
FROM spells
GROUP BY item_id
"""
SECONDS = {
    "sqlite": "((julianday(next_at) - julianday(at)) * 86400.0)",
    "postgresql": "CAST(EXTRACT(EPOCH FROM (next_at - at)) AS DOUBLE PRECISION)",
}


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "work_item_stays",
        sa.Column("work_item_id", big_id, autoincrement=False, nullable=False),
        sa.Column("waiting", sa.Double(), nullable=False),
        sa.Column("working", sa.Double(), nullable=False),
        sa.Column("blocked", sa.Double(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("readied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_blocked", sa.Boolean(), nullable=False),
        sa.Column("is_started", sa.Boolean(), nullable=False),
        sa.Column("is_readied", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_work_item_stays_work_item_id_work_items"),
        ),
        sa.PrimaryKeyConstraint("work_item_id", name=op.f("pk_work_item_stays")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(BACKFILL.format(kinds=STATE_KINDS, readied=READIED, seconds=SECONDS[dialect]))


def downgrade() -> None:
    op.drop_table("work_item_stays")
