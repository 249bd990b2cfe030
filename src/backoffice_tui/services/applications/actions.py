"""Applications: filing a form of a configured kind, correcting one that was
sent back, withdrawing one.

Filing opens the application's approval request along its kind's route in
the same transaction. From then on the application's state follows its
request's (approved, rejected, sent back ...): ``approvals.subjects`` calls
``applications.state`` whenever the request changes.
"""

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.application_kinds import (
    ApplicationKindSpec,
    field_text,
    validate_fields,
)
from backoffice_tui.domain.approvals import WITH_REQUESTER, RequestState
from backoffice_tui.domain.errors import (
    BackofficeError,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.services.applications.kinds import latest_kind, spec_of
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.store.models import Application, ApplicationKind, ApprovalRequest, User

SUBJECT = "application"
OPEN_STATES = frozenset({RequestState.PENDING, *WITH_REQUESTER})


def _state_words(state: str) -> str:
    return state.replace("_", " ")


def _applicant_login(session: Session, application: Application) -> str:
    user = session.get(User, application.applicant_id)
    return user.login if user else "?"


def _require_applicant(
    session: Session, ctx: Context, application: Application, doing: str
) -> None:
    if application.applicant_id != ctx.actor.user_id:
        raise PermissionDenied(
            f"only the applicant ({_applicant_login(session, application)}) can {doing} "
            f"application {application.id}"
        )


def _kind_spec(session: Session, application: Application) -> ApplicationKindSpec:
    kind = session.get(ApplicationKind, application.kind_id)
    assert kind is not None
    return spec_of(kind)


# --- filing ----------------------------------------------------------------------


def file_application(ctx: Context, kind_code: str, fields: Mapping[str, str]) -> int:
    """File an application of the latest version of ``kind_code`` and send
    it along the kind's approval route; returns the application's id."""
    with ctx.db.write() as session:
        kind = latest_kind(session, kind_code.strip())
        spec = spec_of(kind)
        values = validate_fields(spec, fields)
        now = ctx.now()
        application = Application(
            kind_id=kind.id,
            applicant_id=ctx.actor.user_id,
            fields=values,
            state=RequestState.PENDING.value,
            created_at=now,
        )
        session.add(application)
        session.flush()
        record_event(
            session,
            ctx.actor,
            now,
            entity=SUBJECT,
            entity_id=application.id,
            kind="application.filed",
            summary=f"{ctx.actor.label} filed application {application.id} ({spec.name})",
            payload={"kind": spec.code, "kind_version": kind.version},
        )
        request = approvals.open_request_in(
            session,
            ctx,
            subject_kind=SUBJECT,
            subject_id=application.id,
            title=f"Application {application.id}: {spec.name}",
            route=spec.route,
            at=now,
        )
        application.approval_request_id = request.id
        return application.id


# --- the applicant's changes ---------------------------------------------------------


def _lock(session: Session, application_id: int, expect_version: int | None) -> Application:
    """Take the application's row lock (a version bump), refusing a stale version."""
    query = update(Application).where(Application.id == application_id)
    if expect_version is not None:
        query = query.where(Application.version == expect_version)
    result = cast(
        CursorResult[Any],
        session.execute(
            query.values(version=Application.version + 1).execution_options(
                synchronize_session=False
            )
        ),
    )
    application = session.get(Application, application_id, populate_existing=True)
    if application is None:
        raise NotFound(f"no application {application_id}")
    if result.rowcount != 1:
        raise Conflict(
            f"application {application_id} was changed by someone else since you read it "
            f"(now version {application.version}); read it again and retry"
        )
    return application


def _request_of(session: Session, application: Application) -> ApprovalRequest:
    request = (
        session.get(ApprovalRequest, application.approval_request_id)
        if application.approval_request_id is not None
        else None
    )
    if request is None:
        raise NotFound(f"application {application.id} has no approval request")
    return request


def _correct_fields(
    ctx: Context, application_id: int, changes: Mapping[str, str], expect_version: int | None
) -> int:
    """Check and save corrected fields of a sent-back application; returns
    its approval request's id."""
    with ctx.db.write() as session:
        application = _lock(session, application_id, expect_version)
        _require_applicant(session, ctx, application, "resubmit")
        request = _request_of(session, application)
        if request.state not in WITH_REQUESTER:
            raise InvalidTransition(
                f"application {application.id} is {_state_words(request.state)}; only one "
                "sent back or pulled back can be corrected and resubmitted"
            )
        spec = _kind_spec(session, application)
        typed = {key: field_text(value) for key, value in application.fields.items()}
        typed.update(changes)
        values = validate_fields(spec, typed)
        changed = sorted(
            key
            for key in {*values, *application.fields}
            if values.get(key) != application.fields.get(key)
        )
        application.fields = values
        summary = f"{ctx.actor.label} corrected application {application.id}"
        summary += f": {', '.join(changed)}" if changed else " (no field changed)"
        record_event(
            session,
            ctx.actor,
            ctx.now(),
            entity=SUBJECT,
            entity_id=application.id,
            kind="application.corrected",
            summary=summary,
            payload={"changed": changed},
        )
        return request.id


def resubmit(
    ctx: Context,
    application_id: int,
    changes: Mapping[str, str],
    comment: str = "",
    expect_version: int | None = None,
) -> None:
    """Correct a sent-back (or pulled-back) application and send it round its
    route again from the first stage.

    ``changes`` are typed values by field key laid over the current ones
    (an empty value clears an optional field). The fields are saved first,
    then the request is re-applied; should that second step fail, the
    error says the correction is saved and resubmitting again finishes it.
    """
    request_id = _correct_fields(ctx, application_id, changes, expect_version)
    try:
        approvals.reapply(ctx, request_id, comment)
    except BackofficeError as error:
        raise type(error)(
            f"application {application_id}: the corrected fields are saved, but it was not "
            f"sent round again ({error}); resubmit it again or withdraw it"
        ) from error


def withdraw(ctx: Context, application_id: int, comment: str = "") -> None:
    """The applicant takes an open application back for good."""
    with ctx.db.read() as session:
        application = session.get(Application, application_id)
        if application is None:
            raise NotFound(f"no application {application_id}")
        _require_applicant(session, ctx, application, "withdraw")
        if application.state not in OPEN_STATES:
            raise InvalidTransition(
                f"application {application_id} is already {_state_words(application.state)}"
            )
        request_id = _request_of(session, application).id
    try:
        approvals.withdraw(ctx, request_id, comment)
    except BackofficeError as error:
        raise type(error)(f"application {application_id}: {error}") from error
