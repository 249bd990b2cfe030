"""Who may do what to an approval request now, and why not.

The one authority over approvals: every action asks ``Authority.require``
before it changes anything, and the reads ask the same ``Authority`` what
the reader may do (``allowed``, ``refusal``) and who may still approve
(``deciders``). The approvals a stage counts are defined once
(``_standing_approval``), for one stage and for the inbox alike. The inbox
must count and page in SQL, so ``awaiting`` states "may approve" as a
filter: the same rules, with the hold left aside (a held stage still waits
for its approvers, marked as held).
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from typing import overload

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import AliasedClass

from backoffice_tui.domain.approvals import (
    DECISIONS,
    WITH_REQUESTER,
    Action,
    RequestState,
    StageState,
)
from backoffice_tui.domain.errors import (
    BackofficeError,
    Conflict,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
)
from backoffice_tui.services.approvals.approvers import (
    Principal,
    logins_for,
    match,
    principals,
    principals_of,
)
from backoffice_tui.services.context import Actor
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    ApprovalStageApprover,
    User,
)

# What a reader may be offered, in the order the command line lists them.
OFFERED = (
    Action.APPROVE,
    Action.REJECT,
    Action.SEND_BACK,
    Action.FORWARD,
    Action.HOLD,
    Action.RELEASE,
    Action.COMMENT,
    Action.PULL_BACK,
    Action.REAPPLY,
    Action.WITHDRAW,
)

# Actions that decide the current stage, or stop the others from deciding
# it: only its approvers (or their delegates) may take them.
_ON_THE_STAGE = frozenset(
    {Action.APPROVE, Action.REJECT, Action.SEND_BACK, Action.FORWARD, Action.HOLD}
)

# The decisions a pull back looks back to (and whose author "already decided").
_LAST_DECISIONS = frozenset({a.value for a in DECISIONS | {Action.WITHDRAW}})


def current_stage_of(request: ApprovalRequest) -> ApprovalStage:
    """The stage the request is at (or stopped at, once decided)."""
    return next(s for s in request.stages if s.position == request.current_stage)


@overload
def requested_by(request: ApprovalRequest, user_id: int) -> bool: ...
@overload
def requested_by(request: type[ApprovalRequest], user_id: int) -> ColumnElement[bool]: ...
def requested_by(
    request: ApprovalRequest | type[ApprovalRequest], user_id: int
) -> bool | ColumnElement[bool]:
    """Whether the user requested the approval, who therefore may not decide
    it: for one request, or as SQL over ``ApprovalRequest``."""
    return request.requester_id == user_id


# --- the approvals a stage counts ---------------------------------------------------


def _whose(
    decision: type[ApprovalDecision] | AliasedClass[ApprovalDecision],
) -> ColumnElement[int]:
    """The user a decision was taken for: the delegator under a delegation."""
    return func.coalesce(decision.on_behalf_of_id, decision.actor_id)


@cache  # the same expression every time, and building it is not cheap
def _standing_approval() -> ColumnElement[bool]:
    """An approval of its ``ApprovalStage`` since the stage last became
    current, not pulled back since by (or for) the same user."""
    later = aliased(ApprovalDecision)
    return and_(
        ApprovalDecision.stage_id == ApprovalStage.id,
        ApprovalDecision.id > ApprovalStage.since_decision_id,
        ApprovalDecision.action == Action.APPROVE.value,
        ~exists().where(
            later.stage_id == ApprovalDecision.stage_id,
            later.id > ApprovalDecision.id,
            later.action == Action.PULL_BACK.value,
            _whose(later) == _whose(ApprovalDecision),
        ),
    )


@dataclass(frozen=True)
class Counted:
    """One approval a stage counts."""

    user_id: int  # whose approval it is (the delegator's, under a delegation)
    entry: str  # the approver entry it covers
    actor_id: int  # who gave it


def counted_approvals(session: Session, stage_ids: Collection[int]) -> dict[int, list[Counted]]:
    """The approvals each stage counts, oldest first."""
    counted: dict[int, list[Counted]] = {stage_id: [] for stage_id in stage_ids}
    if not stage_ids:
        return counted
    rows = session.execute(
        select(
            ApprovalStage.id,
            _whose(ApprovalDecision),
            ApprovalDecision.as_approver,
            ApprovalDecision.actor_id,
        )
        .where(ApprovalStage.id.in_(list(stage_ids)), _standing_approval())
        .order_by(ApprovalDecision.id)
    )
    for stage_id, user_id, entry, actor_id in rows:
        counted[stage_id].append(Counted(user_id, entry or "", actor_id))
    return counted


# --- one request ----------------------------------------------------------------------


class Standing:
    """Where a request stands, read once for any number of actors."""

    def __init__(
        self,
        session: Session,
        request: ApprovalRequest,
        stage: ApprovalStage | None = None,
        counted: Sequence[Counted] | None = None,
    ) -> None:
        self.session = session
        self.request = request
        self.stage = stage or current_stage_of(request)
        self._counted = counted

    @cached_property
    def counted(self) -> dict[int, str]:
        """The current stage's approvals: user -> the entry they approved as."""
        found = self._counted
        if found is None:
            found = counted_approvals(self.session, [self.stage.id])[self.stage.id]
        return {c.user_id: c.entry for c in found}

    @cached_property
    def last(self) -> ApprovalDecision | None:
        """The last decision on the route (a withdrawal counts)."""
        return self.session.scalar(
            select(ApprovalDecision)
            .where(
                ApprovalDecision.request_id == self.request.id,
                ApprovalDecision.action.in_(_LAST_DECISIONS),
            )
            .order_by(ApprovalDecision.id.desc())
            .limit(1)
        )

    def login(self, user_id: int | None) -> str:
        user = self.session.get(User, user_id) if user_id is not None else None
        return user.login if user else "?"

    def who_decided(self) -> str:
        last = self.last
        if last is None:
            return "someone else"
        who = self.login(last.actor_id)
        if last.on_behalf_of_id:
            who += f" for {self.login(last.on_behalf_of_id)}"
        return f"{who} at {last.at.astimezone():%H:%M}"


class Authority:
    """What one actor may do to one request now, and why not.

    ``seen_stage`` is the stage the operator saw when they chose to decide:
    a decision is refused once the request has moved on from it.
    """

    def __init__(
        self,
        standing: Standing,
        actor: Actor,
        mine: list[Principal],
        seen_stage: int | None = None,
    ) -> None:
        self.standing = standing
        self.actor = actor
        self.mine = mine
        self.seen_stage = seen_stage

    @property
    def request(self) -> ApprovalRequest:
        return self.standing.request

    @property
    def stage(self) -> ApprovalStage:
        return self.standing.stage

    @property
    def is_requester(self) -> bool:
        return requested_by(self.request, self.actor.user_id)

    @property
    def involved(self) -> bool:
        """The requester, or anyone on the route (delegates included)."""
        return self.is_requester or any(
            match(self.mine, list(s.approvers)) for s in self.request.stages
        )

    @cached_property
    def reach(self) -> tuple[Principal, str] | None:
        """As whom and through which entry the current stage reaches the actor."""
        return match(self.mine, list(self.stage.approvers), set(self.standing.counted.values()))

    @cached_property
    def approving_as(self) -> tuple[Principal, str] | None:
        """As whom the actor would approve: someone whose approval the stage
        does not count yet."""
        not_yet = [p for p in self.mine if p.user_id not in self.standing.counted]
        return match(not_yet, list(self.stage.approvers), set(self.standing.counted.values()))

    def deciding_as(self, action: Action) -> tuple[Principal, str]:
        """The principal and entry an allowed action on the stage is taken as."""
        found = self.approving_as if action == Action.APPROVE else self.reach
        assert found is not None, f"{action} is not allowed"
        return found

    def pulling_back(self) -> tuple[ApprovalDecision, Principal] | None:
        """The actor's approval an allowed pull back takes back (and whose it
        is); None when the requester takes the request back."""
        last = self.standing.last
        if last is None or last.action != Action.APPROVE or last.actor_id != self.actor.user_id:
            return None
        whose = last.on_behalf_of_id or self.actor.user_id
        return last, Principal(
            whose, self.standing.login(whose), frozenset(), last.on_behalf_of_id is not None
        )

    @property
    def allowed(self) -> frozenset[Action]:
        return frozenset(action for action in OFFERED if self.refusal(action) is None)

    def require(self, action: Action) -> None:
        refused = self.refusal(action)
        if refused is not None:
            raise refused

    def refusal(self, action: Action) -> BackofficeError | None:
        """Why the actor may not take ``action`` now; None when they may."""
        if action in _ON_THE_STAGE:
            return self._on_the_stage(action)
        if action == Action.PULL_BACK:
            return self._pull_back()
        if action == Action.RELEASE:
            return self._release()
        if action == Action.COMMENT:
            return self._comment()
        if action == Action.REAPPLY:
            return self._requester_only("re-apply") or self._reapply()
        if action == Action.WITHDRAW:
            return self._requester_only("withdraw") or self._withdraw()
        return InvalidInput(f"{action.value} is not an action on a request")

    # --- the rules -----------------------------------------------------------------

    def _not_pending(self, seen_stage: int | None) -> BackofficeError | None:
        request = self.request
        moved = seen_stage is not None and seen_stage != request.current_stage
        if moved and request.state == RequestState.PENDING and self.standing.last is None:
            return InvalidInput(
                f"approval {request.id} is at stage {request.current_stage}, not {seen_stage}"
            )
        if request.state != RequestState.PENDING or moved:
            state = RequestState(request.state).value.replace("_", " ")
            where = (
                ""
                if request.state != RequestState.PENDING
                else f", now at stage {request.current_stage}"
            )
            return Conflict(
                f"approval {request.id} was already decided by {self.standing.who_decided()} "
                f"({state}{where})"
            )
        return None

    def _on_the_stage(self, action: Action) -> BackofficeError | None:
        refused = self._not_pending(self.seen_stage)
        if refused is not None:
            return refused
        request, stage, login = self.request, self.stage, self.actor.login
        if self.is_requester:
            return PermissionDenied(
                f"{login} requested approval {request.id}, so someone else on its route must decide"
            )
        if self.reach is None:
            return PermissionDenied(
                f"{login} is not an approver of stage '{stage.name}' of approval {request.id} "
                "and holds no delegation for it"
            )
        if stage.held_by_id is not None and stage.held_by_id != self.actor.user_id:
            return Conflict(
                f"approval {request.id} is on hold by {self.standing.login(stage.held_by_id)}; "
                "only they can decide until they release it"
            )
        if action == Action.APPROVE and self.approving_as is None:
            return InvalidTransition(
                f"{self.reach[0].login} has already approved stage '{stage.name}' of approval "
                f"{request.id}"
            )
        if action == Action.HOLD and stage.held_by_id == self.actor.user_id:
            return InvalidTransition(f"approval {request.id} is already on hold by you")
        return None

    def _pull_back(self) -> BackofficeError | None:
        """The last one who decided takes their approval back before anyone
        decides after them; the requester takes the request back before
        anyone has decided on it."""
        refused = self._not_pending(None)
        if refused is not None:
            return refused
        if self.pulling_back() is not None:
            return None
        last = self.standing.last
        decided = last is not None and last.action in {a.value for a in DECISIONS}
        if self.is_requester and not decided:
            return None
        if decided:
            assert last is not None
            return InvalidTransition(
                f"cannot pull back approval {self.request.id}: the last decision was "
                f"{self.standing.login(last.actor_id)}'s, after which only they could"
            )
        return PermissionDenied(
            f"only the requester or the last approver can pull back approval {self.request.id}"
        )

    def _release(self) -> BackofficeError | None:
        refused = self._not_pending(None)
        if refused is not None:
            return refused
        held_by = self.stage.held_by_id
        if held_by is None:
            return InvalidTransition(f"approval {self.request.id} is not on hold")
        if held_by != self.actor.user_id and not self.actor.is_admin:
            return PermissionDenied(
                f"approval {self.request.id} is held by {self.standing.login(held_by)}; "
                "only they can release it"
            )
        return None

    def _comment(self) -> BackofficeError | None:
        if self.involved or self.actor.is_admin:
            return None
        return PermissionDenied(
            f"{self.actor.login} is neither the requester nor on the route of approval "
            f"{self.request.id}"
        )

    def _requester_only(self, doing: str) -> BackofficeError | None:
        if self.is_requester:
            return None
        return PermissionDenied(
            f"only the requester ({self.standing.login(self.request.requester_id)}) can "
            f"{doing} approval {self.request.id}"
        )

    def _reapply(self) -> BackofficeError | None:
        if self.request.state in WITH_REQUESTER:
            return None
        return InvalidTransition(
            f"approval {self.request.id} is {self.request.state.replace('_', ' ')}; only a "
            "request sent back or pulled back can be re-applied"
        )

    def _withdraw(self) -> BackofficeError | None:
        if self.request.state in (RequestState.PENDING, *WITH_REQUESTER):
            return None
        return InvalidTransition(
            f"approval {self.request.id} is already {self.request.state.replace('_', ' ')}"
        )


def authority_of(
    session: Session,
    request: ApprovalRequest,
    actor: Actor,
    today: date,
    seen_stage: int | None = None,
) -> Authority:
    """The actor's authority over ``request`` on ``today`` (delegations in
    force that day count)."""
    mine = principals(session, actor.user_id, actor.login, today)
    return Authority(Standing(session, request), actor, mine, seen_stage)


def deciders(session: Session, standing: Standing, today: date) -> tuple[str, ...]:
    """Logins who may approve the current stage now, delegates included,
    sorted."""
    candidates = logins_for(session, list(standing.stage.approvers), today, with_ids=True)
    mine = principals_of(session, [(user_id, login) for login, user_id in candidates], today)
    found = []
    for login, user_id in candidates:
        authority = Authority(standing, Actor(user_id, login, login), mine[user_id])
        if authority.refusal(Action.APPROVE) is None:
            found.append(login)
    return tuple(found)


# --- the inbox ---------------------------------------------------------------------------


def _has_entry(keys: frozenset[str]) -> ColumnElement[bool]:
    return ApprovalStage.id.in_(
        select(ApprovalStageApprover.stage_id).where(
            ApprovalStageApprover.approver.in_(sorted(keys))
        )
    )


def awaiting(actor: Actor, mine: list[Principal]) -> ColumnElement[bool]:
    """Stages waiting for the actor's approval, as a filter on ``ApprovalStage``
    joined to its ``ApprovalRequest``: the rules of ``Authority`` for
    approve, in SQL, but for the hold."""
    counted = exists().where(_standing_approval())
    not_yet = [
        and_(_has_entry(p.keys), ~counted.where(_whose(ApprovalDecision) == p.user_id))
        for p in mine
    ]
    return and_(
        ApprovalStage.state == StageState.PENDING.value,
        ~requested_by(ApprovalRequest, actor.user_id),
        or_(*not_yet) if not_yet else false(),
    )
