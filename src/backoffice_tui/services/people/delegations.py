"""Delegations: while a user is away, their approvals also go to another
user, from one day to another (both included), unless ended early.

A user sets their own; an admin may set one for anyone. Only its from-user
or an admin ends one. ``in_force_on`` is the one rule of which delegations
route approvals (``approvals/approvers.py`` reads it).
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, aliased

from backoffice_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.people.users import user_by_login
from backoffice_tui.store.base import rows_changed
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Delegation, User


class DelegationState(StrEnum):
    IN_FORCE = "in force"
    PLANNED = "planned"
    PAST = "past"  # over, or ended early


def in_force_on(today: date) -> ColumnElement[bool]:
    """The delegations that route approvals on ``today``."""
    return and_(
        Delegation.starts_on <= today,
        Delegation.ends_on >= today,
        Delegation.ended_at.is_(None),
    )


def state_of(starts_on: date, ends_on: date, ended_at: datetime | None, today: date) -> str:
    if ended_at is not None or ends_on < today:
        return DelegationState.PAST
    if starts_on > today:
        return DelegationState.PLANNED
    return DelegationState.IN_FORCE


@dataclass(frozen=True)
class DelegationRow:
    id: int
    from_login: str
    to_login: str
    starts_on: date
    ends_on: date
    ended_at: datetime | None
    created_by: str | None
    state: str  # a DelegationState

    def describe(self) -> str:
        """``sato → kobayashi 2026-12-14..2026-12-20``."""
        return f"{self.from_login} → {self.to_login} {self.starts_on}..{self.ends_on}"


def _active_user(session: Session, login: str, role: str) -> User:
    user = user_by_login(session, login)
    if not user.active:
        raise InvalidInput(f"{user.login} is not an active user, so cannot be the {role}")
    return user


def _overlapping(
    session: Session, from_id: int, starts_on: date, ends_on: date
) -> Delegation | None:
    return session.scalar(
        select(Delegation)
        .where(
            Delegation.from_user_id == from_id,
            Delegation.ended_at.is_(None),
            Delegation.starts_on <= ends_on,
            Delegation.ends_on >= starts_on,
        )
        .order_by(Delegation.starts_on)
        .limit(1)
    )


def add_delegation(
    ctx: Context,
    *,
    to_login: str,
    starts_on: date,
    ends_on: date,
    from_login: str | None = None,
) -> int:
    """From ``starts_on`` to ``ends_on`` the approvals of ``from_login`` (by
    default the operator) also go to ``to_login``; returns its id."""
    actor = ctx.actor
    from_login = (from_login or actor.login).strip()
    if from_login != actor.login and not actor.is_admin:
        raise PermissionDenied(
            f"only an admin can set a delegation for someone else; {actor.login} is not one"
        )
    if ends_on < starts_on:
        raise InvalidInput(f"a delegation cannot end ({ends_on}) before it starts ({starts_on})")
    if ends_on < ctx.today():
        raise InvalidInput(f"a delegation cannot end in the past ({ends_on})")
    with ctx.db.write() as session:
        giver = _active_user(session, from_login, "one who is away")
        taker = _active_user(session, to_login, "delegate")
        if giver.id == taker.id:
            raise InvalidInput(f"{giver.login} cannot delegate approvals to themselves")
        clash = _overlapping(session, giver.id, starts_on, ends_on)
        if clash is not None:
            to = session.get_one(User, clash.to_user_id).login
            raise Conflict(
                f"{giver.login} already delegates to {to} from {clash.starts_on} to "
                f"{clash.ends_on} (delegation {clash.id}); end it first or choose other days"
            )
        now = ctx.now()
        delegation = Delegation(
            from_user_id=giver.id,
            to_user_id=taker.id,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by_id=actor.real_user_id or actor.user_id,
            created_at=now,
        )
        session.add(delegation)
        session.flush()
        record_event(
            session,
            actor,
            now,
            entity="delegation",
            entity_id=delegation.id,
            kind="delegation.added",
            summary=(
                f"{actor.label} delegated the approvals of {giver.login} to {taker.login} "
                f"from {starts_on} to {ends_on}"
            ),
            payload={
                "from": giver.login,
                "to": taker.login,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
        return delegation.id


def end_delegation(ctx: Context, delegation_id: int) -> None:
    """End a delegation now (or call off a planned one): its from-user or an admin."""
    actor = ctx.actor
    with ctx.db.write() as session:
        delegation = session.get(Delegation, delegation_id)
        if delegation is None:
            raise NotFound(f"no delegation {delegation_id}")
        giver = session.get_one(User, delegation.from_user_id)
        taker = session.get_one(User, delegation.to_user_id)
        if delegation.from_user_id != actor.user_id and not actor.is_admin:
            raise PermissionDenied(
                f"only {giver.login} or an admin can end delegation {delegation_id}; "
                f"{actor.login} is neither"
            )
        if delegation.ended_at is not None:
            raise InvalidTransition(f"delegation {delegation_id} was already ended")
        if delegation.ends_on < ctx.today():
            raise InvalidTransition(
                f"delegation {delegation_id} is already over (it ended on {delegation.ends_on})"
            )
        now = ctx.now()
        result = session.execute(
            update(Delegation)
            .where(Delegation.id == delegation_id, Delegation.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(result) != 1:
            raise Conflict(f"delegation {delegation_id} was ended by someone else just now")
        record_event(
            session,
            actor,
            now,
            entity="delegation",
            entity_id=delegation_id,
            kind="delegation.ended",
            summary=(
                f"{actor.label} ended the delegation of {giver.login}'s approvals "
                f"to {taker.login} ({delegation.starts_on} to {delegation.ends_on})"
            ),
            payload={"from": giver.login, "to": taker.login},
        )


_ORDER = {DelegationState.IN_FORCE: 0, DelegationState.PLANNED: 1, DelegationState.PAST: 2}


def list_delegations(
    db: Database, actor: Actor, today: date, *, everyone: bool = False
) -> list[DelegationRow]:
    """The operator's delegations, made by them or to them (``everyone``:
    all of them, admins only): in force first, then planned, then past."""
    if everyone:
        permissions.require_admin(actor, "list everyone's delegations")
    giver, taker, creator = aliased(User), aliased(User), aliased(User)
    query = (
        select(Delegation, giver.login, taker.login, creator.login)
        .join(giver, giver.id == Delegation.from_user_id)
        .join(taker, taker.id == Delegation.to_user_id)
        .outerjoin(creator, creator.id == Delegation.created_by_id)
    )
    if not everyone:
        query = query.where(
            or_(Delegation.from_user_id == actor.user_id, Delegation.to_user_id == actor.user_id)
        )
    with db.read() as session:
        rows = [
            DelegationRow(
                id=d.id,
                from_login=from_login,
                to_login=to_login,
                starts_on=d.starts_on,
                ends_on=d.ends_on,
                ended_at=d.ended_at,
                created_by=created_by,
                state=state_of(d.starts_on, d.ends_on, d.ended_at, today),
            )
            for d, from_login, to_login, created_by in session.execute(query)
        ]
    return sorted(rows, key=lambda r: (_ORDER[DelegationState(r.state)], r.starts_on, r.id))


def deciding_for(db: Database, actor: Actor, today: date) -> list[DelegationRow]:
    """The delegations in force today that route others' approvals to the operator."""
    return [
        row
        for row in list_delegations(db, actor, today)
        if row.to_login == actor.login and row.state == DelegationState.IN_FORCE
    ]
