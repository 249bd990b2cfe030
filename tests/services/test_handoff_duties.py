"""Segregation of duties: who submitted a handoff neither returns nor accepts
it, unless the template step lets a lead of the receiving team override,
which is recorded; who requested an approval does not decide it."""

import itertools
import tomllib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import InvalidInput, PermissionDenied
from backoffice_tui.domain.roles import Role
from backoffice_tui.domain.templates import parse_template
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.events import entity_history
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs.read import handoff_of_work_item
from backoffice_tui.services.people.users import UserEdit, edit_user
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.services.work.templates import load_templates
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Handoff, User, WorkItem
from tests.helpers import stage

_codes = itertools.count(1)

TEMPLATE = """
service = "duty-check"
name = "Duty check"
version = 1

[[steps]]
key = "build"
name = "Build it"
team = "build"
sla_days = 2
handoff = true
{option}

[[steps]]
key = "run"
name = "Run it"
team = "operations"
sla_days = 1
"""


def submitted_handoff(as_user, tmp_path: Path, *, override: bool) -> int:  # type: ignore[no-untyped-def]
    """A handoff from build to operations that kimura (build operator,
    operations operator) submitted; on a step allowing a lead override or not."""
    admin = as_user("admin-ito")
    path = tmp_path / "duty.toml"
    path.write_text(
        TEMPLATE.format(option="lead_may_override = true" if override else ""), encoding="utf-8"
    )
    load_templates(admin.db, admin.actor, [path])
    code = f"DUTY-{next(_codes):04d}"
    order_id = create_order(admin, NewOrder(code, "C0003", ("duty-check",), date.today()))
    with admin.db.read() as session:
        item_id = session.scalars(
            select(WorkItem.id).where(WorkItem.order_id == order_id).order_by(WorkItem.position)
        ).first()
    assert item_id is not None
    kimura = as_user("kimura")
    work_items.claim(kimura, item_id)
    lifecycle.start(kimura, item_id)
    handoff_id = handoff_of_work_item(admin.db, item_id)
    assert handoff_id is not None
    handoffs.submit(kimura, handoff_id)
    return handoff_id


def submitter(db: Database, handoff_id: int) -> str:
    with db.read() as session:
        handoff = session.get_one(Handoff, handoff_id)
        user = session.get_one(User, handoff.submitted_by_id)
        return user.login


def test_the_submitter_neither_returns_nor_accepts(
    demo_db: Database, as_user, tmp_path: Path
) -> None:
    handoff_id = submitted_handoff(as_user, tmp_path, override=False)
    assert submitter(demo_db, handoff_id) == "kimura"
    kimura = as_user("kimura")
    with pytest.raises(PermissionDenied, match=r"kimura submitted handoff .* must accept it"):
        handoffs.accept(kimura, handoff_id)
    with pytest.raises(PermissionDenied, match=r"kimura submitted handoff .* must return it"):
        handoffs.return_handoff(kimura, handoff_id, "not complete")
    # a lead of operations now, but the step does not allow the override
    edit_user(
        demo_db, as_user("admin-ito").actor, "kimura", UserEdit(add=(("operations", Role.LEAD),))
    )
    with pytest.raises(PermissionDenied, match="must accept it"):
        handoffs.accept(as_user("kimura"), handoff_id)
    handoffs.accept(as_user("olivia"), handoff_id)
    with demo_db.read() as session:
        last = entity_history(session, "handoff", handoff_id)[-1]
    assert last.kind == "handoff.accepted" and "override" not in last.summary


def test_someone_else_returns_and_the_resubmitter_is_recorded(
    demo_db: Database, as_user, tmp_path: Path
) -> None:
    handoff_id = submitted_handoff(as_user, tmp_path, override=False)
    handoffs.return_handoff(as_user("olivia"), handoff_id, "runbook missing")
    handoffs.submit(as_user("yamamoto"), handoff_id)
    assert submitter(demo_db, handoff_id) == "yamamoto"
    handoffs.accept(as_user("kimura"), handoff_id)  # kimura did not submit it this time


def test_a_lead_may_override_only_where_the_step_allows(
    demo_db: Database, as_user, tmp_path: Path
) -> None:
    handoff_id = submitted_handoff(as_user, tmp_path, override=True)
    with pytest.raises(PermissionDenied, match=r"only a lead of team operations .* kimura is not"):
        handoffs.accept(as_user("kimura"), handoff_id)
    edit_user(
        demo_db, as_user("admin-ito").actor, "kimura", UserEdit(add=(("operations", Role.LEAD),))
    )
    with pytest.raises(PermissionDenied, match="must return it"):
        handoffs.return_handoff(as_user("kimura"), handoff_id, "the override is for accepting")
    handoffs.accept(as_user("kimura"), handoff_id)
    with demo_db.read() as session:
        last = entity_history(session, "handoff", handoff_id)[-1]
        assert last.kind == "handoff.accepted" and "override by lead" in last.summary
        handoff = session.get_one(Handoff, handoff_id)
        assert handoff.state == "accepted"


def parsed(option: str, handoff: str = "true"):  # type: ignore[no-untyped-def]
    text = TEMPLATE.replace("handoff = true", f"handoff = {handoff}")
    return parse_template(tomllib.loads(text.format(option=option)), "duty.toml")


def test_the_option_is_checked_when_the_template_is_read() -> None:
    assert parsed("lead_may_override = true").steps[0].lead_may_override
    assert not parsed("").steps[0].lead_may_override
    with pytest.raises(InvalidInput, match="'lead_may_override' must be true or false"):
        parsed('lead_may_override = "yes"')
    with pytest.raises(InvalidInput, match="applies to a handoff"):
        parsed("lead_may_override = true", handoff="false")


def test_the_requester_does_not_decide_their_own_approval(demo_db: Database, as_user) -> None:
    """kimura is an approver in operations, and the stage names that role."""
    kimura = as_user("kimura")
    order_id = create_order(kimura, NewOrder("DUTY-APPROVAL", "C0003", ("custom",), date.today()))
    request_id = approvals.request_approval(
        kimura, "order", order_id, [stage("Ops", "approver@operations", "hayashi")], "Own request"
    )
    with pytest.raises(PermissionDenied, match="someone else on its route must decide"):
        approvals.approve(kimura, request_id)
    approvals.approve(as_user("hayashi"), request_id)
