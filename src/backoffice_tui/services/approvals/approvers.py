"""Who answers to which approver entries: a user's own login and role@team
keys, and those of everyone who delegated to them today (a delegation
ended early routes nothing: ``people.delegations.in_force_on``)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import is_role_key, role_key
from backoffice_tui.services.people.delegations import in_force_on
from backoffice_tui.store.models import Delegation, Team, TeamMembership, User


@dataclass(frozen=True)
class Principal:
    """A user whose approvals someone may give: themselves, or a delegator."""

    user_id: int
    login: str
    keys: frozenset[str]
    delegated: bool  # True when acting for this user under a delegation


def _keys_of(session: Session, logins: dict[int, str]) -> dict[int, frozenset[str]]:
    """Each user's own login and role@team keys."""
    keys = {user_id: {login} for user_id, login in logins.items()}
    rows = session.execute(
        select(TeamMembership.user_id, TeamMembership.role, Team.code)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(TeamMembership.user_id.in_(list(logins)))
    )
    for user_id, role, team in rows:
        keys[user_id].add(role_key(role, team))
    return {user_id: frozenset(found) for user_id, found in keys.items()}


def principals_of(
    session: Session, users: Sequence[tuple[int, str]], today: date
) -> dict[int, list[Principal]]:
    """For each (user id, login): the user first, then each user who
    delegated to them for ``today``."""
    if not users:
        return {}
    delegators = session.execute(
        select(Delegation.to_user_id, User.id, User.login)
        .join(Delegation, Delegation.from_user_id == User.id)
        .where(
            Delegation.to_user_id.in_([user_id for user_id, _ in users]),
            in_force_on(today),
            User.active.is_(True),
        )
        .order_by(User.login)
    ).all()
    logins = dict(users) | {from_id: from_login for _, from_id, from_login in delegators}
    keys = _keys_of(session, logins)
    result = {
        user_id: [Principal(user_id, login, keys[user_id], False)] for user_id, login in users
    }
    for to_id, from_id, from_login in delegators:
        if from_id != to_id:
            result[to_id].append(Principal(from_id, from_login, keys[from_id], True))
    return result


def principals(session: Session, user_id: int, login: str, today: date) -> list[Principal]:
    """The user first, then each user who delegated to them for ``today``."""
    return principals_of(session, [(user_id, login)], today)[user_id]


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
                    Delegation.from_user_id.in_(users), in_force_on(today)
                )
            )
        )
    if not users:
        return []
    found = sorted(session.execute(select(User.login, User.id).where(User.id.in_(users))).all())
    if with_ids:
        return [(login, user_id) for login, user_id in found]
    return [login for login, _ in found]
