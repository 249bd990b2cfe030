"""Documents of a handoff: references (a path or URL) with numbered revisions.

A new revision never overwrites an older one: revisions are numbered 1, 2, ...
per document, and a unique constraint on (document, revision) means that of
two people adding a revision at the same moment, one is told to try again
instead of both getting the same number.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Context
from backoffice_tui.services.handoffs.records import (
    describe,
    load_handoff,
    one_line,
    record_handoff_event,
    require_editable,
)
from backoffice_tui.store.models import DocumentRevision, Handoff, HandoffDocument, User

_MAX_TITLE = 300


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"a document needs a {what}")
    return text


def _location(value: str | None) -> str:
    location = _text(value, "location (a path or URL)")
    if len(location.splitlines()) > 1:
        raise InvalidInput("a document location is one path or URL on one line")
    return location


def _open_for_change(session: Session, ctx: Context, handoff_id: int, doing: str) -> Handoff:
    handoff = load_handoff(session, handoff_id, lock="share")
    permissions.require_member(
        session, ctx.actor, handoff.from_team_id, f"{doing} the documents of its handoffs"
    )
    require_editable(session, handoff, f"{doing} the documents of")
    return handoff


def add_document(ctx: Context, handoff_id: int, title: str, location: str, note: str = "") -> int:
    """Reference a document (revision 1) on a handoff; returns the document id."""
    title = _text(title, "title")
    if len(title) > _MAX_TITLE:
        raise InvalidInput(f"a document title has at most {_MAX_TITLE} characters")
    location = _location(location)
    note = (note or "").strip()
    with ctx.db.write() as session:
        handoff = _open_for_change(session, ctx, handoff_id, "add to")
        now = ctx.now()
        document = HandoffDocument(
            handoff_id=handoff.id, title=title, created_at=now, created_by_id=ctx.actor.user_id
        )
        session.add(document)
        session.flush()
        session.add(
            DocumentRevision(
                document_id=document.id,
                revision=1,
                location=location,
                note=note,
                created_at=now,
                created_by_id=ctx.actor.user_id,
            )
        )
        record_handoff_event(
            session,
            ctx,
            handoff,
            now,
            "document_added",
            f"{ctx.actor.label} added document '{one_line(title)}' to "
            f"{describe(session, handoff)}: {one_line(location)}",
            team_id=handoff.from_team_id,
            document_id=document.id,
            title=title,
            revision=1,
            location=location,
            note=note,
        )
        return document.id


def _latest(session: Session, document_id: int) -> DocumentRevision | None:
    return session.scalar(
        select(DocumentRevision)
        .where(DocumentRevision.document_id == document_id)
        .order_by(DocumentRevision.revision.desc())
        .limit(1)
    )


def add_revision(
    ctx: Context,
    document_id: int,
    location: str,
    note: str = "",
    expected_revision: int | None = None,
) -> int:
    """Add the next revision of a document, keeping the older ones; returns its
    number. ``expected_revision`` refuses if someone added one since."""
    location = _location(location)
    note = (note or "").strip()
    with ctx.db.write() as session:
        document = session.get(HandoffDocument, document_id)
        if document is None:
            raise NotFound(f"no document {document_id}")
        handoff = _open_for_change(session, ctx, document.handoff_id, "revise")
        latest = _latest(session, document.id)
        current = latest.revision if latest else 0
        if expected_revision is not None and latest and current != expected_revision:
            author = session.get(User, latest.created_by_id)
            raise Conflict(
                f"document '{document.title}' already has revision {current}, added by "
                f"{author.login if author else '?'} at {latest.created_at.astimezone():%H:%M}; "
                "look at it, then add yours"
            )
        number, title = current + 1, document.title
        now = ctx.now()
        session.add(
            DocumentRevision(
                document_id=document.id,
                revision=number,
                location=location,
                note=note,
                created_at=now,
                created_by_id=ctx.actor.user_id,
            )
        )
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                f"someone added revision {number} of document '{title}' at the same "
                "moment; refresh and add yours again"
            ) from None
        record_handoff_event(
            session,
            ctx,
            handoff,
            now,
            "revision_added",
            f"{ctx.actor.label} added revision {number} of '{one_line(document.title)}' to "
            f"{describe(session, handoff)}" + (f": {one_line(note)}" if note else ""),
            team_id=handoff.from_team_id,
            document_id=document.id,
            title=document.title,
            revision=number,
            location=location,
            note=note,
        )
        return number
