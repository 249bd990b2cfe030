"""Who answers to which approver entries: a user's own login and role@team
keys, and those of everyone who delegated to them today."""

from dataclasses import dataclass
from datetime import date
from typing import Literal, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import is_role_key, role_key
from backoffice_tui.store.models import Delegation, Team, TeamMembership, User


@dataclass(frozen=True)
class Principal:
    """A user whose approvals someone may give: themselves, or a delegator."""

    user_id: int
    login: str
    keys: frozenset[str]
    delegated: bool  # True when acting for this user under a delegation


def own_keys(session: Session, user_id: int, login: str) -> frozenset[str]:
    rows = session.execute(
        select(TeamMembership.role, Team.code)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(TeamMembership.user_id == user_id)
    )
    return frozenset({login} | {role_key(role, team) for role, team in rows})


def principals(session: Session, user_id: int, login: str, today: date) -> list[Principal]:
    """The user first, then each user who delegated to them for ``today``."""
    result = [Principal(user_id, login, own_keys(session, user_id, login), False)]
    delegators = session.execute(
        select(User.id, User.login)
        .join(Delegation, Delegation.from_user_id == User.id)
        .where(
            Delegation.to_user_id == user_id,
            Delegation.starts_on <= today,
            Delegation.ends_on >= today,
            User.active.is_(True),
        )
        .order_by(User.login)
    )
    for from_id, from_login in delegators:
        if from_id != user_id:
            keys = own_keys(session, from_id, from_login)
            result.append(Principal(from_id, from_login, keys, True))
    return result


def match(
    principals_: list[Principal], entries: list[str], taken: set[str] | None = None
) -> tuple[Principal, str] | None:
    """The first principal and entry through which a stage's ``entries``
    reach the user, preferring entries nobody has covered yet (``taken``)."""
    taken = taken or set()
    for prefer_untaken in (True, False):
        for principal in principals_:
            for entry in entries:
                if entry in principal.keys and (not prefer_untaken or entry not in taken):
                    return principal, entry
    return None


@overload
def logins_for(session: Session, entries: list[str], today: date) -> list[str]: ...
@overload
def logins_for(
    session: Session, entries: list[str], today: date, with_ids: Literal[True]
) -> list[tuple[str, int]]: ...
def logins_for(
    session: Session, entries: list[str], today: date, with_ids: bool = False
) -> list[str] | list[tuple[str, int]]:
    """Every active login that may decide on ``entries`` today, delegates
    included, sorted (with their user ids if asked)."""
    users: set[int] = set()
    logins = [e for e in entries if not is_role_key(e)]
    if logins:
        users |= set(
            session.scalars(select(User.id).where(User.login.in_(logins), User.active.is_(True)))
        )
    for entry in entries:
        if is_role_key(entry):
            role, team = entry.split("@", 1)
            users |= set(
                session.scalars(
                    select(TeamMembership.user_id)
                    .join(Team, Team.id == TeamMembership.team_id)
                    .join(User, User.id == TeamMembership.user_id)
                    .where(Team.code == team, TeamMembership.role == role, User.active.is_(True))
                )
            )
    if users:
        users |= set(
            session.scalars(
                select(Delegation.to_user_id).where(
                    Delegation.from_user_id.in_(users),
                    Delegation.starts_on <= today,
                    Delegation.ends_on >= today,
                )
            )
        )
    if not users:
        return []
    found = sorted(session.execute(select(User.login, User.id).where(User.id.in_(users))).all())
    if with_ids:
        return [(login, user_id) for login, user_id in found]
    return [login for login, _ in found]
