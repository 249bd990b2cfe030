"""One authority over approvals: what a request's detail offers a reader is
exactly what the actions accept from them (and an action it does not offer
is refused for the reason it gives), and the inbox and "may decide now"
hold what the reader may approve. Actors and requests of the demo data."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from backoffice_tui.domain.approvals import Action
from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.authority import OFFERED
from backoffice_tui.services.approvals.read import RequestDetail, inbox_window, request_detail
from backoffice_tui.services.context import Context
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalDecision, ApprovalRequest, User

AsUser = Callable[[str], Context]


def sato_holds(as_user: AsUser, request_id: int) -> None:
    approvals.hold(as_user("sato"), request_id)


@dataclass(frozen=True)
class Case:
    actor: str
    title: str  # how the request's title starts
    requester: str
    offered: frozenset[str]  # what the detail offers the actor
    in_inbox: bool
    setup: Callable[[AsUser, int], None] | None = None


ON_THE_STAGE = frozenset({"approve", "reject", "send_back", "forward", "hold", "comment"})

CASES = {
    # the stage names ryan (the request was forwarded to him)
    "direct approver": Case("ryan", "Use the spare rack", "yamamoto", ON_THE_STAGE, in_inbox=True),
    # approver@provisioning reaches kimura only through watanabe's delegation
    "delegate": Case(
        "kimura", "Carrier order: ORD-2026-0019", "matsumoto", ON_THE_STAGE, in_inbox=True
    ),
    # lead@build at the second stage
    "role member": Case("kimura", "Special discount", "tanaka", ON_THE_STAGE, in_inbox=True),
    "requester, waiting": Case(
        "tanaka",
        "Special discount",
        "tanaka",
        frozenset({"comment", "withdraw"}),
        in_inbox=False,
    ),
    "requester, sent back": Case(
        "david",
        "Change of design baseline",
        "david",
        frozenset({"comment", "reapply", "withdraw"}),
        in_inbox=False,
    ),
    # kobayashi is an approver@design himself, and the requester
    "requester on their own stage": Case(
        "kobayashi",
        "Requirements and sizing design",
        "kobayashi",
        frozenset({"comment", "withdraw", "pull_back"}),
        in_inbox=False,
    ),
    "outsider": Case("priya", "Special discount", "tanaka", frozenset(), in_inbox=False),
    # rule "all" of lead@build and lead@operations; hayashi approved for operations
    "rule all, approved by me": Case(
        "hayashi",
        "Weekend cut-over",
        "emily",
        (ON_THE_STAGE - {"approve"}) | {"pull_back"},
        in_inbox=False,
    ),
    "rule all, still mine to approve": Case(
        "kimura", "Weekend cut-over", "emily", ON_THE_STAGE, in_inbox=True
    ),
    "holder": Case(
        "sato",
        "Requirements and sizing design",
        "priya",
        (ON_THE_STAGE - {"hold"}) | {"release"},
        in_inbox=True,
        setup=sato_holds,
    ),
    # a held stage still waits in the inbox, marked as held
    "held by someone else": Case(
        "kobayashi",
        "Requirements and sizing design",
        "priya",
        frozenset({"comment"}),
        in_inbox=True,
        setup=sato_holds,
    ),
    "admin, not on the route": Case(
        "admin-ito",
        "Requirements and sizing design",
        "priya",
        frozenset({"comment", "release"}),
        in_inbox=False,
        setup=sato_holds,
    ),
    "decided": Case(
        "suzuki", "Waive the installation fee", "tanaka", frozenset({"comment"}), in_inbox=False
    ),
}


def find_request(db: Database, case: Case) -> int:
    with db.read() as session:
        found = session.scalars(
            select(ApprovalRequest.id)
            .join(User, User.id == ApprovalRequest.requester_id)
            .where(
                ApprovalRequest.title.startswith(case.title),
                User.login == case.requester,
                ApprovalRequest.state.in_(["pending", "sent_back", "rejected"]),
            )
        ).all()
    assert len(found) == 1, (case, found)
    return found[0]


def arrive(db: Database, as_user: AsUser, case: Case) -> tuple[int, RequestDetail]:
    request_id = find_request(db, case)
    if case.setup is not None:
        case.setup(as_user, request_id)
    return request_id, request_detail(db, as_user(case.actor).actor, request_id, utc_now())


def act(ctx: Context, request_id: int, action: Action, requester: str) -> None:
    """Take ``action`` with input that is fine, so that only authority can refuse it."""
    if action == Action.APPROVE:
        approvals.approve(ctx, request_id, "fine")
    elif action == Action.REJECT:
        approvals.reject(ctx, request_id, "not now")
    elif action == Action.SEND_BACK:
        approvals.send_back(ctx, request_id, "please redo")
    elif action == Action.FORWARD:
        to = next(u for u in ("suzuki", "emily") if u not in (ctx.actor.login, requester))
        approvals.forward(ctx, request_id, to, "yours")
    elif action == Action.HOLD:
        approvals.hold(ctx, request_id)
    elif action == Action.RELEASE:
        approvals.release(ctx, request_id)
    elif action == Action.COMMENT:
        approvals.add_comment(ctx, request_id, "a remark")
    elif action == Action.PULL_BACK:
        approvals.pull_back(ctx, request_id, "taken back")
    elif action == Action.REAPPLY:
        approvals.reapply(ctx, request_id, "again")
    elif action == Action.WITHDRAW:
        approvals.withdraw(ctx, request_id, "not needed")
    else:
        raise AssertionError(action)


def recorded(db: Database, request_id: int) -> tuple[int, list[tuple[int, str]]]:
    """The request's version and its decisions (actor, action)."""
    with db.read() as session:
        version = session.scalar(
            select(ApprovalRequest.version).where(ApprovalRequest.id == request_id)
        )
        rows = session.execute(
            select(ApprovalDecision.actor_id, ApprovalDecision.action)
            .where(ApprovalDecision.request_id == request_id)
            .order_by(ApprovalDecision.id)
        ).all()
    assert version is not None
    return version, [(actor, action) for actor, action in rows]


OFFERED_CASES = [
    pytest.param(name, action, id=f"{name}: {action.value}")
    for name, case in CASES.items()
    for action in OFFERED
    if action.value in case.offered
]


@pytest.mark.parametrize(("name", "action"), OFFERED_CASES)
def test_an_offered_action_is_accepted(
    demo_db: Database, as_user: AsUser, name: str, action: Action
) -> None:
    case = CASES[name]
    request_id, detail = arrive(demo_db, as_user, case)
    assert detail.can == case.offered
    ctx = as_user(case.actor)
    with demo_db.read() as session:
        decisions_before = session.scalar(
            select(func.count()).where(ApprovalDecision.request_id == request_id)
        )
    act(ctx, request_id, action, case.requester)
    _, decisions = recorded(demo_db, request_id)
    assert len(decisions) == (decisions_before or 0) + 1
    assert decisions[-1] == (ctx.actor.user_id, action.value)


@pytest.mark.parametrize("name", list(CASES))
def test_every_action_not_offered_is_refused_for_the_reason_the_detail_gives(
    demo_db: Database, as_user: AsUser, name: str
) -> None:
    case = CASES[name]
    request_id, detail = arrive(demo_db, as_user, case)
    assert detail.can == case.offered
    assert set(detail.can) | set(detail.why_not) == {a.value for a in OFFERED}
    assert not set(detail.can) & set(detail.why_not)
    before = recorded(demo_db, request_id)
    for action in OFFERED:
        if action.value in detail.can:
            continue
        with pytest.raises(BackofficeError) as refused:
            act(as_user(case.actor), request_id, action, case.requester)
        assert str(refused.value) == detail.why_not[action.value], action
    assert recorded(demo_db, request_id) == before, "a refusal changes nothing"


@pytest.mark.parametrize("name", list(CASES))
def test_the_inbox_and_may_decide_now_follow_the_same_authority(
    demo_db: Database, as_user: AsUser, name: str
) -> None:
    case = CASES[name]
    request_id, detail = arrive(demo_db, as_user, case)
    actor = as_user(case.actor).actor
    inbox = {row.id for row in inbox_window(demo_db, actor, utc_now(), 0, 1000)}
    assert (request_id in inbox) == case.in_inbox
    if detail.state == "pending":
        assert (case.actor in detail.current.deciders) == ("approve" in detail.can)
