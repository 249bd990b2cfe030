"""Insight reports over synthetic histories whose answers are known by
construction: orders of a small process run through the real services at
chosen moments, then the reports read back what was done.

The lab process has its own service, so the demo data around it never
counts: every report here is asked about the lab template only.
"""

import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.insight.approval_times import approval_report, approval_requests
from backoffice_tui.services.insight.automation import automated_items, automation_report
from backoffice_tui.services.insight.compare import compare_versions
from backoffice_tui.services.insight.filters import InsightFilter, StepKey
from backoffice_tui.services.insight.flow import AGE_LABELS, flow_items, flow_report
from backoffice_tui.services.insight.sla import sla_items, sla_report
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.services.work.templates import load_template_text
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, OrderLine, WorkItem
from tests.conftest import resolve_actor_for
from tests.helpers import request_for

# Monday 2 November 2026, 09:00 UTC
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
DAY = timedelta(days=1)
LAB = "lab"

LAB_TEMPLATE = """
service = "lab"
name = "Insight lab"
version = {version}
description = "A small process whose figures the tests know."

[[steps]]
key = "intake"
name = "Intake"
team = "sales-admin"
sla_days = {intake_sla}
handoff = false

[[steps]]
key = "build"
name = "Build"
team = "build"
sla_days = 2
handoff = false

[[steps]]
key = "review"
name = "Review"
team = "design"
sla_days = 2
handoff = false

[[steps.approval]]
name = "Design review"
approvers = ["approver@design"]
rule = "any"
due_hours = 24
"""

INTAKE = StepKey("lab", "intake", "Intake", "sales-admin", 1)
BUILD = StepKey("lab", "build", "Build", "build", 2)
REVIEW = StepKey("lab", "review", "Review", "design", 3)


class Lab:
    """Orders of the lab process, moved through the services at the
    moments a test chooses (``lab.at(moment)`` sets the clock)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.moment = T0
        self.orders = 0
        self.load(version=1)
        with db.read() as session:
            customer = session.scalar(select(Customer.code).order_by(Customer.id).limit(1))
        assert customer is not None
        self.customer = customer

    def load(self, version: int, intake_sla: int = 3) -> None:
        source = LAB_TEMPLATE.format(version=version, intake_sla=intake_sla)
        with self.db.write() as session:
            load_template_text(session, "test", source, tomllib.loads(source), "lab.toml")

    def at(self, moment: datetime) -> "Lab":
        self.moment = moment
        return self

    def as_user(self, login: str) -> Context:
        return Context(self.db, resolve_actor_for(self.db, login), clock=lambda: self.moment)

    def order(self, service: str = LAB) -> list[int]:
        """A new order of the lab process (or ``service``'s); its steps'
        item ids in order."""
        self.orders += 1
        order_id = create_order(
            self.as_user("suzuki"),
            NewOrder(
                code=f"LAB-{self.orders:04d}",
                customer_code=self.customer,
                services=(service,),
                received_on=self.moment.date(),
            ),
        )
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(WorkItem.id)
                    .join(OrderLine, OrderLine.id == WorkItem.order_line_id)
                    .where(OrderLine.order_id == order_id)
                    .order_by(WorkItem.position)
                )
            )

    def start(self, login: str, item_id: int, at: datetime) -> None:
        lifecycle.start(self.at(at).as_user(login), item_id)

    def done(self, login: str, item_id: int, at: datetime) -> None:
        lifecycle.done(self.at(at).as_user(login), item_id)


@pytest.fixture
def lab(demo_db: Database) -> Iterator[Lab]:
    yield Lab(demo_db)


def lab_filter(**values: object) -> InsightFilter:
    values.setdefault("template", "Insight lab")
    values.setdefault("since", date(2026, 10, 26))
    values.setdefault("until", date(2026, 11, 29))
    return InsightFilter(**values)  # type: ignore[arg-type]


NOW = T0 + 20 * DAY


def row_of(report, step: StepKey):  # type: ignore[no-untyped-def]
    found = [r for r in report.rows if (r.step.service, r.step.step) == (step.service, step.step)]
    assert len(found) == 1, [r.step for r in report.rows]
    return found[0]


# --- flow -----------------------------------------------------------------------------


def test_ten_items_waiting_two_days_and_working_one_have_a_three_day_cycle(lab: Lab) -> None:
    intake = [lab.at(T0).order()[0] for _ in range(10)]
    for item in intake:
        lab.start("tanaka", item, T0 + 2 * DAY)
        lab.done("tanaka", item, T0 + 3 * DAY)

    report = flow_report(lab.db, lab_filter(), NOW)

    row = row_of(report, INTAKE)
    assert row.done == 10
    assert (row.cycle.median, row.cycle.p85) == pytest.approx((3.0, 3.0))
    assert (row.waiting.median, row.working.median, row.blocked_time.median) == pytest.approx(
        (2.0, 1.0, 0.0)
    )
    assert row.revisited == 0
    assert row.wip == 0
    # the week of Monday 2 November finished all ten
    assert dict(zip(report.periods, row.throughput, strict=True))["2026-11-02"] == 10
    assert sum(row.throughput) == 10
    # the next step of each order is ready, waiting since the third day
    build = row_of(report, BUILD)
    assert (build.ready, build.in_progress, build.blocked, build.done) == (10, 0, 0, 0)
    assert build.ageing == (0, 0, 0, 0, 10)  # 17 days since ready at NOW
    assert build.cycle is None
    assert set(flow_items(lab.db, lab_filter(), NOW, INTAKE, "done")) == set(intake)


def test_percentiles_are_nearest_rank_and_split_into_waiting_working_blocked(lab: Lab) -> None:
    items = [lab.at(T0).order()[0] for _ in range(4)]
    # waiting 1, 2, 3, 4 days; working 1 day each; the last also blocked 2 days
    for n, item in enumerate(items, start=1):
        lab.start("tanaka", item, T0 + n * DAY)
    work_items.block(lab.at(T0 + 4 * DAY + DAY / 2).as_user("tanaka"), items[3], "customer away")
    work_items.unblock(lab.at(T0 + 6 * DAY + DAY / 2).as_user("tanaka"), items[3])
    for n, item in enumerate(items, start=1):
        lab.done("tanaka", item, T0 + (n + 1) * DAY + (2 * DAY if n == 4 else timedelta()))

    row = row_of(flow_report(lab.db, lab_filter(), NOW), INTAKE)

    # cycles 2, 3, 4, 7 days: median is the 2nd of 4, p85 the 4th
    assert (row.cycle.median, row.cycle.p85) == pytest.approx((3.0, 7.0))
    assert (row.waiting.median, row.waiting.p85) == pytest.approx((2.0, 4.0))
    assert (row.working.median, row.working.p85) == pytest.approx((1.0, 1.0))
    assert (row.blocked_time.median, row.blocked_time.p85) == pytest.approx((0.0, 2.0))


def test_repeat_visits_add_up_and_are_counted(lab: Lab) -> None:
    first, second = (lab.at(T0).order()[0] for _ in range(2))
    lab.start("tanaka", first, T0 + DAY)
    work_items.release(lab.at(T0 + 2 * DAY).as_user("tanaka"), first)  # back to the pool
    lab.start("emily", first, T0 + 4 * DAY)
    lab.done("emily", first, T0 + 5 * DAY)
    lab.start("tanaka", second, T0 + DAY)
    lab.done("tanaka", second, T0 + 2 * DAY)

    report = flow_report(lab.db, lab_filter(), NOW)

    row = row_of(report, INTAKE)
    assert row.done == 2 and row.revisited == 1
    # first: waiting 1 + 2 days, working 1 + 1; second: waiting 1, working 1
    assert (row.cycle.median, row.cycle.p85) == pytest.approx((2.0, 5.0))
    assert (row.working.median, row.working.p85) == pytest.approx((1.0, 2.0))
    assert flow_items(lab.db, lab_filter(), NOW, INTAKE, "revisited") == (first,)


def test_work_in_progress_and_ageing_drill_down_to_exactly_their_items(lab: Lab) -> None:
    waiting = lab.at(T0).order()[0]  # ready since T0
    working = lab.at(T0 + 9 * DAY).order()[0]
    lab.start("tanaka", working, T0 + 10 * DAY)
    blocked = lab.at(T0 + 18 * DAY).order()[0]
    work_items.block(lab.at(T0 + 19 * DAY).as_user("tanaka"), blocked, "no answer")

    report = flow_report(lab.db, lab_filter(), NOW)

    row = row_of(report, INTAKE)
    assert (row.ready, row.in_progress, row.blocked, row.wip) == (1, 1, 1, 3)
    # ready 20, 11 and 2 days ago
    assert dict(zip(AGE_LABELS, row.ageing, strict=True)) == {
        "<1d": 0,
        "1-3d": 1,
        "3-7d": 0,
        "7-14d": 1,
        "14d+": 1,
    }
    drill = lambda cell: flow_items(lab.db, lab_filter(), NOW, INTAKE, cell)  # noqa: E731
    assert drill("wip") == tuple(sorted((waiting, working, blocked)))
    assert drill("ready") == (waiting,)
    assert drill("in_progress") == (working,)
    assert drill("blocked") == (blocked,)
    assert drill("age:4") == (waiting,)
    assert drill("age:3") == (working,)
    assert drill("age:1") == (blocked,)
    assert drill("age:0") == ()


def test_throughput_by_month_and_the_period_bounds(lab: Lab) -> None:
    early, late, outside = (lab.at(T0).order()[0] for _ in range(3))
    lab.start("tanaka", early, T0)
    lab.done("tanaka", early, T0 + DAY)  # 3 November
    lab.start("tanaka", late, T0)
    lab.done("tanaka", late, datetime(2026, 12, 1, 10, tzinfo=UTC))
    lab.start("tanaka", outside, T0)
    lab.done("tanaka", outside, datetime(2026, 12, 20, 10, tzinfo=UTC))

    wanted = lab_filter(by="month", until=date(2026, 12, 10))
    report = flow_report(lab.db, wanted, datetime(2026, 12, 30, tzinfo=UTC))

    assert report.periods == ("2026-10-01", "2026-11-01", "2026-12-01")
    row = row_of(report, INTAKE)
    assert row.throughput == (0, 1, 1)
    assert flow_items(lab.db, wanted, NOW, INTAKE, "period:2026-12-01") == (late,)


def test_team_filter_and_bad_filters(lab: Lab) -> None:
    item = lab.at(T0).order()[0]
    lab.start("tanaka", item, T0 + DAY)
    lab.done("tanaka", item, T0 + 2 * DAY)

    report = flow_report(lab.db, lab_filter(team="build"), NOW)
    assert [r.step.step for r in report.rows] == ["build"]

    with pytest.raises(NotFound, match="no team 'nobody'"):
        flow_report(lab.db, lab_filter(team="nobody"), NOW)
    with pytest.raises(NotFound, match="no process template 'nothing'"):
        flow_report(lab.db, lab_filter(template="nothing"), NOW)
    with pytest.raises(InvalidInput, match="starts"):
        flow_report(lab.db, lab_filter(since=date(2026, 12, 1)), NOW)
    with pytest.raises(InvalidInput, match="--by"):
        flow_report(lab.db, lab_filter(by="day"), NOW)
    with pytest.raises(InvalidInput, match="no flow cell"):
        flow_items(lab.db, lab_filter(), NOW, INTAKE, "nonsense")


# --- SLA ------------------------------------------------------------------------------


def test_each_team_is_measured_on_its_own_clock(lab: Lab) -> None:
    late_intake = lab.at(T0).order()
    lab.start("tanaka", late_intake[0], T0)
    lab.done("tanaka", late_intake[0], T0 + 7 * DAY)  # Monday to Monday: 5 working days
    # build receives it late, on the day the order as a whole was due, and
    # takes one working day of its two
    lab.start("yamamoto", late_intake[1], T0 + 7 * DAY)
    lab.done("yamamoto", late_intake[1], T0 + 8 * DAY)
    quick = lab.at(T0).order()
    lab.start("tanaka", quick[0], T0)
    lab.done("tanaka", quick[0], T0 + DAY)

    report = sla_report(lab.db, lab_filter(), NOW)

    intake = row_of(report, INTAKE)
    assert (intake.sla_days, intake.finished, intake.hit, intake.breached) == (3, 2, 1, 1)
    assert intake.hit_rate == pytest.approx(0.5)
    assert intake.average_over == pytest.approx(2.0)
    build = row_of(report, BUILD)
    assert (build.finished, build.hit, build.breached, build.average_over) == (1, 1, 0, None)
    with lab.db.read() as session:  # late by the order's dates, on time by its own
        item = session.get(WorkItem, late_intake[1])
        assert item.finished_at.date() > item.due_on
    assert sla_items(lab.db, lab_filter(), NOW, INTAKE, "breached") == (late_intake[0],)
    assert sla_items(lab.db, lab_filter(), NOW, INTAKE, "hit") == (quick[0],)


def test_items_at_risk_have_used_three_quarters_of_their_time(lab: Lab) -> None:
    now = datetime(2026, 11, 5, 12, tzinfo=UTC)  # a Thursday
    at_limit = lab.at(T0).order()[0]  # 3 of 3 working days used
    fresh = lab.at(T0 + 2 * DAY).order()[0]  # 1 of 3
    late = lab.at(datetime(2026, 10, 26, 9, tzinfo=UTC)).order()[0]  # 8 of 3
    in_build = lab.at(T0).order()
    lab.start("tanaka", in_build[0], T0)
    lab.done("tanaka", in_build[0], T0 + DAY)  # build ready on Tuesday: 2 of 2 used

    report = sla_report(lab.db, lab_filter(), now)

    intake = row_of(report, INTAKE)
    assert (intake.at_risk, intake.late) == (1, 1)
    assert (row_of(report, BUILD).at_risk, row_of(report, BUILD).late) == (1, 0)
    listed = {(r.item_id, r.used_days, r.sla_days, r.percent_used) for r in report.at_risk}
    assert listed == {(late, 8, 3, 266), (at_limit, 3, 3, 100), (in_build[1], 2, 2, 100)}
    assert report.at_risk[0].item_id == late
    assert fresh not in {r.item_id for r in report.at_risk}
    assert sla_items(lab.db, lab_filter(), now, INTAKE, "at_risk") == (at_limit,)
    assert sla_items(lab.db, lab_filter(), now, INTAKE, "late") == (late,)
    with pytest.raises(InvalidInput, match="no SLA cell"):
        sla_items(lab.db, lab_filter(), now, INTAKE, "soon")


# --- before and after -----------------------------------------------------------------


def test_two_versions_compare_side_by_side(lab: Lab) -> None:
    old = [lab.at(T0).order()[0] for _ in range(3)]
    for item in old:
        lab.start("tanaka", item, T0 + 2 * DAY)
        lab.done("tanaka", item, T0 + 3 * DAY)  # 3 days, 2 waiting; SLA 3 kept
    lab.load(version=2, intake_sla=1)
    new = [lab.at(T0 + 7 * DAY).order()[0] for _ in range(2)]
    lab.start("tanaka", new[0], T0 + 7 * DAY)
    lab.done("tanaka", new[0], T0 + 8 * DAY)  # 1 working day: kept
    lab.start("tanaka", new[1], T0 + 7 * DAY)
    lab.done("tanaka", new[1], T0 + 9 * DAY)  # 2: over

    report = compare_versions(lab.db, lab_filter(), NOW)

    assert (report.before, report.after) == (1, 2)
    intake = next(r for r in report.rows if r.step.step == "intake")
    assert intake.before.done == 3 and intake.after.done == 2
    assert intake.before.cycle.median == pytest.approx(3.0)
    assert intake.before.waiting.median == pytest.approx(2.0)
    assert (intake.after.cycle.median, intake.after.cycle.p85) == pytest.approx((1.0, 2.0))
    assert (intake.before.sla_hit_rate, intake.after.sla_hit_rate) == pytest.approx((1.0, 0.5))
    assert compare_versions(lab.db, lab_filter(), NOW, before=2, after=1).before == 2
    with pytest.raises(NotFound, match="no version 7"):
        compare_versions(lab.db, lab_filter(), NOW, before=1, after=7)
    with pytest.raises(InvalidInput, match="--template"):
        compare_versions(lab.db, lab_filter(template=None), NOW)


def test_one_version_has_nothing_to_compare(lab: Lab) -> None:
    with pytest.raises(InvalidInput, match="only version 1"):
        compare_versions(lab.db, lab_filter(), NOW)


# --- automation -----------------------------------------------------------------------


def test_automation_rate_is_the_share_of_transitions_rules_made(lab: Lab) -> None:
    by_hand, by_rule = (lab.at(T0).order()[0] for _ in range(2))
    lab.start("tanaka", by_hand, T0 + DAY)
    lab.done("tanaka", by_hand, T0 + 2 * DAY)
    with lab.db.write() as session:  # what a rule's assignment leaves behind
        item = session.get(WorkItem, by_rule)
        record_event(
            session,
            "rule:round-robin",
            T0 + DAY,
            entity="work_item",
            entity_id=item.id,
            kind="work_item.assigned",
            summary="rule:round-robin assigned it to tanaka",
            team_id=item.team_id,
            payload={"assignee": "tanaka", "previous_assignee": None},
        )

    report = automation_report(lab.db, lab_filter(), NOW)

    (row,) = report.rows
    assert (row.service, row.version, row.transitions, row.by_rules) == ("lab", 1, 3, 1)
    assert row.rate == pytest.approx(1 / 3)
    assert automated_items(lab.db, lab_filter(), NOW, "lab", 1) == (by_rule,)


# --- approvals: the requests a figure counts ---------------------------------------


def test_approval_figures_list_exactly_the_requests_they_count(lab: Lab) -> None:
    requests = []
    for n in range(3):
        intake, build, review = lab.at(T0).order()
        lab.start("tanaka", intake, T0 + n * DAY / 8)
        lab.done("tanaka", intake, T0 + DAY)
        lab.start("yamamoto", build, T0 + DAY)
        lab.done("yamamoto", build, T0 + 2 * DAY)
        lab.start("david", review, T0 + 3 * DAY)  # asks for the design review
        requests.append(request_for(lab.db, review))
    first, second, undecided = requests
    approvals.approve(lab.at(T0 + 3 * DAY + DAY / 4).as_user("sato"), first)
    approvals.send_back(lab.at(T0 + 3 * DAY + DAY / 2).as_user("kobayashi"), second, "sketch")
    approvals.reapply(lab.at(T0 + 4 * DAY).as_user("david"), second)
    approvals.approve(lab.at(T0 + 5 * DAY).as_user("sato"), second)

    report = approval_report(lab.db, lab_filter(), NOW)
    (stage,) = report.stages
    assert (stage.stage, stage.decisions) == ("Design review", 3)
    by_stage = approval_requests(lab.db, lab_filter(), NOW, stage="Design review")
    assert [(r.id, r.decisions) for r in by_stage] == [(first, 1), (second, 2)]
    assert undecided not in {r.id for r in by_stage}
    totals = {a.approver: a.total for a in report.approvers}
    assert totals == {"sato": 2, "kobayashi": 1}
    for approver, total in totals.items():
        counted = approval_requests(lab.db, lab_filter(), NOW, approver=approver)
        assert sum(r.decisions for r in counted) == total
    assert [r.id for r in approval_requests(lab.db, lab_filter(), NOW, approver="kobayashi")] == [
        second
    ]
    assert approval_requests(lab.db, lab_filter(), NOW, delegated=True) == []
    assert approval_requests(lab.db, lab_filter(), NOW, stage="No such stage") == []
    # outside the period nothing is counted, so nothing is listed
    later = lab_filter(since=date(2026, 11, 20))
    assert approval_report(lab.db, later, NOW).stages == ()
    assert approval_requests(lab.db, later, NOW) == []
    with pytest.raises(NotFound, match="no team"):
        approval_requests(lab.db, lab_filter(team="no-such-team"), NOW)
