"""Deactivating a user who leaves, with the handover of what they held.

In one transaction (or, for a dry run, one read that writes nothing):

- every open work item assigned to them goes to the successor when the
  successor is in the item's team, and otherwise back to its team's pool
  (no assignee; an item in progress becomes ready again, except a handoff
  step whose handoff is submitted, which waits for the receiving team);
- every approver entry naming them on a stage not yet decided goes to the
  successor, as a forward would; without a successor (or when the successor
  requested that approval and so may not decide it) the entry is dropped if
  the stage has other approvers, goes to the leads of the team whose work
  the approval is about if it has none, and otherwise the deactivation is
  refused, saying so;
- their draft and returned handoffs (those of steps assigned to them: a
  handoff has no owner of its own) go with their step, and say so;
- their delegations, given or received, end;
- the user becomes inactive.

Every moved record gets an event on its own history, and the user one
``user.deactivated`` event with the counts. The work items are locked the
way ``work.items`` changes them (a conditional update on the version they
were read at, after SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises
write transactions), so a claim racing the handover either happens first
or finds the item changed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import FINAL_STATES, StageState, role_key
from backoffice_tui.domain.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from backoffice_tui.domain.roles import Role
from backoffice_tui.domain.statuses import OPEN_STATUSES
from backoffice_tui.domain.text import counted
from backoffice_tui.services import permissions
from backoffice_tui.services.approvals.actions import record_request_event
from backoffice_tui.services.approvals.authority import requested_by
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.handoffs.records import (
    EDITABLE,
    record_handoff_event,
)
from backoffice_tui.services.handoffs.records import describe as describe_handoff
from backoffice_tui.services.people.users import refuse_losing_last_admin, user_by_login
from backoffice_tui.services.work.items import change_in, pool_values
from backoffice_tui.services.work.items import describe as describe_item
from backoffice_tui.store.models import (
    ApprovalRequest,
    ApprovalStage,
    ApprovalStageApprover,
    Delegation,
    Handoff,
    Team,
    TeamMembership,
    User,
    WorkItem,
)

WORK_ITEM = "work item"
APPROVAL = "approval"
HANDOFF = "handoff"
DELEGATION = "delegation"


@dataclass(frozen=True)
class HandoverMove:
    """One record the handover moves: what it is and where it goes."""

    kind: str  # WORK_ITEM, APPROVAL, HANDOFF or DELEGATION
    record_id: int
    what: str
    to: str  # a login, "team X's pool", or "ended"
    note: str = ""  # e.g. "in progress -> ready"

    def line(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return f"{self.kind} {self.record_id}: {self.what} -> {self.to}{note}"


@dataclass(frozen=True)
class HandoverPlan:
    """What deactivating ``login`` moves where (done, or for a dry run, would)."""

    login: str
    successor: str | None
    dry_run: bool
    items_to_successor: int
    items_to_pool: int
    approver_entries: int
    handoffs: int
    delegations_ended: int
    moves: tuple[HandoverMove, ...]

    def counts_line(self) -> str:
        return (
            f"{counted(self.items_to_successor, 'work item')} to {self.successor or '-'}, "
            f"{self.items_to_pool} to their team pool, "
            f"{counted(self.approver_entries, 'approver entry', 'approver entries')}, "
            f"{counted(self.handoffs, 'draft handoff')}, "
            f"{counted(self.delegations_ended, 'delegation')} ended"
        )


def deactivate_user(
    ctx: Context, login: str, successor: str | None, dry_run: bool = False
) -> HandoverPlan:
    """Deactivate ``login`` and hand over what they hold (see the module's
    docstring); with ``dry_run`` only say what would move, writing nothing."""
    if dry_run:
        with ctx.db.read() as session:
            return _handover_in(session, ctx, login, successor, apply=False)
    with ctx.db.write() as session:
        return _handover_in(session, ctx, login, successor, apply=True)


@dataclass
class _Handover:
    """The state of one handover as it is worked out (and applied)."""

    session: Session
    ctx: Context
    leaver: User
    successor: User | None
    apply: bool
    now: datetime

    @property
    def reason(self) -> str:
        return f"{self.leaver.login} deactivated"

    def handed(self, what: str, to: str) -> str:
        return f"{what} handed over from {self.leaver.login} to {to}: {self.reason}"


def _handover_in(
    session: Session, ctx: Context, login: str, successor_login: str | None, *, apply: bool
) -> HandoverPlan:
    permissions.require_admin(ctx.actor, "deactivate users")
    leaver = user_by_login(session, login)
    if not leaver.active:
        raise InvalidTransition(f"{leaver.login} is already deactivated")
    if leaver.id in (ctx.actor.user_id, ctx.actor.real_user_id):
        raise PermissionDenied(f"{leaver.login} cannot deactivate themselves; ask another admin")
    refuse_losing_last_admin(session, leaver, f"deactivate {leaver.login}")
    successor = _successor(session, leaver, successor_login)
    handover = _Handover(session, ctx, leaver, successor, apply, ctx.now())
    items = _hand_over_items(handover)
    entries = _hand_over_approver_entries(handover)
    handoffs = _hand_over_handoffs(handover, {m.record_id: m.to for m in items})
    delegations = _end_delegations(handover)
    to_successor = sum(1 for m in items if successor is not None and m.to == successor.login)
    plan = HandoverPlan(
        login=leaver.login,
        successor=successor.login if successor else None,
        dry_run=not apply,
        items_to_successor=to_successor,
        items_to_pool=len(items) - to_successor,
        approver_entries=len(entries),
        handoffs=len(handoffs),
        delegations_ended=len(delegations),
        moves=(*items, *entries, *handoffs, *delegations),
    )
    if apply:
        leaver.active = False
        record_event(
            session,
            ctx.actor,
            handover.now,
            entity="user",
            entity_id=leaver.id,
            kind="user.deactivated",
            summary=f"user {leaver.login} deactivated: {plan.counts_line()}",
            payload={
                "successor": plan.successor,
                "items_to_successor": plan.items_to_successor,
                "items_to_pool": plan.items_to_pool,
                "approver_entries": plan.approver_entries,
                "handoffs": plan.handoffs,
                "delegations_ended": plan.delegations_ended,
            },
        )
    return plan


def _successor(session: Session, leaver: User, login: str | None) -> User | None:
    if login is None:
        return None
    user = session.scalar(select(User).where(User.login == login.strip()))
    if user is None or not user.active or user.placeholder:
        raise NotFound(f"no active user {login!r} to hand over to")
    if user.id == leaver.id:
        raise InvalidInput(f"{leaver.login} cannot hand over to themselves; name someone else")
    return user


# --- work items ---------------------------------------------------------------------


def _teams_of(session: Session, user: User | None) -> set[int]:
    if user is None:
        return set()
    return set(
        session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user.id))
    )


def _hand_over_items(h: _Handover) -> list[HandoverMove]:
    query = (
        select(WorkItem)
        .where(
            WorkItem.assignee_id == h.leaver.id,
            WorkItem.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(WorkItem.id)
    )
    if h.apply:
        query = query.with_for_update().execution_options(populate_existing=True)
    items = list(h.session.scalars(query))
    successor_teams = _teams_of(h.session, h.successor)
    moves: list[HandoverMove] = []
    for item in items:
        what = describe_item(item)
        if h.successor is not None and item.team_id in successor_teams:
            to, note = h.successor.login, item.status.replace("_", " ")
            values: dict[str, Any] = {"assignee_id": h.successor.id}
        else:
            to = f"team {item.team.code}'s pool"
            values, note = pool_values(h.session, item)
        moves.append(HandoverMove(WORK_ITEM, item.id, what, to, note))
        if h.apply:
            change_in(
                h.session,
                h.ctx,
                item,
                "handed_over",
                h.handed(what, to),
                {"from": h.leaver.login, "to": to, "reason": h.reason},
                at=h.now,
                **values,
            )
    return moves


# --- approver entries -----------------------------------------------------------------


def _lock_request(session: Session, request_id: int) -> None:
    """The row lock every approval action takes first (a version bump)."""
    session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .values(version=ApprovalRequest.version + 1)
        .execution_options(synchronize_session=False)
    )


def _open_entries(h: _Handover) -> Sequence[tuple[ApprovalStage, ApprovalRequest]]:
    return h.session.execute(
        select(ApprovalStage, ApprovalRequest)
        .join(ApprovalStageApprover, ApprovalStageApprover.stage_id == ApprovalStage.id)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStage.request_id)
        .where(
            ApprovalStageApprover.approver == h.leaver.login,
            ApprovalStage.state.in_([StageState.WAITING.value, StageState.PENDING.value]),
            ApprovalRequest.state.not_in([s.value for s in FINAL_STATES]),
        )
        .order_by(ApprovalRequest.id, ApprovalStage.position)
        .execution_options(populate_existing=True)
    ).all()


def _hand_over_approver_entries(h: _Handover) -> list[HandoverMove]:
    found = _open_entries(h)
    if h.apply:
        for request_id in sorted({request.id for _, request in found}):
            _lock_request(h.session, request_id)
        found = _open_entries(h)  # as committed now that the requests are locked
    moves: list[HandoverMove] = []
    for stage, request in found:
        target = _entry_target(h, stage, request)
        what = f"'{request.title}' stage '{stage.name}'"
        to = target if target is not None else "the stage's other approvers"
        moves.append(HandoverMove(APPROVAL, request.id, what, to))
        if h.apply:
            _move_entry(h, stage, request, target, what, to)
    return moves


def _subject_team(session: Session, request: ApprovalRequest) -> str | None:
    """The team whose work an approval is about, if it is about a team's work."""
    team_id = None
    if request.subject_kind == "work_item":
        team_id = session.scalar(select(WorkItem.team_id).where(WorkItem.id == request.subject_id))
    elif request.subject_kind == "handoff":
        team_id = session.scalar(
            select(Handoff.from_team_id).where(Handoff.id == request.subject_id)
        )
    return session.scalar(select(Team.code).where(Team.id == team_id)) if team_id else None


def _entry_target(h: _Handover, stage: ApprovalStage, request: ApprovalRequest) -> str | None:
    """Who takes the leaver's entry: the successor, unless they requested the
    approval (and so may not decide it); else nobody when the stage has other
    approvers, else the leads of the team whose work it is."""
    login = h.leaver.login
    successor = h.successor
    if successor is not None and not requested_by(request, successor.id):
        return successor.login
    if any(a != login for a in stage.approvers):
        return None
    team = _subject_team(h.session, request)
    if team is not None:
        return role_key(Role.LEAD.value, team)
    why = (
        f"{successor.login} requested it and so cannot decide it"
        if successor is not None
        else "it is about no team's work"
    )
    raise InvalidInput(
        f"{login} is the only approver of stage '{stage.name}' of approval {request.id} and "
        f"{why}; name a successor who may decide it"
    )


def _move_entry(
    h: _Handover,
    stage: ApprovalStage,
    request: ApprovalRequest,
    target: str | None,
    what: str,
    to: str,
) -> None:
    login = h.leaver.login
    approvers = [a for a in stage.approvers if a != login]
    if target is not None and target not in approvers:
        approvers.append(target)
    stage.approvers = approvers
    h.session.execute(
        delete(ApprovalStageApprover).where(
            ApprovalStageApprover.stage_id == stage.id, ApprovalStageApprover.approver == login
        )
    )
    if target is not None and h.session.get(ApprovalStageApprover, (stage.id, target)) is None:
        h.session.add(ApprovalStageApprover(stage_id=stage.id, approver=target))
    if stage.held_by_id == h.leaver.id:
        stage.held_by_id = None
    record_request_event(
        h.session,
        h.ctx,
        request,
        h.now,
        "approval.handed_over",
        h.handed(f"{login}'s part of {what}", to),
        stage=stage.position,
        stage_name=stage.name,
        target=target,
        previous_approver=login,
    )


# --- handoffs and delegations ---------------------------------------------------------


def _hand_over_handoffs(h: _Handover, item_destinations: dict[int, str]) -> list[HandoverMove]:
    """The open drafts of the moved steps go where their step goes."""
    if not item_destinations:
        return []
    handoffs = h.session.scalars(
        select(Handoff)
        .where(
            Handoff.work_item_id.in_(list(item_destinations)),
            Handoff.state.in_([s.value for s in EDITABLE]),
        )
        .order_by(Handoff.id)
    ).all()
    moves: list[HandoverMove] = []
    for handoff in handoffs:
        to = item_destinations[handoff.work_item_id]
        what = describe_handoff(h.session, handoff)
        moves.append(HandoverMove(HANDOFF, handoff.id, what, to, f"{handoff.state}, with its step"))
        if h.apply:
            record_handoff_event(
                h.session,
                h.ctx,
                handoff,
                h.now,
                "handed_over",
                h.handed(what, to),
                team_id=handoff.from_team_id,
                to=to,
                reason=h.reason,
            )
    return moves


def _end_delegations(h: _Handover) -> list[HandoverMove]:
    today = h.now.astimezone().date()
    delegations = h.session.scalars(
        select(Delegation)
        .where(
            or_(Delegation.from_user_id == h.leaver.id, Delegation.to_user_id == h.leaver.id),
            Delegation.ended_at.is_(None),
            Delegation.ends_on >= today,
        )
        .order_by(Delegation.id)
    ).all()
    moves: list[HandoverMove] = []
    for delegation in delegations:
        giver = h.session.get(User, delegation.from_user_id)
        taker = h.session.get(User, delegation.to_user_id)
        what = (
            f"approvals of {giver.login if giver else '?'} to {taker.login if taker else '?'} "
            f"{delegation.starts_on} to {delegation.ends_on}"
        )
        moves.append(HandoverMove(DELEGATION, delegation.id, what, "ended"))
        if h.apply:
            delegation.ended_at = h.now
            record_event(
                h.session,
                h.ctx.actor,
                h.now,
                entity="delegation",
                entity_id=delegation.id,
                kind="delegation.ended",
                summary=f"delegation of {what} ended: {h.reason}",
                payload={"reason": h.reason},
            )
    return moves
