"""The flow and SLA figures at their edges, on both backends: percentiles of
parts that are mostly (or all) zero, throughput weeks at their UTC bounds,
the list of items at risk in its order, and the day arithmetic the reports
count periods by."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal_column, select, union_all

from backoffice_tui.services.insight.clock import DAY_ZERO, day_number, period_day, period_start
from backoffice_tui.services.insight.flow import flow_items, flow_report, period_of_day
from backoffice_tui.services.insight.sla import sla_report
from backoffice_tui.services.insight.stays import at_utc
from backoffice_tui.services.work import items as work_items
from backoffice_tui.store.database import Database
from tests.services.test_insight import DAY, INTAKE, NOW, T0, Lab, lab_filter, row_of


@pytest.fixture
def lab(demo_db: Database) -> Lab:
    return Lab(demo_db)


def test_a_step_whose_parts_are_all_zero_has_zero_percentiles(lab: Lab) -> None:
    items = [lab.at(T0).order()[0] for _ in range(3)]
    for item in items:  # started and done the moment it arrived
        lab.start("tanaka", item, T0)
        lab.done("tanaka", item, T0)

    row = row_of(flow_report(lab.db, lab_filter(), NOW), INTAKE)

    assert row.done == 3
    for spread in (row.cycle, row.waiting, row.working, row.blocked_time):
        assert spread is not None
        assert (spread.median, spread.p85) == (0.0, 0.0)


def test_percentiles_rank_past_the_zeros(lab: Lab) -> None:
    # seven items: five never blocked, two blocked 1 and 3 days
    items = [lab.at(T0).order()[0] for _ in range(7)]
    for item in items:
        lab.start("tanaka", item, T0 + DAY)
    for item, days in ((items[5], 1), (items[6], 3)):
        work_items.block(lab.at(T0 + 2 * DAY).as_user("tanaka"), item, "waiting on parts")
        work_items.unblock(lab.at(T0 + (2 + days) * DAY).as_user("tanaka"), item)
    for item in items:
        lab.done("tanaka", item, T0 + 6 * DAY)

    row = row_of(flow_report(lab.db, lab_filter(), NOW), INTAKE)

    # blocked 0, 0, 0, 0, 0, 1, 3: the 4th of 7 is 0, the ceil(0.85 * 7) = 6th is 1
    assert row.blocked_time is not None
    assert (row.blocked_time.median, row.blocked_time.p85) == pytest.approx((0.0, 1.0))
    # working is what is left of the five days since the start
    assert row.working is not None
    assert (row.working.median, row.working.p85) == pytest.approx((5.0, 5.0))
    assert row.cycle is not None
    assert (row.cycle.median, row.cycle.p85) == pytest.approx((6.0, 6.0))


def test_throughput_weeks_end_at_midnight_utc_on_sunday(lab: Lab) -> None:
    sunday, monday = (lab.at(T0).order()[0] for _ in range(2))
    for item in (sunday, monday):
        lab.start("tanaka", item, T0)
    lab.done("tanaka", sunday, datetime(2026, 11, 8, 23, 59, 59, tzinfo=UTC))
    lab.done("tanaka", monday, datetime(2026, 11, 9, 0, 0, 1, tzinfo=UTC))

    report = flow_report(lab.db, lab_filter(), NOW)

    weeks = dict(zip(report.periods, row_of(report, INTAKE).throughput, strict=True))
    assert (weeks["2026-11-02"], weeks["2026-11-09"]) == (1, 1)
    assert flow_items(lab.db, lab_filter(), NOW, INTAKE, "period:2026-11-02") == (sunday,)
    assert flow_items(lab.db, lab_filter(), NOW, INTAKE, "period:2026-11-09") == (monday,)
    months = flow_report(lab.db, lab_filter(by="month"), NOW)
    assert dict(zip(months.periods, row_of(months, INTAKE).throughput, strict=True)) == {
        "2026-10-01": 0,
        "2026-11-01": 2,
    }


def test_items_at_risk_are_listed_most_used_first(lab: Lab) -> None:
    now = datetime(2026, 11, 12, 12, tzinfo=UTC)  # a Thursday
    # ready on these days, 3 working days allowed at intake
    oldest = lab.at(datetime(2026, 11, 2, 9, tzinfo=UTC)).order()[0]  # 8 used
    older = lab.at(datetime(2026, 11, 4, 9, tzinfo=UTC)).order()[0]  # 6 used
    same = [lab.at(datetime(2026, 11, 9, 9, tzinfo=UTC)).order()[0] for _ in range(2)]  # 3
    lab.at(datetime(2026, 11, 11, 9, tzinfo=UTC)).order()  # 1 used: not at risk

    report = sla_report(lab.db, lab_filter(), now)

    assert [(r.item_id, r.used_days, r.percent_used) for r in report.at_risk] == [
        (oldest, 8, 266),
        (older, 6, 200),
        (min(same), 3, 100),
        (max(same), 3, 100),
    ]
    intake = row_of(report, INTAKE)
    assert (intake.at_risk, intake.late) == (2, 2)


MOMENTS = (
    datetime(2026, 11, 8, 23, 59, 59, 999999, tzinfo=UTC),  # a Sunday, just before midnight
    datetime(2026, 11, 9, tzinfo=UTC),  # the Monday after, at midnight
    datetime(2026, 3, 1, 12, tzinfo=UTC),  # a Sunday starting a month
    datetime(2024, 2, 29, 6, tzinfo=UTC),  # a leap day
    datetime(2027, 1, 1, tzinfo=UTC),  # a Friday starting a year
    datetime(1970, 1, 3, 23, tzinfo=UTC),  # before the first day counted
)


@pytest.mark.parametrize("by", ["week", "month"])
def test_a_day_numbers_period_is_the_period_sql_names(demo_db: Database, by: str) -> None:
    rows = union_all(
        *(
            select(
                literal_column(str(index)).label("moment"),
                period_day(at_utc(moment), by).label("day"),
                period_start(at_utc(moment), by).label("period"),
            )
            for index, moment in enumerate(MOMENTS)
        )
    )
    with demo_db.read() as session:
        found = sorted(session.execute(rows).all())
    assert [(period_of_day(day, by), period) for _, day, period in found] == [
        (period, period) for _, _, period in found
    ]


def test_day_numbers_count_from_sunday_4_january_1970(demo_db: Database) -> None:
    rows = union_all(
        *(
            select(
                literal_column(str(index)).label("moment"),
                day_number(at_utc(moment)).label("day"),
            )
            for index, moment in enumerate(MOMENTS)
        )
    )
    with demo_db.read() as session:
        found = [day for _, day in sorted(session.execute(rows).all())]
    assert found == [(moment.date() - DAY_ZERO) // timedelta(days=1) for moment in MOMENTS]
