"""Approvals: a key for every action on the request under the cursor.

Approve, reject, send back and forward are held for a short undo window
(``tui.pending_decisions``) and the cursor moves on at once; the other
actions are committed when asked. Tagged requests are approved in bulk
after one confirmation.
"""

import logging
from typing import ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.message import Message

from backoffice_tui.domain.approvals import PAST_TENSE, REQUESTER, Action
from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.domain.text import visible_text
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.read import InboxRow, request_detail
from backoffice_tui.services.people.users import list_users
from backoffice_tui.tui.pending_decisions import PendingDecision, commit_decision
from backoffice_tui.tui.screens.approval_lists import ApprovalListsScreen, reading_time
from backoffice_tui.tui.screens.bulk_results import BulkResults, ItemResult
from backoffice_tui.tui.screens.dialogs import AskText, Choices, Confirm, PickOne
from backoffice_tui.tui.workspace import workspace_of

log = logging.getLogger(__name__)


def comment_draft(request_id: int, action: Action) -> str:
    """The draft key of a comment being written for a decision."""
    return f"approval:{request_id}:{action.value}"


class ApprovalsScreen(ApprovalListsScreen):
    """The lists, and a key for every action on the request under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "comment", "Comment", id="approvals.comment"),
        Binding("u", "undo", "Undo", id="approvals.undo"),
        Binding("s", "switch_view", "Inbox/sent", id="approvals.switch"),
    ]

    class Acted(Message):
        """A decision committed at once (not held), or refused."""

        def __init__(self, decision: PendingDecision, error: str | None) -> None:
            self.decision = decision
            self.error = error
            super().__init__()

    class BulkProgress(Message):
        def __init__(self, done: int, total: int) -> None:
            self.done = done
            self.total = total
            super().__init__()

    class BulkDone(Message):
        def __init__(self, results: list[tuple[InboxRow, str | None]]) -> None:
            self.results = results
            super().__init__()

    def _row_to_decide(self) -> InboxRow | None:
        if self.console.refuse_while_offline():
            return None
        row = self.current_row
        if row is None:
            self.notify("No request here", severity="warning")
            return None
        held = self.pending.for_request(row.id)
        if held is not None:
            self.notify(
                f"{self.pending.label(held)} already; u undoes it", severity="warning", markup=False
            )
            return None
        return row

    def action_decide(self, action: str) -> None:
        row = self._row_to_decide()
        if row is None:
            return
        chosen = Action(action)
        if chosen == Action.APPROVE:
            self._hold(row, chosen)
        elif chosen == Action.REJECT:
            self._ask_comment(row, chosen, f"Reject '{row.title}': why? (required)")
        elif chosen == Action.SEND_BACK:
            self._where_to_send_back(row)
        elif chosen == Action.FORWARD:
            self._whom_to_forward_to(row)

    def _hold(
        self, row: InboxRow, action: Action, comment: str = "", to: str | None = None
    ) -> None:
        """Hold a decision for the undo window and move on to the next request.

        When the request's detail says the reader may not do this, there is
        nothing to undo: the service is asked at once and says why not.
        """
        decision = PendingDecision(
            row.id,
            action,
            row.title,
            comment,
            to,
            row.stage,
            comment_draft(row.id, action) if comment else None,
        )
        detail = self.detail
        if detail is not None and detail.id == row.id and action.value not in detail.can:
            self._act_now(decision)
            return
        self.pending.hold(decision)
        self.table.next_open(self._is_open)

    def _ask_comment(
        self,
        row: InboxRow,
        action: Action,
        question: str,
        to: str | None = None,
        required: bool = True,
    ) -> None:
        def answered(text: str | None) -> None:
            if text is not None:
                self._hold(row, action, text, to)

        self.app.push_screen(
            AskText(question, required=required, draft_key=comment_draft(row.id, action)),
            answered,
        )

    @work(thread=True, group="approval-pickers", exit_on_error=False)
    def _where_to_send_back(self, row: InboxRow) -> None:
        """Ask where to send back (the requester, or a stage already passed),
        then why."""
        workspace = workspace_of(self)
        detail = request_detail(workspace.db, workspace.actor, row.id, reading_time(workspace))
        choices: Choices = [(REQUESTER, f"the requester, {detail.requester}")]
        choices += [
            (str(s.position), f"stage {s.position}: {s.name}")
            for s in detail.stages
            if s.position < detail.current_stage and not s.info_only
        ]
        self.app.call_from_thread(self._ask_send_back, row, choices)

    def _ask_send_back(self, row: InboxRow, choices: Choices) -> None:
        def chosen(to: str | None) -> None:
            if to is None:
                return
            label = dict(choices)[to]
            self._ask_comment(
                row, Action.SEND_BACK, f"Send '{row.title}' back to {label}: why? (required)", to
            )

        if len(choices) == 1:
            chosen(REQUESTER)
        else:
            self.app.push_screen(PickOne(f"Send '{row.title}' back to", choices), chosen)

    @work(thread=True, group="approval-pickers", exit_on_error=False)
    def _whom_to_forward_to(self, row: InboxRow) -> None:
        workspace = workspace_of(self)
        me = workspace.actor.login
        choices: Choices = [
            (user.login, f"{user.login}  {user.name}")
            for user in list_users(workspace.db)
            if user.active and user.login != me
        ]
        self.app.call_from_thread(self._ask_forward, row, choices)

    def _ask_forward(self, row: InboxRow, choices: Choices) -> None:
        def chosen(login: str | None) -> None:
            if login:
                self._ask_comment(
                    row,
                    Action.FORWARD,
                    f"Forward '{row.title}' to {login}: comment (optional)",
                    login,
                    required=False,
                )

        self.app.push_screen(PickOne(f"Forward '{row.title}' to", choices), chosen)

    def action_undo(self) -> None:
        undone = self.pending.undo_last()
        if undone is None:
            self.notify("Nothing to undo: no decision is waiting", severity="warning")
            return
        self.notify(f"undone: {undone.describe()}", markup=False)
        self.table.move_to(undone.request_id)

    # --- actions committed at once -------------------------------------------------------

    def _act_on_current(self, action: Action, comment: str = "") -> None:
        row = self._row_to_decide()
        if row is not None:
            self._act_now(PendingDecision(row.id, action, row.title, comment, None, row.stage))

    def action_hold(self) -> None:
        row = self.current_row
        mine = row is not None and row.held_by == workspace_of(self).actor.login
        self._act_on_current(Action.RELEASE if mine else Action.HOLD)

    def action_pull_back(self) -> None:
        self._act_on_current(Action.PULL_BACK)

    def action_comment(self) -> None:
        row = self._row_to_decide()
        if row is None:
            return
        draft = comment_draft(row.id, Action.COMMENT)

        def answered(text: str | None) -> None:
            if text:
                self._act_now(
                    PendingDecision(row.id, Action.COMMENT, row.title, text, draft_key=draft)
                )

        self.app.push_screen(AskText(f"Comment on '{row.title}'", draft_key=draft), answered)

    def action_withdraw(self) -> None:
        row = self._row_to_decide()
        if row is None:
            return

        def withdraw(yes: bool | None) -> None:
            if yes:
                self._act_now(PendingDecision(row.id, Action.WITHDRAW, row.title))

        self.app.push_screen(Confirm(f"Withdraw approval {row.id} '{row.title}'?"), withdraw)

    def action_reapply(self) -> None:
        row = self._row_to_decide()
        if row is None:
            return
        draft = comment_draft(row.id, Action.REAPPLY)

        def answered(text: str | None) -> None:
            if text is not None:
                self._act_now(
                    PendingDecision(row.id, Action.REAPPLY, row.title, text, draft_key=draft)
                )

        self.app.push_screen(
            AskText(
                f"Re-apply '{row.title}': what changed? (optional)",
                required=False,
                draft_key=draft,
            ),
            answered,
        )

    @work(thread=True, group="approval-actions", exit_on_error=False)
    def _act_now(self, decision: PendingDecision) -> None:
        try:
            commit_decision(workspace_of(self).context(), decision)
        except BackofficeError as error:
            self.post_message(self.Acted(decision, str(error)))
        else:
            self.post_message(self.Acted(decision, None))

    @on(Acted)
    def _acted(self, message: Acted) -> None:
        decision = message.decision
        if message.error:
            self.notify(visible_text(message.error), severity="error", markup=False)
        else:
            if decision.draft_key:
                workspace_of(self).drafts.discard(decision.draft_key)
            done = f"{PAST_TENSE[decision.action]} '{decision.title}'"
            self.notify(visible_text(done), markup=False)
        self._refresh_lists()

    # --- bulk ---------------------------------------------------------------------------

    def action_approve_tagged(self) -> None:
        if self.console.refuse_while_offline():
            return
        rows = [r for r in self.table.tagged_rows() if self._is_open(r)]
        if not rows:
            self.notify("Tag requests with space first; A approves them all", severity="warning")
            return

        def approve_all(yes: bool | None) -> None:
            if yes:
                self._approve_all(rows)

        self.app.push_screen(Confirm(f"Approve {len(rows)} tagged?"), approve_all)

    @work(thread=True, group="approvals-bulk", exit_on_error=False)
    def _approve_all(self, rows: list[InboxRow]) -> None:
        """Each request in its own service call: a refusal never stops the others.

        All are journaled first, and each is taken out once committed or
        refused: those a crash stops are offered at the next start."""
        ctx = workspace_of(self).context()
        results: list[tuple[InboxRow, str | None]] = []
        recorded = self.pending.record(
            [PendingDecision(row.id, Action.APPROVE, row.title, stage=row.stage) for row in rows]
        )
        for done, (row, decision) in enumerate(zip(rows, recorded, strict=True)):
            self.post_message(self.BulkProgress(done, len(rows)))
            try:
                approvals.approve(ctx, row.id, stage=row.stage)
            except BackofficeError as error:
                results.append((row, str(error)))
            except Exception as error:  # one bad request must not stop the rest
                log.exception("approving %s failed", row.id)
                results.append((row, f"unexpected error: {type(error).__name__}: {error}"))
            else:
                results.append((row, None))
            self.pending.settled(decision)
        self.post_message(self.BulkDone(results))

    @on(BulkProgress)
    def _bulk_progress(self, message: BulkProgress) -> None:
        self.progress = f"approving {message.done + 1} of {message.total}…"
        self._show_status()

    @on(BulkDone)
    def _bulk_done(self, message: BulkDone) -> None:
        self.progress = ""
        for row, error in message.results:
            if error is None:
                self._just_done[row.id] = PAST_TENSE[Action.APPROVE]
                self.table.tagged.discard(row.id)
        self._refresh_lists()
        self.app.push_screen(
            BulkResults(
                "Approve tagged",
                [ItemResult(f"#{row.id} {row.title}", error) for row, error in message.results],
            )
        )
