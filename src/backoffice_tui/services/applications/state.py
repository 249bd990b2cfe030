"""An application's state follows its approval request's: approved,
rejected, sent back, withdrawn ... (called by ``approvals.subjects`` inside
the transaction that changed the request)."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from backoffice_tui.store.models import Application, ApprovalRequest


def follow_request_state_in(session: Session, request: ApprovalRequest) -> None:
    """Keep the application's state equal to its request's."""
    session.execute(
        update(Application)
        .where(Application.id == request.subject_id)
        .where(Application.approval_request_id == request.id)
        .values(state=request.state, version=Application.version + 1)
        .execution_options(synchronize_session=False)
    )
