"""Delegations: who may set and end them, the refused ones, the lists, and
that only a delegation in force routes approvals."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.services.approvals.approvers import logins_for, principals
from backoffice_tui.services.people.delegations import (
    DelegationState,
    add_delegation,
    deciding_for,
    end_delegation,
    list_delegations,
)
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Delegation, Event, User

TODAY = date.today()


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def delegation_of(db: Database, from_login: str) -> int:
    """The demo's delegation of ``from_login`` (sato → kobayashi, in force)."""
    with db.read() as session:
        found = session.scalar(
            select(Delegation.id)
            .join(User, User.id == Delegation.from_user_id)
            .where(User.login == from_login)
        )
    assert found is not None
    return found


def events_of(db: Database, delegation_id: int) -> list[tuple[str, str, str]]:
    with db.read() as session:
        return [
            (kind, actor, summary)
            for kind, actor, summary in session.execute(
                select(Event.kind, Event.actor_name, Event.summary)
                .where(Event.entity == "delegation", Event.entity_id == delegation_id)
                .order_by(Event.id)
            )
        ]


def test_a_user_sets_their_own_delegation_and_it_is_recorded(demo_db: Database, as_user) -> None:
    emily = as_user("emily")
    delegation_id = add_delegation(emily, to_login="suzuki", starts_on=day(3), ends_on=day(6))
    rows = list_delegations(demo_db, emily.actor, TODAY)
    mine = next(r for r in rows if r.id == delegation_id)
    assert (mine.from_login, mine.to_login, mine.created_by) == ("emily", "suzuki", "emily")
    assert mine.state == DelegationState.PLANNED
    assert events_of(demo_db, delegation_id) == [
        (
            "delegation.added",
            "emily",
            f"emily delegated the approvals of emily to suzuki from {day(3)} to {day(6)}",
        )
    ]
    # the delegate sees it too; someone else does not
    assert delegation_id in [
        r.id for r in list_delegations(demo_db, as_user("suzuki").actor, TODAY)
    ]
    assert delegation_id not in [
        r.id for r in list_delegations(demo_db, as_user("tanaka").actor, TODAY)
    ]


def test_only_an_admin_sets_one_for_someone_else(demo_db: Database, as_user) -> None:
    with pytest.raises(PermissionDenied, match="only an admin"):
        add_delegation(
            as_user("tanaka"),
            to_login="suzuki",
            starts_on=day(1),
            ends_on=day(2),
            from_login="emily",
        )
    made = add_delegation(
        as_user("admin-ito"),
        to_login="suzuki",
        starts_on=day(1),
        ends_on=day(2),
        from_login="emily",
    )
    row = next(r for r in list_delegations(demo_db, as_user("emily").actor, TODAY) if r.id == made)
    assert (row.from_login, row.created_by) == ("emily", "admin-ito")


@pytest.mark.parametrize(
    ("to", "starts", "ends", "error", "message"),
    [
        ("emily", 1, 2, InvalidInput, "to themselves"),
        ("suzuki", 5, 2, InvalidInput, "before it starts"),
        ("suzuki", -9, -3, InvalidInput, "in the past"),
        ("nobody-here", 1, 2, NotFound, "no user"),
    ],
)
def test_bad_delegations_are_refused_in_one_line(
    demo_db: Database, as_user, to: str, starts: int, ends: int, error: type, message: str
) -> None:
    with pytest.raises(error, match=message) as refused:
        add_delegation(as_user("emily"), to_login=to, starts_on=day(starts), ends_on=day(ends))
    assert "\n" not in str(refused.value)


def test_inactive_users_are_refused(demo_db: Database, as_user) -> None:
    with demo_db.write() as session:
        session.scalars(select(User).where(User.login == "suzuki")).one().active = False
    with pytest.raises(InvalidInput, match="suzuki is not an active user"):
        add_delegation(as_user("emily"), to_login="suzuki", starts_on=day(1), ends_on=day(2))


def test_an_overlapping_delegation_is_refused(demo_db: Database, as_user) -> None:
    sato = as_user("sato")  # already away from day -2 to day 5 (the demo)
    with pytest.raises(Conflict, match="sato already delegates to kobayashi"):
        add_delegation(sato, to_login="david", starts_on=day(5), ends_on=day(8))
    # the day after it ends is free
    add_delegation(sato, to_login="david", starts_on=day(6), ends_on=day(8))


def test_an_ended_delegation_no_longer_routes_approvals(demo_db: Database, as_user) -> None:
    kobayashi = as_user("kobayashi")
    delegation_id = delegation_of(demo_db, "sato")
    with demo_db.read() as session:
        before = principals(session, kobayashi.actor.user_id, "kobayashi", TODAY)
        assert [p.login for p in before] == ["kobayashi", "sato"]
        assert "kobayashi" in logins_for(session, ["sato"], TODAY)
    assert [r.from_login for r in deciding_for(demo_db, kobayashi.actor, TODAY)] == ["sato"]

    with pytest.raises(PermissionDenied, match="only sato or an admin"):
        end_delegation(kobayashi, delegation_id)
    end_delegation(as_user("sato"), delegation_id)

    with demo_db.read() as session:
        after = principals(session, kobayashi.actor.user_id, "kobayashi", TODAY)
        assert [p.login for p in after] == ["kobayashi"]
        assert "kobayashi" not in logins_for(session, ["sato"], TODAY)
    assert deciding_for(demo_db, kobayashi.actor, TODAY) == []
    row = next(
        r for r in list_delegations(demo_db, kobayashi.actor, TODAY) if r.id == delegation_id
    )
    assert row.state == DelegationState.PAST and row.ended_at is not None
    assert [kind for kind, _, _ in events_of(demo_db, delegation_id)] == ["delegation.ended"]
    with pytest.raises(InvalidTransition, match="already ended"):
        end_delegation(as_user("admin-ito"), delegation_id)
    # once ended, the days are free again
    add_delegation(as_user("sato"), to_login="david", starts_on=TODAY, ends_on=day(2))


def test_an_admin_ends_anyones_and_lists_all(demo_db: Database, as_user) -> None:
    admin = as_user("admin-ito")
    everyone = list_delegations(demo_db, admin.actor, TODAY, everyone=True)
    assert {r.from_login for r in everyone} >= {"sato", "watanabe"}
    with pytest.raises(PermissionDenied, match="only an admin"):
        list_delegations(demo_db, as_user("sato").actor, TODAY, everyone=True)
    end_delegation(admin, delegation_of(demo_db, "watanabe"))
    with pytest.raises(NotFound):
        end_delegation(admin, 999_999)
