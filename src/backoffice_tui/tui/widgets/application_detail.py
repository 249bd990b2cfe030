"""The selected application, whole: its fields, its route stage by stage,
and what happened to it with every comment. Database text is plain text."""

from datetime import datetime

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Static

from backoffice_tui.domain.approvals import WITH_REQUESTER, RequestState
from backoffice_tui.services.applications.read import ApplicationDetail
from backoffice_tui.services.approvals.read import StageView
from backoffice_tui.tui.text import fit, plain


def local_time(moment: datetime | None, form: str = "%m-%d %H:%M") -> str:
    return moment.astimezone().strftime(form) if moment else ""


def state_words(state: str) -> str:
    return state.replace("_", " ")


def _state_line(detail: ApplicationDetail) -> Content:
    state = RequestState(detail.state)
    decided = local_time(detail.request.decided_at)
    if state == RequestState.PENDING:
        due = detail.request.current.due_at
        line = plain(f"waiting on {detail.waiting_on}").stylize("bold $warning")
        if due is not None:
            late = detail.request.current.overdue
            line += Content.styled(f"  due {local_time(due)}", "bold $error" if late else "")
        return line
    if state in WITH_REQUESTER:
        return Content.styled(
            f"{state_words(state)}: e corrects and resubmits it, w withdraws it", "bold $error"
        )
    if state == RequestState.APPROVED:
        return Content.styled(f"approved {decided}", "bold $success")
    return Content.styled(f"{state_words(state)} {decided}", "bold $error")


def _stage_text(stage: StageView) -> str:
    if stage.approved_by and stage.state == "approved":
        who = f"by {', '.join(stage.approved_by)}"
    elif stage.deciders:
        who = f"waiting on {', '.join(stage.deciders)}"
    else:
        who = ", ".join(stage.approvers)
    return f"  {stage.position}. {fit(stage.name, 18)} {fit(stage.state, 9)} {who}"


def detail_lines(detail: ApplicationDetail) -> list[Content]:
    """The selected application: every database text as plain text."""
    title = Content.assemble(
        Content.styled(f"Application {detail.id}  ", "bold"),
        plain(detail.kind_name),
        Content.styled(f"  {state_words(detail.state)}", "bold"),
    )
    lines = [
        title,
        plain(
            f"filed {local_time(detail.filed_at, '%Y-%m-%d %H:%M')} by {detail.applicant} "
            f"({detail.applicant_name}), version {detail.version}"
        ),
        _state_line(detail),
        Content.styled("Fields", "bold"),
    ]
    label_width = min(32, max(cell_len(f.label) for f in detail.fields) + 2)
    for field in detail.fields:
        label = f"{field.label} *" if field.required else field.label
        lines.append(plain(f"  {fit(label, label_width)}  {field.value or '-'}"))
    lines.append(Content.styled("Route", "bold"))
    lines.extend(plain(_stage_text(stage)) for stage in detail.request.stages)
    lines.append(Content.styled("History", "bold"))
    for entry in detail.history:
        lines.append(plain(f"  {local_time(entry.at)}  {entry.what}"))
        if entry.comment:
            lines.append(plain(f"      {entry.comment}"))
    return lines


class ApplicationDetailView(Static):
    """Shows one application (or a line saying there is none)."""

    DEFAULT_CSS = """
    ApplicationDetailView { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, detail: ApplicationDetail) -> None:
        self.update(Content("\n").join(detail_lines(detail)))

    def say(self, text: str) -> None:
        self.update(plain(text))
