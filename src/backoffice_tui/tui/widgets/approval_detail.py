"""One approval request whole: subject, customer, route, decisions."""

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from backoffice_tui.domain.approvals import PAST_TENSE, Action, RequestState, StageState
from backoffice_tui.domain.text import visible_text
from backoffice_tui.services.approvals.read import DecisionView, RequestDetail, StageView
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.inbox_table import kind_text, state_text

HEADING = "bold $text-muted"
QUIET = "$text-muted"


def _at(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone():%m-%d %H:%M}"


def _text(value: object) -> str:
    return visible_text(value)


def title_line(detail: RequestDetail) -> Content:
    stage = (
        f", stage {detail.current_stage}/{len(detail.stages)}"
        if detail.state == RequestState.PENDING
        else ""
    )
    return Content.assemble(
        (f"Approval {detail.id}", "bold"),
        f" {state_text(detail.state)}{stage}  ",
        _text(detail.title),
    )


def _stage_line(stage: StageView, current: bool) -> Content:
    who = ", ".join(stage.approvers)
    rule = f"{stage.rule_text}: {who}" if stage.info_only else f"{stage.rule_text} of {who}"
    parts: list[str | tuple[str, str]] = [
        ("> " if current else "  ", "bold $accent"),
        (f"{stage.position} ", "bold"),
        _text(stage.name),
        ("  " + state_text(stage.state), "bold" if current else QUIET),
        "  " + _text(rule),
    ]
    more: list[str | tuple[str, str]] = []
    if stage.due_at is not None:
        more.append(
            (f"  due {_at(stage.due_at)} (late)", "bold $error")
            if stage.overdue
            else f"  due {_at(stage.due_at)}"
        )
    if stage.held_by:
        more.append((f"  on hold by {_text(stage.held_by)}", "bold $warning"))
    if stage.approved_by and stage.state != StageState.WAITING:
        more.append(f"  approved by {_text(', '.join(stage.approved_by))}")
    if stage.deciders:
        more.append((f"  may decide now: {_text(', '.join(stage.deciders))}", QUIET))
    if more:
        parts += ["\n   ", *more]
    return Content.assemble(*parts)


def _decision_line(decision: DecisionView) -> Content:
    try:
        verb = PAST_TENSE[Action(decision.action)]
    except ValueError:
        verb = decision.action
    actor = decision.actor + (f" for {decision.on_behalf_of}" if decision.on_behalf_of else "")
    where = f" at stage {decision.stage}" if decision.stage else ""
    target = f" to {decision.target}" if decision.target else ""
    parts: list[str | tuple[str, str]] = [
        (f"  {_at(decision.at)}  ", QUIET),
        (_text(actor), "bold"),
        f" {verb}{where}{_text(target)}",
    ]
    if decision.comment:
        parts.append(f': "{_text(decision.comment)}"')
    return Content.assemble(*parts)


def detail_body(detail: RequestDetail) -> Content:
    customer = (
        f"{detail.customer_code} {detail.customer_name or ''}"
        if detail.customer_code
        else "no customer"
    )
    current = detail.current_stage if detail.state == RequestState.PENDING else None
    lines: list[Content] = [
        Content.assemble(
            f"{kind_text(detail.subject_kind)} {detail.subject_id} | ",
            _text(customer),
            " | requested by ",
            (_text(detail.requester), "bold"),
            f" {_at(detail.created_at)}",
        ),
        Content.styled("Route", HEADING),
        *(_stage_line(stage, stage.position == current) for stage in detail.stages),
        Content.styled("History", HEADING),
        *(_decision_line(decision) for decision in detail.decisions),
    ]
    return Content("\n").join(lines)


class ApprovalDetail(VerticalScroll, can_focus=True):
    """The request under the cursor; enter on the list focuses it to scroll."""

    DEFAULT_CSS = """
    ApprovalDetail { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ApprovalDetail > Static { width: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "screen.focus_list", "Back to the list", id="approvals.list"),
        Binding("j", "scroll_down", "Down", id="approvals.detail_down", show=False),
        Binding("k", "scroll_up", "Up", id="approvals.detail_up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.request_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-body", markup=False)

    def show(self, detail: RequestDetail) -> None:
        if detail.id != self.request_id:
            self.scroll_home(animate=False, immediate=True)
        self.request_id = detail.id
        self.body.update(detail_body(detail))

    def show_text(self, text: str) -> None:
        self.request_id = None
        self.body.update(plain(text))

    @property
    def body(self) -> Static:
        return self.query_one("#detail-body", Static)
