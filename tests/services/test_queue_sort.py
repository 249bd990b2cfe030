"""Sorting the queue by any column, either way, over a few thousand items:
every window (keyset forwards, backwards, by offset) agrees with one read
of the whole queue, and that read is in the order the column says."""

from datetime import date
from typing import Any

import pytest

from backoffice_tui.demo.generate import generate
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.work.queue import (
    QueueFilter,
    QueueRow,
    QueueSort,
    list_queue,
    status_rank,
)
from backoffice_tui.store.database import Database

TODAY = date.today()
EVERY_STATUS = QueueFilter(statuses=tuple(WorkStatus))


def _read(db: Database, queue_filter: QueueFilter, **options: Any) -> list[QueueRow]:
    return list_queue(db, None, queue_filter, today=TODAY, **options)


def _expected_key(row: QueueRow, sort: QueueSort) -> tuple[Any, ...]:
    """The order each column promises, written out independently of the service."""
    return {
        QueueSort.DUE: (row.due, row.id),
        QueueSort.PRIORITY: (row.priority, row.due, row.id),
        QueueSort.NEWEST: (-row.id,),
        QueueSort.ID: (row.id,),
        QueueSort.CUSTOMER: (row.customer_name, row.id),
        QueueSort.ORDER: (row.order_code, row.id),
        QueueSort.SERVICE: (row.service, row.id),
        QueueSort.STEP: (row.step, row.id),
        QueueSort.TEAM: (row.team, row.id),
        QueueSort.ASSIGNEE: (row.assignee or "", row.id),
        QueueSort.STATUS: (status_rank(row.status), row.due, row.id),
    }[sort]


def _forwards(
    db: Database, queue_filter: QueueFilter, sort: QueueSort, descending: bool
) -> list[int]:
    ids: list[int] = []
    after = None
    while page := _read(db, queue_filter, limit=97, after=after, sort=sort, descending=descending):
        ids += [row.id for row in page]
        after = page[-1].sort_key(sort)
    return ids


def _backwards(
    db: Database, queue_filter: QueueFilter, sort: QueueSort, descending: bool
) -> list[int]:
    """From the end up, each window read before the row just below it."""
    ids: list[int] = []
    page = _read(db, queue_filter, limit=89, reverse=True, sort=sort, descending=descending)
    while page:
        ids = [row.id for row in page] + ids
        below = page[0].sort_key(sort)
        page = _read(
            db, queue_filter, limit=89, after=below, reverse=True, sort=sort, descending=descending
        )
    return ids


@pytest.mark.parametrize("empty_url", ["sqlite", "postgresql"], indirect=True)
def test_every_column_sorts_both_ways_and_pages_without_gaps(empty_db: Database) -> None:
    generate(empty_db, customers=60, work_items=3_000, seed=5)
    for queue_filter in (EVERY_STATUS, QueueFilter(), QueueFilter(statuses=(WorkStatus.READY,))):
        everything = _read(empty_db, queue_filter, limit=100_000)
        assert len(everything) > 100
        for sort in QueueSort:
            for descending in (False, True):
                whole = _read(
                    empty_db, queue_filter, limit=100_000, sort=sort, descending=descending
                )
                expected = sorted(
                    everything, key=lambda row: _expected_key(row, sort), reverse=descending
                )
                ids = [row.id for row in expected]
                assert [row.id for row in whole] == ids, (queue_filter, sort, descending)
                if queue_filter is EVERY_STATUS:
                    assert _forwards(empty_db, queue_filter, sort, descending) == ids
                    assert _backwards(empty_db, queue_filter, sort, descending) == ids
                    middle = _read(
                        empty_db,
                        queue_filter,
                        limit=50,
                        offset=1_234,
                        sort=sort,
                        descending=descending,
                    )
                    assert [row.id for row in middle] == ids[1_234:1_284]


@pytest.mark.parametrize("demo_url", ["sqlite", "postgresql"], indirect=True)
def test_sorting_by_customer_keeps_wide_names_in_code_point_order(demo_db: Database) -> None:
    rows = _read(demo_db, EVERY_STATUS, limit=10_000, sort=QueueSort.CUSTOMER)
    names = [row.customer_name for row in rows]
    assert names == sorted(names)
    assert any(not name.isascii() for name in names)  # the demo's Japanese names
    descending = _read(
        demo_db, EVERY_STATUS, limit=10_000, sort=QueueSort.CUSTOMER, descending=True
    )
    assert [row.customer_name for row in descending] == sorted(names, reverse=True)
