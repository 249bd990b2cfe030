"""Each action of a rule on both backends, checked in the database after:
the changed row, and its event by ``rule:<name>`` recorded as made by the
rule's version; and a rule that may not do its work is refused and the
failure recorded, with nothing written."""

from datetime import date

import pytest
from sqlalchemy import select, update

from backoffice_tui.domain.working_days import add_working_days
from backoffice_tui.services.applications.actions import file_application
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.rules.conditions import step_is_automatic
from backoffice_tui.services.rules.history import try_rule
from backoffice_tui.services.rules.runner import run_once
from backoffice_tui.services.work import items, lifecycle
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Application,
    ApprovalDecision,
    ApprovalRequest,
    Event,
    Handoff,
    HandoffItem,
    Order,
    RuleFiring,
    Team,
    TemplateStep,
    User,
    WorkItem,
)
from tests.services.rule_helpers import (
    MakeContext,
    count,
    design_items,
    events_by,
    item_of,
    keep_demo_rules,
    load,
    made_by,
    serve_once,
)

GOOD = {
    "employee_number": "E40001",
    "reason": "expired",
    "name_on_card": "田中 花子",
    "pickup_office": "Osaka branch",
    "copies": "1",
}


def acting_rule(name: str, roles: str, ids: list[int], actions: str) -> str:
    """A rule acting on the given steps at its next run; ``actions`` is an
    ``actions = [...]`` line or ``[[actions]]`` tables."""
    inline = actions.lstrip().startswith("actions =")
    return f"""
name = "{name}"
roles = [{roles}]
{actions if inline else ""}
[trigger]
every_minutes = 60
[when]
field = "id"
in = {ids}
{"" if inline else actions}
"""


def by_rule(db: Database, name: str, kind: str) -> list[Event]:
    """The rule's events of ``kind``, each checked to be its version 1's."""
    found = events_by(db, f"rule:{name}", kind)
    assert found, f"no {kind} by rule:{name}"
    assert all(made_by(db, event.id) == (name, 1) for event in found)
    return found


def login_of(db: Database, user_id: int | None) -> str | None:
    with db.read() as session:
        user = session.get(User, user_id) if user_id is not None else None
        return user.login if user else None


def step_item(db: Database, step: str, status: str) -> int:
    with db.read() as session:
        item_id = session.scalar(
            select(WorkItem.id)
            .join(TemplateStep, TemplateStep.id == WorkItem.step_id)
            .where(TemplateStep.key == step, WorkItem.status == status)
            .order_by(WorkItem.id)
            .limit(1)
        )
    assert item_id is not None, (step, status)
    return item_id


def outcomes(db: Database, names: list[str] | None = None) -> list[str]:
    return [f.outcome for f in run_once(db, names=names).firings]


@pytest.fixture
def only_tests_rules(demo_db: Database) -> Database:
    keep_demo_rules(demo_db)
    return demo_db


# --- assigning -----------------------------------------------------------------------------


def test_assign_to_a_named_person(only_tests_rules: Database) -> None:
    db = only_tests_rules
    [item_id] = design_items(db)
    load(
        db,
        acting_rule(
            "to-david", '"lead@design"', [item_id], 'actions = [{ do = "assign", to = "david" }]'
        ),
    )
    assert outcomes(db) == ["done"]
    assert login_of(db, item_of(db, item_id).assignee_id) == "david"
    [assigned] = by_rule(db, "to-david", "work_item.assigned")
    assert assigned.entity_id == item_id and assigned.payload["assignee"] == "david"


def test_round_robin_takes_the_team_in_turn_skipping_the_absent(
    only_tests_rules: Database,
) -> None:
    # sato (design) is away this week in the demo, kobayashi standing in
    db = only_tests_rules
    ids = design_items(db, n=3)
    load(
        db,
        acting_rule(
            "turns", '"lead@design"', ids, 'actions = [{ do = "assign", to = "round_robin" }]'
        ),
    )
    firings = run_once(db).firings
    assert [f.outcome for f in firings] == ["done"] * 3
    assert [f.actions[0]["assignee"] for f in firings] == ["david", "kobayashi", "priya"]
    assert sorted(login_of(db, item_of(db, i).assignee_id) or "" for i in ids) == [
        "david",
        "kobayashi",
        "priya",
    ]
    assert len(by_rule(db, "turns", "work_item.assigned")) == 3


DESIGNERS = ("david", "kobayashi", "priya", "sato")


def test_least_loaded_takes_the_emptiest_hand_skipping_the_absent(
    only_tests_rules: Database,
) -> None:
    db = only_tests_rules
    [target] = design_items(db)
    with db.read() as session:
        users = dict(session.execute(select(User.login, User.id)).all())
        design = session.scalar(select(Team.id).where(Team.code == "design"))
        others = list(
            session.scalars(
                select(WorkItem.id)
                .where(
                    WorkItem.team_id == design,
                    WorkItem.id != target,
                    WorkItem.status.in_(["ready", "in_progress", "blocked"]),
                )
                .order_by(WorkItem.id)
            )
        )
    loads = ["david"] * 3 + ["kobayashi"] * 2 + ["priya"]  # sato: none, but away
    assert len(others) >= len(loads)
    with db.write() as session:
        # the four designers hold nothing open anywhere but what is set here
        session.execute(
            update(WorkItem)
            .where(
                WorkItem.assignee_id.in_(
                    [users[u] for u in ("david", "kobayashi", "priya", "sato")]
                )
            )
            .where(WorkItem.status.in_(["ready", "in_progress", "blocked"]))
            .values(assignee_id=None)
        )
        for item_id, login in zip(others, loads, strict=False):
            session.execute(
                update(WorkItem).where(WorkItem.id == item_id).values(assignee_id=users[login])
            )
    load(
        db,
        acting_rule(
            "emptiest",
            '"lead@design"',
            [target],
            'actions = [{ do = "assign", to = "least_loaded" }]',
        ),
    )
    assert outcomes(db) == ["done"]
    assert login_of(db, item_of(db, target).assignee_id) == "priya"
    by_rule(db, "emptiest", "work_item.assigned")


# --- changing a step -----------------------------------------------------------------------


def test_set_priority_and_due(only_tests_rules: Database) -> None:
    db = only_tests_rules
    [item_id] = design_items(db)
    with db.write() as session:
        session.execute(update(WorkItem).where(WorkItem.id == item_id).values(priority=4))
    actions = """
[[actions]]
do = "set_priority"
priority = 1
[[actions]]
do = "set_due"
in_days = 5
"""
    load(db, acting_rule("hurry", '"lead@design"', [item_id], actions))
    assert outcomes(db) == ["done"]
    item = item_of(db, item_id)
    assert (item.priority, item.due_on) == (1, add_working_days(date.today(), 5))
    edits = by_rule(db, "hurry", "work_item.edited")
    assert len(edits) == 2 and all("rule hurry" in e.summary for e in edits)


def test_escalate_notes_the_leads_raises_priority_and_reassigns(
    only_tests_rules: Database,
) -> None:
    db = only_tests_rules
    [item_id] = design_items(db)
    with db.write() as session:
        session.execute(update(WorkItem).where(WorkItem.id == item_id).values(priority=3))
    actions = '[[actions]]\ndo = "escalate"\ntext = "{title} is stuck"\nreassign = true\n'
    load(db, acting_rule("up", '"lead@design"', [item_id], actions))
    assert outcomes(db) == ["done"]
    item = item_of(db, item_id)
    assert (item.priority, login_of(db, item.assignee_id)) == (2, "sato")
    [note] = by_rule(db, "up", "work_item.note")
    assert "Escalated to sato by rule up" in note.summary and "is stuck" in note.summary
    by_rule(db, "up", "work_item.edited")
    by_rule(db, "up", "work_item.assigned")


def test_remind_and_comment_leave_notes(only_tests_rules: Database) -> None:
    db = only_tests_rules
    [item_id] = design_items(db, status="in_progress")
    actions = """
[[actions]]
do = "remind"
text = "{title} is due on {due_on}"
[[actions]]
do = "comment"
text = "seen: {order}"
"""
    load(db, acting_rule("notes", '"operator@design"', [item_id], actions))
    assert outcomes(db) == ["done"]
    item = item_of(db, item_id)
    remind, comment = by_rule(db, "notes", "work_item.note")
    assignee = login_of(db, item.assignee_id)
    assert f"Reminder for {assignee}:" in remind.summary
    assert str(item.due_on) in remind.summary and "seen: ORD-" in comment.summary


REFUSED = [
    ('[{ do = "assign", to = "david" }]', "only a lead of team design"),
    ('[{ do = "set_priority", priority = 1 }]', "only its assignee or a lead"),
    ('[{ do = "set_due", in_days = 3 }]', "only its assignee or a lead"),
    ('[{ do = "escalate" }]', "is not in team design"),
    ('[{ do = "remind", text = "hello" }]', "is not in team design"),
    ('[{ do = "comment", text = "hello" }]', "is not in team design"),
    ('[{ do = "finish" }]', "is not marked automatic"),
    ('[{ do = "handoff" }]', "does not end in a handoff"),
    ('[{ do = "follow_up", service = "no-such-service" }]', "no-such-service"),
    ('[{ do = "file_application", kind = "no-such-kind" }]', "no-such-kind"),
]


@pytest.mark.parametrize(("actions", "message"), REFUSED, ids=[a.split('"')[1] for a, _ in REFUSED])
def test_a_rule_that_may_not_do_its_work_is_refused_and_the_failure_recorded(
    only_tests_rules: Database, actions: str, message: str
) -> None:
    db = only_tests_rules
    [item_id] = design_items(db)
    before = item_of(db, item_id)
    load(db, acting_rule("refused", "", [item_id], f"actions = {actions}"))
    assert outcomes(db) == ["failed"]
    with db.read() as session:
        firing = session.scalars(select(RuleFiring)).one()
    assert firing.outcome == "failed" and message in (firing.error or "")
    assert firing.rule_version == 1 and firing.next_retry_at is not None
    assert events_by(db, "rule:refused") == []
    after = item_of(db, item_id)
    assert (after.version, after.assignee_id, after.priority) == (
        before.version,
        before.assignee_id,
        before.priority,
    )


# --- approving ----------------------------------------------------------------------------

SMALL_REISSUES = """
name = "{name}"
subject = "approval_request"
roles = [{roles}]
[trigger]
event = "approval.requested"
[when]
all = [
  {{ field = "kind", equals = "staff-id-reissue" }},
  {{ field = "fields.copies", below = 3 }},
  {{ field = "stage", equals = 1 }},
]
[[actions]]
do = "approve"
comment = "a small re-issue: no need to ask the line manager"
"""


def request_of(db: Database, application_id: int) -> ApprovalRequest:
    with db.read() as session:
        application = session.get_one(Application, application_id)
        return session.get_one(ApprovalRequest, application.approval_request_id)


def test_approve_a_stage_when_the_condition_holds_decided_by_the_rule(
    only_tests_rules: Database, as_user: MakeContext
) -> None:
    db = only_tests_rules
    load(db, SMALL_REISSUES.format(name="small-reissues", roles='"lead@general-affairs"'))
    serve_once(db)
    small = file_application(as_user("tanaka"), "staff-id-reissue", GOOD)
    large = file_application(as_user("tanaka"), "staff-id-reissue", GOOD | {"copies": "5"})
    assert serve_once(db) == ["done"]
    assert request_of(db, small).current_stage == 2
    assert request_of(db, large).current_stage == 1
    with db.read() as session:
        rule_user = session.scalar(select(User.id).where(User.login == "rule:small-reissues"))
        [decision] = session.scalars(
            select(ApprovalDecision).where(
                ApprovalDecision.request_id == request_of(db, small).id,
                ApprovalDecision.action == "approve",
            )
        ).all()
    assert (decision.actor_id, decision.action) == (rule_user, "approve")
    [approved] = by_rule(db, "small-reissues", "approval.approved")
    assert approved.entity_id == request_of(db, small).id


def test_a_rule_that_may_not_approve_is_refused(
    only_tests_rules: Database, as_user: MakeContext
) -> None:
    db = only_tests_rules
    load(db, SMALL_REISSUES.format(name="no-authority", roles=""))
    serve_once(db)
    application = file_application(as_user("tanaka"), "staff-id-reissue", GOOD)
    assert serve_once(db) == ["failed"]
    assert request_of(db, application).current_stage == 1
    with db.read() as session:
        firing = session.scalars(select(RuleFiring)).one()
        decisions = session.scalars(
            select(ApprovalDecision).where(
                ApprovalDecision.request_id == request_of(db, application).id,
                ApprovalDecision.action == "approve",
            )
        ).all()
    assert firing.outcome == "failed" and "rule:no-authority" in (firing.error or "")
    assert decisions == []


# --- the demo's rules: finish, handoff, follow-up, file an application -----------------------


def test_the_demo_rule_finishes_the_automatic_step(demo_db: Database) -> None:
    keep_demo_rules(demo_db, keep=["finish-automatic-steps"])
    item_id = step_item(demo_db, "operations-start", "in_progress")
    with demo_db.read() as session:
        assert step_is_automatic(session.get_one(WorkItem, item_id))
        assert not step_is_automatic(session.get_one(WorkItem, design_items(demo_db)[0]))
    assert outcomes(demo_db) == ["done"]
    assert item_of(demo_db, item_id).status == "done"
    [done] = by_rule(demo_db, "finish-automatic-steps", "work_item.done")
    assert done.entity_id == item_id
    assert outcomes(demo_db) == []


def test_the_demo_rule_opens_a_handoff_and_gives_the_step_to_build(
    demo_db: Database, as_user: MakeContext
) -> None:
    keep_demo_rules(demo_db, keep=["open-acceptance-handoff"])
    serve_once(demo_db)
    before = step_item(demo_db, "environment-build", "in_progress")
    lifecycle.done(as_user(login_of(demo_db, item_of(demo_db, before).assignee_id) or ""), before)
    assert serve_once(demo_db) == ["done"]
    with demo_db.read() as session:
        item = session.scalars(
            select(WorkItem)
            .where(
                WorkItem.order_line_id == item_of(demo_db, before).order_line_id,
                WorkItem.position > item_of(demo_db, before).position,
            )
            .order_by(WorkItem.position)
        ).first()
        assert item is not None and item.step.key == "acceptance-handoff"
        handoff = session.scalars(select(Handoff).where(Handoff.work_item_id == item.id)).one()
        assert handoff.state == "draft" and item.status == "in_progress"
        assignee = login_of(demo_db, item.assignee_id)
    assert assignee in ("ryan", "yamamoto", "kimura")
    [opened] = by_rule(demo_db, "open-acceptance-handoff", "handoff.opened")
    assert opened.entity_id == handoff.id
    by_rule(demo_db, "open-acceptance-handoff", "work_item.assigned")


SUBMIT_HANDOFF = """
name = "ready-to-go"
roles = ["operator@build"]
[trigger]
event = "work_item.note"
[when]
all = [{{ field = "id", equals = {item_id} }}, {{ field = "attributes.circuit_id", contains = "" }}]
[[actions]]
do = "handoff"
submit = true
[actions.answers]
circuit-id = "{{attributes.circuit_id}}"
speed-test = "yes"
router-config = "file:///configs/{{order}}.txt"
site-photos = "{{attributes.photos}}"
"""


def test_a_handoff_is_answered_and_submitted(demo_db: Database, as_user: MakeContext) -> None:
    keep_demo_rules(demo_db)
    with demo_db.read() as session:
        handoff = session.scalars(
            select(Handoff)
            .join(WorkItem, WorkItem.id == Handoff.work_item_id)
            .join(TemplateStep, TemplateStep.id == WorkItem.step_id)
            .where(TemplateStep.key == "acceptance-handoff", Handoff.state == "draft")
            .order_by(Handoff.id)
        ).first()
        assert handoff is not None
        item_id, handoff_id = handoff.work_item_id, handoff.id
    with demo_db.write() as session:
        session.execute(
            update(WorkItem)
            .where(WorkItem.id == item_id)
            .values(attributes={"circuit_id": "NTT-42"})
        )
    load(demo_db, SUBMIT_HANDOFF.format(item_id=item_id))
    serve_once(demo_db)
    items.add_note(as_user("kimura"), item_id, "the line is up")
    assert serve_once(demo_db) == ["done"]
    with demo_db.read() as session:
        assert session.get_one(Handoff, handoff_id).state == "submitted"
        answers = dict(
            session.execute(
                select(HandoffItem.key, HandoffItem.answer).where(
                    HandoffItem.handoff_id == handoff_id
                )
            ).all()
        )
    assert answers["circuit-id"] == "NTT-42" and answers["speed-test"] == "yes"
    assert answers["router-config"].startswith("file:///configs/ORD-")
    assert answers["site-photos"] is None  # an empty text answers nothing
    by_rule(demo_db, "ready-to-go", "handoff.answered")
    [submitted] = by_rule(demo_db, "ready-to-go", "handoff.submitted")
    assert submitted.entity_id == handoff_id


def test_the_demo_rule_opens_a_follow_up_order(demo_db: Database, as_user: MakeContext) -> None:
    keep_demo_rules(demo_db, keep=["security-follow-up"])
    serve_once(demo_db)
    item_id = step_item(demo_db, "operations-start", "in_progress")
    item = item_of(demo_db, item_id)
    lifecycle.done(as_user(login_of(demo_db, item.assignee_id) or ""), item_id)
    assert serve_once(demo_db) == ["done"]
    with demo_db.read() as session:
        follows = session.get_one(Order, item.order_id)
        order = session.scalars(select(Order).where(Order.code == f"{follows.code}-F1")).one()
        assert order.customer_id == follows.customer_id
        assert order.attributes == {"follow_up_of": follows.code}
        first = session.scalars(
            select(WorkItem).where(WorkItem.order_id == order.id).order_by(WorkItem.position)
        ).first()
        assert first is not None and first.status == "ready"
        assert first.order_line.service.code == "managed-security"
    [created] = by_rule(demo_db, "security-follow-up", "order.created")
    assert created.entity_id == order.id


def test_the_demo_rule_files_a_new_application_when_a_lost_card_is_rejected(
    demo_db: Database, as_user: MakeContext
) -> None:
    keep_demo_rules(demo_db, keep=["reissue-lost-card"])
    serve_once(demo_db)
    lost = file_application(as_user("tanaka"), "staff-id-reissue", GOOD | {"reason": "lost"})
    approvals.reject(as_user("mori"), request_of(demo_db, lost).id, "report the loss first")
    assert serve_once(demo_db) == ["done"]
    with demo_db.read() as session:
        rule_user = session.scalar(select(User.id).where(User.login == "rule:reissue-lost-card"))
        [again] = session.scalars(
            select(Application).where(Application.applicant_id == rule_user)
        ).all()
        assert again.fields["reason"] == "lost" and again.state == "pending"
        assert again.fields["employee_number"] == GOOD["employee_number"]
    [filed] = by_rule(demo_db, "reissue-lost-card", "application.filed")
    assert filed.entity_id == again.id
    assert serve_once(demo_db) == []  # its own filing triggers nothing


def test_rules_test_describes_the_new_actions_without_writing(demo_db: Database) -> None:
    keep_demo_rules(demo_db, keep=["open-acceptance-handoff", "security-follow-up"])
    before = (count(demo_db, Event), count(demo_db, RuleFiring), count(demo_db, Handoff))
    report = try_rule(demo_db, "open-acceptance-handoff")
    plans = {line for w in report.would_act_on for line in w.actions}
    assert "open the step's handoff, answer admin-contacts" in plans
    assert (count(demo_db, Event), count(demo_db, RuleFiring), count(demo_db, Handoff)) == before
