"""The handoff screens, key by key, against a real database."""

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from backoffice_tui.services.context import Context
from backoffice_tui.services.handoffs.checklist import answer_item
from backoffice_tui.services.handoffs.read import (
    Direction,
    HandoffFilter,
    handoff_detail,
    list_handoffs,
)
from backoffice_tui.services.work.queue import get_queue_row
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.dialogs import AskText, Confirm, PickOne
from backoffice_tui.tui.screens.handoff import DocumentHistory, HandoffScreen
from backoffice_tui.tui.screens.handoffs import HandoffsScreen
from tests.conftest import resolve_actor_for
from tests.helpers import MessageLog, type_text
from tests.services.test_handoffs import find_handoff, item, next_step
from tests.tui.conftest import MakeApp, settle

SIZE = (120, 34)


async def open_list(pilot: Pilot[None], app: BackofficeApp) -> HandoffsScreen:
    await settle(pilot)
    app.push_screen(HandoffsScreen())
    await settle(pilot)
    assert isinstance(app.screen, HandoffsScreen)
    return app.screen


async def open_handoff(pilot: Pilot[None], app: BackofficeApp, handoff_id: int) -> HandoffScreen:
    await settle(pilot)
    app.push_screen(HandoffScreen(handoff_id))
    await settle(pilot)
    assert isinstance(app.screen, HandoffScreen)
    return app.screen


def option_ids(screen: HandoffsScreen | HandoffScreen) -> list[str | None]:
    options = screen.query_one(OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


def summary(screen: HandoffScreen) -> str:
    return str(screen.query_one("#summary", Static).content)


async def move_to(pilot: Pilot[None], screen: HandoffScreen, option_id: str) -> None:
    """Walk the cursor with j/k to the row ``option_id``."""
    options = screen.query_one(OptionList)
    ids = option_ids(screen)
    key = "j" if ids.index(option_id) > (options.highlighted or 0) else "k"
    for _ in range(len(ids)):
        if options.highlighted_option and options.highlighted_option.id == option_id:
            return
        await pilot.press(key)
    raise AssertionError(f"cannot reach {option_id}")


# --- the lists --------------------------------------------------------------------------


async def test_incoming_and_outgoing_lists_with_filters(
    console: MakeApp, demo_db: Database
) -> None:
    kimura = resolve_actor_for(demo_db, "kimura")
    app = console("kimura")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot, app)
        incoming = list_handoffs(demo_db, kimura, HandoffFilter())
        assert option_ids(screen) == [str(r.id) for r in incoming]
        assert incoming[0].state == "submitted"

        await pilot.press("o")
        await settle(pilot)
        outgoing = list_handoffs(demo_db, kimura, HandoffFilter(Direction.OUTGOING))
        assert option_ids(screen) == [str(r.id) for r in outgoing]
        assert "outgoing from my teams; open" in str(screen.query_one("#status", Static).content)

        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, PickOne)
        await pilot.press("down", "down", "down", "enter")  # open, draft, submitted, returned
        await settle(pilot)
        returned = find_handoff(demo_db, "ORD-2026-0043", "returned")
        assert option_ids(screen) == [str(returned.id)]

        await pilot.press("tab")  # incoming to my teams: nothing returned
        await settle(pilot)
        assert option_ids(screen) == []
        assert "No handoffs incoming to my teams; returned" in str(
            screen.query_one("#empty", Static).content
        )

        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, PickOne)
        picker = app.screen.query_one(OptionList)
        while picker.highlighted_option.id != "maintenance":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert option_ids(screen) == [str(returned.id)]  # incoming to maintenance

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoffScreen) and app.screen.handoff_id == returned.id
        assert "returned: Maintenance scope has no response times" in summary(app.screen)
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is screen


async def test_the_list_moves_like_the_queue(console: MakeApp, demo_db: Database) -> None:
    """g and G go to the first and last handoff; down on the last stays there."""
    app = console("kimura")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot, app)
        await pilot.press("a")  # between all teams: more than one
        await settle(pilot)
        options = screen.query_one(OptionList)
        last = options.option_count - 1
        assert last >= 2
        await pilot.press("G")
        assert options.highlighted == last
        await pilot.press("down", "j")
        assert options.highlighted == last, "no wrapping to the first"
        await pilot.press("g")
        assert options.highlighted == 0
        await pilot.press("up", "k")
        assert options.highlighted == 0, "no wrapping to the last"
        await pilot.press("j")
        assert options.highlighted == 1


# --- the whole cycle ------------------------------------------------------------------------


async def test_draft_submit_refused_then_allowed_return_resubmit_accept(
    console: MakeApp, demo_db: Database
) -> None:
    row = find_handoff(demo_db, "ORD-2026-0010", "draft")
    detail = handoff_detail(demo_db, row.id)

    app = console("ryan")  # build: the sending team
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        screen = await open_handoff(pilot, app, row.id)
        assert "blocks submission (3): Two-week false-positive review completed" in summary(screen)
        await pilot.press("S")
        await settle(pilot)
        assert any(
            m.startswith(f"cannot submit handoff {row.id}: 3 required items still unanswered")
            and "'Log forwarding to the SOC verified'" in m
            for m in log.notifications
        )
        assert handoff_detail(demo_db, row.id).state == "draft"

        await move_to(pilot, screen, f"item:{item(detail, 'false-positive-review').id}")
        await pilot.press("x")
        await settle(pilot)
        await move_to(pilot, screen, f"item:{item(detail, 'escalation-contacts').id}")
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await type_text(pilot, "SOC desk 03-5555-0100")
        await pilot.press("enter")
        await settle(pilot)
        assert "blocks submission (1): Log forwarding to the SOC verified" in summary(screen)
        await move_to(pilot, screen, f"item:{item(detail, 'log-forwarding').id}")
        await pilot.press("enter")  # enter on a check item ticks it
        await settle(pilot)
        assert "ready to submit: S sends it to operations" in summary(screen)
        await pilot.press("S")
        await settle(pilot)
        assert "waiting for operations to accept (A) or return (R)" in summary(screen)
    answers = handoff_detail(demo_db, row.id)
    assert answers.state == "submitted"
    assert item(answers, "escalation-contacts").answer == "SOC desk 03-5555-0100"
    assert {item(answers, k).by for k in ("false-positive-review", "log-forwarding")} == {"ryan"}

    app = console("olivia")  # operations: the receiving team
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_handoff(pilot, app, row.id)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await type_text(pilot, "No holiday hours")
        await pilot.press("enter")
        await settle(pilot)
        assert "returned: No holiday hours" in summary(screen)
    assert handoff_detail(demo_db, row.id).state == "returned"

    app = console("ryan")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_handoff(pilot, app, row.id)
        assert "ready to submit" in summary(screen)
        await pilot.press("S")
        await settle(pilot)
        assert handoff_detail(demo_db, row.id).state == "submitted"

    app = console("olivia")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_handoff(pilot, app, row.id)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        assert "accepted" in summary(screen)
    assert handoff_detail(demo_db, row.id).state == "accepted"
    assert get_queue_row(demo_db, row.work_item_id).status == "done"
    following = next_step(demo_db, row.work_item_id)
    assert (following.status, following.team.code) == ("ready", "operations")


# --- permissions and conflicts ----------------------------------------------------------------


async def test_another_team_cannot_submit_or_accept(console: MakeApp, demo_db: Database) -> None:
    draft = find_handoff(demo_db, "ORD-2026-0007", "draft")
    submitted = find_handoff(demo_db, "ORD-2026-0042", "submitted")
    app = console("olivia")  # operations
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await open_handoff(pilot, app, draft.id)
        await pilot.press("S")
        await settle(pilot)
        assert "olivia is not in team build, so cannot submit its handoffs" in log.notifications
    app = console("ryan")  # build
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await open_handoff(pilot, app, submitted.id)
        await pilot.press("A", "y")
        await settle(pilot)
        assert (
            "ryan is not in team operations, so cannot accept the handoffs it receives"
            in log.notifications
        )
    assert handoff_detail(demo_db, draft.id).state == "draft"
    assert handoff_detail(demo_db, submitted.id).state == "submitted"


async def test_editing_an_answer_someone_just_changed(console: MakeApp, demo_db: Database) -> None:
    row = find_handoff(demo_db, "ORD-2026-0010", "draft")
    contacts = item(handoff_detail(demo_db, row.id), "escalation-contacts")
    app = console("ryan")
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        screen = await open_handoff(pilot, app, row.id)
        await move_to(pilot, screen, f"item:{contacts.id}")
        # yamamoto saves an answer while ryan looks at the old one
        answer_item(
            Context(demo_db, resolve_actor_for(demo_db, "yamamoto")),
            contacts.id,
            "Security team <b>[bold]24x7[/bold]</b>",
            contacts.version,
        )
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        assert app.screen.query_one(Input).value == ""  # what ryan saw
        await type_text(pilot, "Desk B")
        await pilot.press("enter")
        await settle(pilot)
        conflict = next(m for m in log.notifications if m.startswith("checklist item"))
        assert conflict.startswith(
            "checklist item 'Customer escalation contacts and hours' was changed by yamamoto at "
        )
        assert conflict.endswith("its answer is now 'Security team <b>[bold]24x7[/bold]</b>'")
        options = screen.query_one(OptionList)
        shown = str(options.get_option(f"item:{contacts.id}").prompt)
        assert "Security team <b>[bold]24x7[/bold]</b>"[:20] in shown  # as typed, not markup
        await pilot.press("e")  # the refused text is offered again, as a draft
        await settle(pilot)
        assert app.screen.query_one(Input).value == "Desk B"
    assert item(handoff_detail(demo_db, row.id), "escalation-contacts").by == "yamamoto"


# --- documents ------------------------------------------------------------------------------------


async def test_document_history_and_a_new_revision(console: MakeApp, demo_db: Database) -> None:
    row = find_handoff(demo_db, "ORD-2026-0010", "draft")
    document = handoff_detail(demo_db, row.id).documents[0]
    app = console("ryan")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_handoff(pilot, app, row.id)
        await move_to(pilot, screen, f"doc:{document.id}")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DocumentHistory)
        history = app.screen.query_one(OptionList)
        assert [history.get_option_at_index(i).id for i in range(history.option_count)] == [
            "2",
            "1",
        ]
        assert "Tuned after the first week of alerts" in str(history.get_option("2").prompt)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await type_text(pilot, "//fs/policy-r3.pdf")
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "exceptions reviewed")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoffScreen)
        assert "rev 3" in str(screen.query_one(OptionList).get_option(f"doc:{document.id}").prompt)

        await pilot.press("d")
        await settle(pilot)
        await type_text(pilot, "Alert tuning notes")
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "//fs/tuning.md")
        await pilot.press("enter", "enter")  # no note
        await settle(pilot)
    documents = handoff_detail(demo_db, row.id).documents
    assert [(r.revision, r.location, r.note, r.by) for r in documents[0].revisions][-1] == (
        3,
        "//fs/policy-r3.pdf",
        "exceptions reviewed",
        "ryan",
    )
    assert documents[-1].title == "Alert tuning notes" and documents[-1].latest.revision == 1
