"""Handoffs under real concurrency: threads, each with its own engine."""

import threading
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import func, select

from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.services.connection import open_database
from backoffice_tui.services.context import Context
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs import documents as handoff_documents
from backoffice_tui.services.handoffs.checklist import answer_item, toggle_item
from backoffice_tui.services.handoffs.read import handoff_detail
from backoffice_tui.services.work.queue import get_queue_row
from backoffice_tui.store.models import DocumentRevision, Event
from tests.services.test_handoffs import find_handoff, item


def at_the_same_moment(
    demo_url: str, contexts: list[Context], action: Callable[[Context], object]
) -> dict[str, str]:
    """Run ``action`` once per context, each in its own thread on its own engine,
    released together; returns each login's outcome ("ok" or the refusal)."""
    engines = [open_database(demo_url) for _ in contexts]
    barrier = threading.Barrier(len(contexts))
    outcomes: dict[str, str] = {}

    def attempt(ctx: Context) -> None:
        barrier.wait()
        try:
            action(ctx)
            outcomes[ctx.actor.login] = "ok"
        except BackofficeError as error:
            outcomes[ctx.actor.login] = str(error)

    threads = [
        threading.Thread(target=attempt, args=(replace(ctx, db=db),))
        for ctx, db in zip(contexts, engines, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for db in engines:
        db.dispose()
    assert sorted(outcomes) == sorted(ctx.actor.login for ctx in contexts)
    return outcomes


def test_two_operators_ticking_different_items_both_succeed(demo_url: str, as_user) -> None:
    row = find_handoff(as_user("ryan").db, "ORD-2026-0010", "draft")
    detail = handoff_detail(as_user("ryan").db, row.id)
    keys = {"ryan": "false-positive-review", "yamamoto": "log-forwarding"}
    items = {login: item(detail, key) for login, key in keys.items()}

    outcomes = at_the_same_moment(
        demo_url,
        [as_user("ryan"), as_user("yamamoto")],
        lambda ctx: toggle_item(ctx, items[ctx.actor.login].id, items[ctx.actor.login].version),
    )
    assert outcomes == {"ryan": "ok", "yamamoto": "ok"}
    after = handoff_detail(as_user("ryan").db, row.id)
    for login, key in keys.items():
        ticked = item(after, key)
        assert (ticked.answer, ticked.by, ticked.version) == ("yes", login, 2)
    assert after.version == detail.version  # answers never move the handoff's version
    assert after.blocking == ("escalation-contacts",)


def test_two_operators_editing_the_same_answer_one_is_told(demo_url: str, as_user) -> None:
    db = as_user("ryan").db
    row = find_handoff(db, "ORD-2026-0010", "draft")
    contacts = item(handoff_detail(db, row.id), "escalation-contacts")
    values = {"ryan": "SOC desk 03-5555-0100", "yamamoto": "Security team 03-5555-0111"}
    with db.read() as session:
        last_event = session.scalar(select(func.max(Event.id)))

    outcomes = at_the_same_moment(
        demo_url,
        [as_user("ryan"), as_user("yamamoto")],
        lambda ctx: answer_item(ctx, contacts.id, values[ctx.actor.login], contacts.version),
    )
    winners = [login for login, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1
    winner = winners[0]
    loser = next(login for login in outcomes if login != winner)
    assert outcomes[loser].startswith(
        f"checklist item 'Customer escalation contacts and hours' was changed by {winner} at "
    )
    assert outcomes[loser].endswith(f"; its answer is now '{values[winner]}'")
    current = item(handoff_detail(db, row.id), "escalation-contacts")
    assert (current.answer, current.by, current.version) == (values[winner], winner, 2)
    with db.read() as session:
        answered = session.scalar(
            select(func.count()).where(
                Event.entity == "handoff",
                Event.entity_id == row.id,
                Event.kind == "handoff.answered",
                Event.id > last_event,
            )
        )
    assert answered == 1


def test_two_receivers_accepting_at_the_same_moment(demo_url: str, as_user) -> None:
    db = as_user("hayashi").db
    row = find_handoff(db, "ORD-2026-0042", "submitted")

    outcomes = at_the_same_moment(
        demo_url,
        [as_user("hayashi"), as_user("olivia")],
        lambda ctx: handoffs.accept(ctx, row.id),
    )
    winners = [login for login, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1
    loser = next(login for login in outcomes if login not in winners)
    assert outcomes[loser] == f"cannot accept handoff {row.id}: it is accepted, not submitted"
    assert get_queue_row(db, row.work_item_id).status == "done"
    with db.read() as session:
        finished = session.scalar(
            select(func.count()).where(
                Event.entity == "work_item",
                Event.entity_id == row.work_item_id,
                Event.kind == "work_item.done",
            )
        )
    assert finished == 1


def test_revisions_added_at_the_same_moment_never_share_a_number(demo_url: str, as_user) -> None:
    db = as_user("ryan").db
    row = find_handoff(db, "ORD-2026-0010", "draft")
    document = handoff_detail(db, row.id).documents[0]
    assert [r.revision for r in document.revisions] == [1, 2]

    outcomes = at_the_same_moment(
        demo_url,
        [as_user("ryan"), as_user("yamamoto")],
        lambda ctx: handoff_documents.add_revision(
            ctx, document.id, f"//fileserver/policy-{ctx.actor.login}.pdf", "tuned again"
        ),
    )
    added = sum(1 for outcome in outcomes.values() if outcome == "ok")
    assert added >= 1
    refused = [outcome for outcome in outcomes.values() if outcome != "ok"]
    for message in refused:  # on PostgreSQL the unique constraint may turn one away
        assert message == (
            "someone added revision 3 of document 'Firewall and EDR policy' at the same "
            "moment; refresh and add yours again"
        )
    with db.read() as session:
        numbers = sorted(
            session.scalars(
                select(DocumentRevision.revision).where(DocumentRevision.document_id == document.id)
            )
        )
    assert numbers == list(range(1, 3 + added))
