"""Applications: loading kinds, filing, following the approval, correcting,
withdrawing, who may read one, and the demo's applications."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice_tui.demo.applications import load_demo_applications
from backoffice_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.applications import actions as applications
from backoffice_tui.services.applications.kinds import current_kind, list_kinds, load_kinds
from backoffice_tui.services.applications.read import (
    YOUR_TURN,
    application_detail,
    my_applications,
)
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Application, ApprovalRequest, Event, User
from tests.conftest import resolve_actor_for

KINDS = sample_data_dir() / "application_kinds"
KIND = "staff-id-reissue"
GOOD = {
    "employee_number": "E40001",
    "reason": "damaged",
    "incident_date": "2026/11/02",
    "name_on_card": "田中 花子",
    "pickup_office": "Osaka branch",
    "copies": "1",
}

AsUser = Callable[[str], Context]


@pytest.fixture
def kind_loaded(demo_db: Database, as_user: AsUser) -> Database:
    """The demo database with the sample kind loaded (it may be there already)."""
    load_kinds(demo_db, as_user("admin-ito").actor, KINDS)
    return demo_db


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def event_kinds(db: Database, entity: str, entity_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Event.kind)
                .where(Event.entity == entity, Event.entity_id == entity_id)
                .order_by(Event.id)
            )
        )


def request_of(db: Database, application_id: int) -> int:
    with db.read() as session:
        application = session.get(Application, application_id)
        assert application is not None and application.approval_request_id is not None
        return application.approval_request_id


def state_of(db: Database, application_id: int) -> str:
    with db.read() as session:
        application = session.get(Application, application_id)
        request = session.get(ApprovalRequest, application.approval_request_id)
        assert application.state == request.state  # the hook keeps them equal
        return application.state


def filed_by(as_user: AsUser, login: str = "tanaka", **changes: str) -> int:
    return applications.file_application(as_user(login), KIND, GOOD | changes)


# --- kinds -----------------------------------------------------------------------------


def test_loading_a_kind_is_versioned_and_idempotent(
    demo_db: Database, as_user: AsUser, tmp_path: Path
) -> None:
    admin = as_user("admin-ito").actor
    first = load_kinds(demo_db, admin, KINDS)
    assert [(r.code, r.version) for r in first] == [(KIND, 1)]
    again = load_kinds(demo_db, admin, KINDS / f"{KIND}.toml")
    assert [(r.version, r.created) for r in again] == [(1, False)]

    changed = tmp_path / "reissue.toml"
    text = (KINDS / f"{KIND}.toml").read_text(encoding="utf-8")
    changed.write_text(text.replace("due_hours = 48", "due_hours = 72"), encoding="utf-8")
    [loaded] = load_kinds(demo_db, admin, changed)
    assert (loaded.version, loaded.created) == (2, True)
    assert load_kinds(demo_db, admin, changed)[0].created is False
    rows = list_kinds(demo_db)
    assert [(r.code, r.version, len(r.fields), len(r.route)) for r in rows] == [(KIND, 2, 6, 2)]
    assert current_kind(demo_db, KIND).route[1].due_hours == 72
    with demo_db.read() as session:
        summaries = session.scalars(
            select(Event.summary).where(Event.kind == "application_kind.loaded")
        ).all()
    assert f"application kind {KIND} version 2 loaded (6 fields, 2 approval stages)" in summaries


def test_only_admins_load_kinds_and_routes_must_name_real_approvers(
    demo_db: Database, as_user: AsUser, tmp_path: Path
) -> None:
    with pytest.raises(PermissionDenied, match="only an admin can load application kinds"):
        load_kinds(demo_db, as_user("kimura").actor, KINDS)
    admin = as_user("admin-ito").actor
    text = (KINDS / f"{KIND}.toml").read_text(encoding="utf-8")
    for wrong, message in [
        ("lead@general-affairs", "'lead@nowhere' names unknown team 'nowhere'"),
        ("approver@general-affairs", "approver 'nobody' is not a user"),
    ]:
        path = tmp_path / "wrong.toml"
        replacement = "lead@nowhere" if "lead" in wrong else "nobody"
        path.write_text(text.replace(wrong, replacement), encoding="utf-8")
        with pytest.raises(InvalidInput, match=message):
            load_kinds(demo_db, admin, path)
    path.write_text(text.replace("lead@general-affairs", "boss@general-affairs"), "utf-8")
    with pytest.raises(InvalidInput, match="'boss@general-affairs' names no role"):
        load_kinds(demo_db, admin, path)
    with pytest.raises(InvalidInput, match="no file"):
        load_kinds(demo_db, admin, tmp_path / "missing.toml")


# --- filing and the route ------------------------------------------------------------------


def test_filing_opens_the_route_and_the_state_follows_it(
    kind_loaded: Database, as_user: AsUser
) -> None:
    db = kind_loaded
    application_id = filed_by(as_user)
    tanaka = as_user("tanaka").actor
    detail = application_detail(db, tanaka, application_id)
    assert detail.state == "pending" and detail.applicant == "tanaka"
    assert detail.value("incident_date") == "2026-11-02" and detail.value("copies") == "1"
    assert detail.waiting_on == "Line manager: mori"
    assert detail.request.title == f"Application {application_id}: Staff ID card re-issue"
    assert detail.request.subject_kind == "application"
    assert detail.can == {"withdraw"}
    assert event_kinds(db, "application", application_id) == ["application.filed"]

    request_id = request_of(db, application_id)
    approvals.approve(as_user("mori"), request_id)
    assert state_of(db, application_id) == "pending"
    assert application_detail(db, tanaka, application_id).waiting_on == "ID card desk: ishikawa"
    approvals.approve(as_user("ishikawa"), request_id)
    assert state_of(db, application_id) == "approved"
    detail = application_detail(db, tanaka, application_id)
    assert [h.what for h in detail.history] == [
        "tanaka filed it",
        "mori approved at 'Line manager'",
        "ishikawa approved at 'ID card desk'",
    ]
    assert detail.can == frozenset() and detail.waiting_on == ""
    assert [s.state for s in detail.request.stages] == ["approved", "approved"]


def test_filing_refuses_bad_forms_and_writes_nothing(
    kind_loaded: Database, as_user: AsUser
) -> None:
    before = (count(kind_loaded, Application), count(kind_loaded, ApprovalRequest))
    tanaka = as_user("tanaka")
    with pytest.raises(NotFound, match="no application kind 'car-park-permit'"):
        applications.file_application(tanaka, "car-park-permit", GOOD)
    cases = [
        ({"name_on_card": " "}, "name_on_card: required (Name to print on the card)"),
        ({"reason": "stolen"}, "reason: must be one of lost, damaged, name change, expired"),
        ({"incident_date": "31/11/2026"}, "incident_date: not a date"),
        ({"copies": "two"}, "copies: not a number"),
    ]
    for changes, message in cases:
        with pytest.raises(InvalidInput) as refused:
            applications.file_application(tanaka, KIND, GOOD | changes)
        assert str(refused.value).startswith(message)
    assert (count(kind_loaded, Application), count(kind_loaded, ApprovalRequest)) == before


def test_rejected_and_sent_back_then_corrected_and_resubmitted(
    kind_loaded: Database, as_user: AsUser
) -> None:
    db = kind_loaded
    rejected = filed_by(as_user, copies="3")
    approvals.reject(as_user("mori"), request_of(db, rejected), "One card per person")
    assert state_of(db, rejected) == "rejected"
    with pytest.raises(InvalidTransition, match="only one sent back or pulled back"):
        applications.resubmit(as_user("tanaka"), rejected, {"copies": "1"})

    application_id = filed_by(as_user, employee_number="E4OOO1")
    request_id = request_of(db, application_id)
    approvals.approve(as_user("mori"), request_id)
    approvals.send_back(as_user("ishikawa"), request_id, "Digits only in the employee number")
    assert state_of(db, application_id) == "sent_back"
    tanaka = as_user("tanaka")
    mine = {row.id: row for row in my_applications(db, tanaka.actor)}
    assert mine[application_id].waiting_on == YOUR_TURN
    assert next(iter(mine)) == application_id  # back with me: first
    detail = application_detail(db, tanaka.actor, application_id)
    assert detail.can == {"resubmit", "withdraw"}
    assert detail.history[-1].comment == "Digits only in the employee number"

    with pytest.raises(PermissionDenied, match=r"only the applicant \(tanaka\) can resubmit"):
        applications.resubmit(as_user("mori"), application_id, {"employee_number": "E40001"})
    with pytest.raises(InvalidInput, match="reason: must be one of"):
        applications.resubmit(tanaka, application_id, {"reason": "stolen"})
    with pytest.raises(Conflict, match="was changed by someone else"):
        applications.resubmit(
            tanaka, application_id, {"employee_number": "E40001"}, expect_version=1
        )
    assert application_detail(db, tanaka.actor, application_id).value("employee_number") == (
        "E4OOO1"
    )

    applications.resubmit(
        tanaka,
        application_id,
        {"employee_number": "E40001", "copies": ""},
        "Fixed the number",
        expect_version=detail.version,
    )
    assert state_of(db, application_id) == "pending"
    detail = application_detail(db, tanaka.actor, application_id)
    assert detail.value("employee_number") == "E40001" and detail.value("copies") == ""
    assert detail.waiting_on == "Line manager: mori"  # round again from the first stage
    assert [(h.what, h.comment) for h in detail.history[-2:]] == [
        ("tanaka corrected the fields", "copies, employee_number"),
        ("tanaka resubmitted", "Fixed the number"),
    ]
    assert event_kinds(db, "application", application_id) == [
        "application.filed",
        "application.corrected",
    ]


def test_a_pulled_back_application_can_be_resubmitted(
    kind_loaded: Database, as_user: AsUser
) -> None:
    application_id = filed_by(as_user)
    tanaka = as_user("tanaka")
    approvals.pull_back(tanaka, request_of(kind_loaded, application_id))
    assert state_of(kind_loaded, application_id) == "pulled_back"
    applications.resubmit(tanaka, application_id, {"copies": "2"})
    assert state_of(kind_loaded, application_id) == "pending"


def test_when_the_re_apply_fails_the_saved_correction_is_said(
    kind_loaded: Database, as_user: AsUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    application_id = filed_by(as_user)
    request_id = request_of(kind_loaded, application_id)
    approvals.send_back(as_user("mori"), request_id, "Wrong office")

    def refuse(ctx: Context, request_id: int, comment: str = "") -> None:
        raise Conflict(f"approval {request_id} changed meanwhile")

    monkeypatch.setattr(approvals, "reapply", refuse)
    tanaka = as_user("tanaka")
    with pytest.raises(Conflict) as refused:
        applications.resubmit(tanaka, application_id, {"pickup_office": "Fukuoka branch"})
    assert str(refused.value) == (
        f"application {application_id}: the corrected fields are saved, but it was not sent "
        f"round again (approval {request_id} changed meanwhile); resubmit it again or "
        "withdraw it"
    )
    detail = application_detail(kind_loaded, tanaka.actor, application_id)
    assert detail.value("pickup_office") == "Fukuoka branch" and detail.state == "sent_back"


def test_withdraw_once_by_the_applicant_only(kind_loaded: Database, as_user: AsUser) -> None:
    application_id = filed_by(as_user)
    with pytest.raises(PermissionDenied, match=r"only the applicant \(tanaka\) can withdraw"):
        applications.withdraw(as_user("mori"), application_id)
    applications.withdraw(as_user("tanaka"), application_id, "Found it")
    assert state_of(kind_loaded, application_id) == "withdrawn"
    with pytest.raises(
        InvalidTransition, match=f"application {application_id} is already withdrawn"
    ):
        applications.withdraw(as_user("tanaka"), application_id)
    with pytest.raises(NotFound, match="no application 999999"):
        applications.withdraw(as_user("tanaka"), 999999)


def test_who_may_read_an_application(kind_loaded: Database, as_user: AsUser) -> None:
    application_id = filed_by(as_user)
    for login in ("tanaka", "mori", "ishikawa", "admin-ito"):
        assert application_detail(kind_loaded, as_user(login).actor, application_id).id == (
            application_id
        )
    with pytest.raises(PermissionDenied, match="david may not read application"):
        application_detail(kind_loaded, as_user("david").actor, application_id)
    with pytest.raises(NotFound):
        application_detail(kind_loaded, as_user("tanaka").actor, 999999)
    assert my_applications(kind_loaded, as_user("david").actor) == []


# --- the demo ------------------------------------------------------------------------------


def demo_actors(db: Database) -> dict[str, Actor]:
    with db.read() as session:
        logins = list(session.scalars(select(User.login).where(User.login.not_like("rule:%"))))
    return {login: resolve_actor_for(db, login) for login in logins}


def test_the_demo_applications_replay_through_the_services(demo_db: Database) -> None:
    actors = demo_actors(demo_db)
    if count(demo_db, Application) == 0:  # until load_demo loads them itself
        assert load_demo_applications(demo_db, actors, None, date.today()) == 7
    by_applicant = {
        login: my_applications(demo_db, actors[login])
        for login in ("yamamoto", "emily", "matsumoto", "ryan", "kimura", "olivia")
    }
    assert [(r.state, r.stage) for r in by_applicant["yamamoto"]] == [("pending", 1)]
    assert [(r.state, r.stage) for r in by_applicant["emily"]] == [("pending", 2)]
    assert [r.state for r in by_applicant["matsumoto"]] == ["approved"]
    assert [r.state for r in by_applicant["olivia"]] == ["withdrawn"]
    assert [(r.state, r.stage) for r in by_applicant["kimura"]] == [
        ("pending", 2),
        ("rejected", None),
    ]
    [sent_back] = by_applicant["ryan"]
    detail = application_detail(demo_db, actors["ryan"], sent_back.id)
    assert detail.state == "sent_back" and detail.value("employee_number") == "E3O455"
    assert [h.actor for h in detail.history] == ["ryan", "mori", "ishikawa"]
    assert detail.history[-1].comment.startswith("The employee number has a letter O")
    approved = application_detail(demo_db, actors["matsumoto"], by_applicant["matsumoto"][0].id)
    assert [h.what for h in approved.history][1:] == [
        "mori approved at 'Line manager'",
        "ishikawa approved at 'ID card desk'",
    ]
    rejected = application_detail(demo_db, actors["kimura"], by_applicant["kimura"][1].id)
    assert rejected.history[-1].what == "mori rejected at 'Line manager'"
    assert rejected.filed_at < by_applicant["kimura"][0].filed_at
