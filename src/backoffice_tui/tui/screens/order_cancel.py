"""Cancelling an order line, or its whole order, from the line on screen:
which of the two, then why (kept as a draft until the cancel is committed)."""

from collections.abc import Callable
from typing import Any

from backoffice_tui.services.customers.search import LineProgress
from backoffice_tui.services.work.cancel import cancel_line, cancel_order
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.dialogs import AskText, PickOne
from backoffice_tui.tui.workspace import workspace_of

LINE, ORDER = "line", "order"


def ask_to_cancel(
    screen: BackofficeScreen[Any], line: LineProgress, cancelled: Callable[[], object]
) -> None:
    """Ask what to cancel and why, then cancel in a worker; ``cancelled``
    runs on the UI loop once it is committed. A refusal is one notification."""
    if line.line_status == "cancelled":
        screen.notify(
            f"line {line.line_position} of {line.order_code} is already cancelled",
            severity="warning",
            markup=False,
        )
        return
    code, position = line.order_code, line.line_position
    choices = [
        (LINE, f"Line {position} only: {line.service}"),
        (ORDER, f"The whole order {code}"),
    ]

    def chosen(what: str | None) -> None:
        if what is None:
            return
        subject = f"line {position} of {code}" if what == LINE else f"order {code}"
        draft_key = f"cancel:{code}:{position if what == LINE else ORDER}"

        def reason_given(reason: str | None) -> None:
            if reason is not None:
                _cancel(screen, what, code, position, reason, draft_key, subject, cancelled)

        screen.app.push_screen(
            AskText(f"Why cancel {subject}? Its open steps are skipped.", draft_key=draft_key),
            reason_given,
        )

    screen.app.push_screen(PickOne(f"Cancel in {code}", choices), chosen)


def _cancel(
    screen: BackofficeScreen[Any],
    what: str,
    code: str,
    position: int,
    reason: str,
    draft_key: str,
    subject: str,
    cancelled: Callable[[], object],
) -> None:
    workspace = workspace_of(screen)

    def commit() -> None:
        ctx = workspace.context()
        if what == LINE:
            cancel_line(ctx, code, position, reason)
        else:
            cancel_order(ctx, code, reason)
        workspace.drafts.discard(draft_key)
        screen.app.call_from_thread(screen.notify, f"cancelled {subject}", markup=False)
        screen.app.call_from_thread(cancelled)

    if not screen.console.refuse_while_offline():
        screen.run_worker(commit, thread=True, group="order-cancel", exit_on_error=False)
