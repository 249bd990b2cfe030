"""Rework and approval lead times over a history known by construction:
a handoff returned once, an approval sent back once, an item reassigned."""

import tomllib
from datetime import date

import pytest

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs.read import handoff_of_work_item
from backoffice_tui.services.insight.approval_times import approval_report
from backoffice_tui.services.insight.filters import InsightFilter, StepKey
from backoffice_tui.services.insight.rework import rework_items, rework_report
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work.templates import load_template_text
from backoffice_tui.store.database import Database
from tests.helpers import request_for
from tests.services.test_insight import DAY, T0, Lab

REWORK_TEMPLATE = """
service = "lab-rework"
name = "Rework lab"
version = 1
description = "A handoff, then an approved step."

[[steps]]
key = "prepare"
name = "Prepare"
team = "provisioning"
sla_days = 2
handoff = true

[[steps]]
key = "operate"
name = "Operate"
team = "operations"
sla_days = 2
handoff = false

[[steps.approval]]
name = "Operations sign-off"
approvers = ["approver@operations"]
rule = "any"
due_hours = 24
"""

PREPARE = StepKey("lab-rework", "prepare", "Prepare", "provisioning", 1)
OPERATE = StepKey("lab-rework", "operate", "Operate", "operations", 2)
WANTED = InsightFilter(template="Rework lab", since=date(2026, 10, 26), until=date(2026, 11, 29))
NOW = T0 + 20 * DAY


@pytest.fixture
def history(demo_db: Database) -> tuple[Lab, list[int]]:
    """One order: prepare assigned twice, its handoff returned once and then
    accepted; operate's sign-off sent back once, then approved."""
    lab = Lab(demo_db)
    with demo_db.write() as session:
        load_template_text(
            session, "test", REWORK_TEMPLATE, tomllib.loads(REWORK_TEMPLATE), "rework.toml"
        )
    items = lab.at(T0).order("lab-rework")
    prepare, operate = items
    work_items.assign(lab.at(T0).as_user("watanabe"), prepare, "matsumoto")
    work_items.assign(lab.at(T0 + DAY / 4).as_user("watanabe"), prepare, "priya")
    lab.start("priya", prepare, T0 + DAY / 2)
    handoff = handoff_of_work_item(demo_db, prepare)
    assert handoff is not None
    handoffs.submit(lab.at(T0 + DAY).as_user("priya"), handoff)
    handoffs.return_handoff(lab.at(T0 + 2 * DAY).as_user("olivia"), handoff, "no runbook")
    handoffs.submit(lab.at(T0 + 3 * DAY).as_user("priya"), handoff)
    handoffs.accept(lab.at(T0 + 4 * DAY).as_user("hayashi"), handoff)
    lab.start("olivia", operate, T0 + 4 * DAY)  # asks for the sign-off
    request = request_for(demo_db, operate)
    approvals.send_back(lab.at(T0 + 4 * DAY + DAY / 4).as_user("kimura"), request, "add logs")
    approvals.reapply(lab.at(T0 + 5 * DAY).as_user("olivia"), request)
    approvals.approve(lab.at(T0 + 5 * DAY + DAY / 2).as_user("kimura"), request)
    return lab, items


def test_rework_counts_send_backs_returns_and_reassignments_per_step(history) -> None:  # type: ignore[no-untyped-def]
    lab, (prepare, operate) = history

    report = rework_report(lab.db, WANTED, NOW)

    rows = {r.step.step: r for r in report.rows}
    assert set(rows) == {"prepare", "operate"}
    assert (rows["prepare"].reassignments, rows["prepare"].returned_handoffs) == (1, 1)
    assert (rows["prepare"].send_backs, rows["prepare"].items) == (0, 1)
    assert (rows["operate"].send_backs, rows["operate"].total, rows["operate"].items) == (1, 1, 1)
    assert rework_items(lab.db, WANTED, NOW, PREPARE, "returned_handoffs") == (prepare,)
    assert rework_items(lab.db, WANTED, NOW, OPERATE, "send_backs") == (operate,)
    assert rework_items(lab.db, WANTED, NOW, OPERATE, "reassignments") == ()
    with pytest.raises(InvalidInput, match="no rework cell"):
        rework_items(lab.db, WANTED, NOW, OPERATE, "everything")


def test_rework_outside_the_period_does_not_count(history) -> None:  # type: ignore[no-untyped-def]
    lab, _ = history
    later = InsightFilter(template="Rework lab", since=date(2026, 11, 20), until=date(2026, 11, 29))
    assert rework_report(lab.db, later, NOW).rows == ()


def test_approval_lead_time_per_stage_and_decisions_per_approver(history) -> None:  # type: ignore[no-untyped-def]
    lab, _ = history

    report = approval_report(lab.db, WANTED, NOW)

    # sent back 6 h after the request, approved 12 h after re-applying
    (stage,) = report.stages
    assert (stage.stage, stage.decisions) == ("Operations sign-off", 2)
    assert (stage.hours.median, stage.hours.p85) == pytest.approx((6.0, 12.0))
    (kimura,) = report.approvers
    assert (kimura.approver, kimura.approved, kimura.sent_back, kimura.delegated) == (
        "kimura",
        1,
        1,
        0,
    )
    assert report.delegated_share == pytest.approx(0.0)
