"""Documents of a handoff: references with revisions that never overwrite."""

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs.documents import add_document, add_revision
from backoffice_tui.services.handoffs.read import handoff_detail
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event
from tests.services.test_handoffs import find_handoff


def test_a_new_revision_keeps_the_previous_ones(demo_db: Database, as_user) -> None:
    row = find_handoff(demo_db, "ORD-2026-0007", "draft")
    kimura, ryan = as_user("kimura"), as_user("ryan")
    document_id = add_document(
        kimura, row.id, "  Speed test results ", "//fs/speed-r1.csv", "first run"
    )
    assert add_revision(ryan, document_id, "//fs/speed-r2.csv", "after the QoS change") == 2
    assert add_revision(kimura, document_id, "https://docs.example.com/speed-r3.csv") == 3

    document = next(d for d in handoff_detail(demo_db, row.id).documents if d.id == document_id)
    assert document.title == "Speed test results" and document.created_by == "kimura"
    assert [(r.revision, r.location, r.note, r.by) for r in document.revisions] == [
        (1, "//fs/speed-r1.csv", "first run", "kimura"),
        (2, "//fs/speed-r2.csv", "after the QoS change", "ryan"),
        (3, "https://docs.example.com/speed-r3.csv", "", "kimura"),
    ]
    assert document.latest.revision == 3
    assert all(r.at.tzinfo is not None for r in document.revisions)
    with demo_db.read() as session:
        events = session.scalars(
            select(Event)
            .where(Event.entity == "handoff", Event.entity_id == row.id)
            .order_by(Event.id.desc())
            .limit(3)
        ).all()
    assert [e.kind for e in reversed(events)] == [
        "handoff.document_added",
        "handoff.revision_added",
        "handoff.revision_added",
    ]
    assert events[1].payload["revision"] == 2 and events[1].customer_id is not None
    assert "added revision 2 of 'Speed test results'" in events[1].summary


def test_a_revision_on_a_stale_view_is_refused(demo_db: Database, as_user) -> None:
    row = find_handoff(demo_db, "ORD-2026-0010")
    document = handoff_detail(demo_db, row.id).documents[0]
    add_revision(as_user("yamamoto"), document.id, "//fs/policy-r3.pdf")
    with pytest.raises(Conflict) as refused:
        add_revision(as_user("ryan"), document.id, "//fs/mine.pdf", "", expected_revision=2)
    assert str(refused.value).startswith(
        "document 'Firewall and EDR policy' already has revision 3, added by yamamoto at "
    )
    revisions = handoff_detail(demo_db, row.id).documents[0].revisions
    assert [(r.revision, r.by) for r in revisions][-1] == (3, "yamamoto")


def test_documents_are_checked_and_follow_the_checklist_rules(demo_db: Database, as_user) -> None:
    draft = find_handoff(demo_db, "ORD-2026-0007", "draft")
    kimura = as_user("kimura")
    with pytest.raises(InvalidInput, match="a document needs a title"):
        add_document(kimura, draft.id, " ", "//fs/x")
    with pytest.raises(InvalidInput, match="one path or URL on one line"):
        add_document(kimura, draft.id, "Photos", "//fs/a\n//fs/b")
    with pytest.raises(PermissionDenied, match="olivia is not in team build"):
        add_document(as_user("olivia"), draft.id, "Photos", "//fs/x")
    with pytest.raises(NotFound, match="no document 999999"):
        add_revision(kimura, 999_999, "//fs/x")
    submitted = find_handoff(demo_db, "ORD-2026-0042", "submitted")
    document = handoff_detail(demo_db, submitted.id).documents[0]
    with pytest.raises(InvalidTransition, match="it is submitted; team operations must return"):
        add_revision(as_user("yamamoto"), document.id, "//fs/late.docx")
    handoffs.return_handoff(as_user("hayashi"), submitted.id, "runbook lacks the restore steps")
    assert add_revision(as_user("yamamoto"), document.id, "//fs/runbook-r3.docx") == 3
