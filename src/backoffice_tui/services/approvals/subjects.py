"""What a change of an approval request's state does to its subject.

Work items, handoffs and orders read their request when they need it (the
step lifecycle refuses to finish an unapproved step); an application keeps
a state of its own that must equal its request's, so it is updated here,
in the same transaction as the decision.
"""

from sqlalchemy.orm import Session

from backoffice_tui.services.applications.state import follow_request_state_in
from backoffice_tui.store.models import ApprovalRequest


def request_state_changed_in(session: Session, request: ApprovalRequest) -> None:
    if request.subject_kind == "application":
        follow_request_state_in(session, request)
