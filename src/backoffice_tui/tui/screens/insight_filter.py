"""The dialog narrowing the Insights reports, as the report command's
options do: a team, a service, a process template (each chosen from the
database) and a period. A date that is not one, or a period that ends
before it starts, is said in place on one line; escape keeps the filter
as it was."""

from collections.abc import Callable
from datetime import date
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, Static

from backoffice_tui.domain.errors import BackofficeError, InvalidInput
from backoffice_tui.io.values import typed_date
from backoffice_tui.services.insight.filters import FilterChoices, InsightFilter
from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.choice_field import ChoiceField
from backoffice_tui.tui.widgets.field_row import FieldRow
from backoffice_tui.tui.widgets.quiet_input import QuietInput

# Checks a filter against the database: raises a BackofficeError saying what is wrong.
CheckFilter = Callable[[InsightFilter], object]


class InsightFilterDialog(BackofficeDialog[InsightFilter | None]):
    """Returns the new filter, or None when cancelled."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="InsightFilterDialog")
        + """
    InsightFilterDialog FieldRow > Label { width: 22; }
    InsightFilterDialog #outcome { height: auto; margin-top: 1; }
    InsightFilterDialog Input.-textual-compact:focus { background-tint: $foreground 8%; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Apply", id="insight_filter.apply", priority=True),
        Binding("escape", "cancel", "Cancel", id="insight_filter.cancel"),
    ]

    def __init__(self, current: InsightFilter, choices: FilterChoices, check: CheckFilter) -> None:
        super().__init__()
        self.current = current
        self.choices = choices
        self.check = check

    def compose(self) -> ComposeResult:
        current = self.current
        with Vertical():
            yield Label("Reports about")
            with FieldRow():
                yield Label("team")
                yield ChoiceField(
                    "Team", self.choices.teams, required=False, value=current.team or "", id="team"
                )
            with FieldRow():
                yield Label("service")
                yield ChoiceField(
                    "Service",
                    self.choices.services,
                    required=False,
                    value=current.service or "",
                    id="service",
                )
            with FieldRow():
                yield Label("process template")
                yield ChoiceField(
                    "Process template",
                    self.choices.templates,
                    required=False,
                    value=current.template or "",
                    id="template",
                )
            with FieldRow():
                yield Label("from (default 12 wk)")
                yield QuietInput(placeholder="YYYY-MM-DD", id="since", compact=True)
            with FieldRow():
                yield Label("to (default today)")
                yield QuietInput(placeholder="YYYY-MM-DD", id="until", compact=True)
            yield Static(id="outcome")
            yield Label("space: choose   ctrl+s: apply   escape: keep as it was", classes="hint")

    def on_mount(self) -> None:
        for key, day in (("since", self.current.since), ("until", self.current.until)):
            field = self.query_one(f"#{key}", Input)
            field.value = day.isoformat() if day else ""
            field.cursor_position = len(field.value)
        self.query_one("#team", ChoiceField).focus()

    def _date(self, key: str, what: str) -> date | None:
        text = self.query_one(f"#{key}", Input).value.strip()
        return typed_date(text, what) if text else None

    def typed(self) -> InsightFilter:
        """The filter as typed, or InvalidInput saying what is wrong."""
        since = self._date("since", "from")
        until = self._date("until", "to")
        if since and until and since > until:
            raise InvalidInput(f"the period starts ({since}) after it ends ({until})")
        return InsightFilter(
            team=self.query_one("#team", ChoiceField).value or None,
            service=self.query_one("#service", ChoiceField).value or None,
            template=self.query_one("#template", ChoiceField).value or None,
            since=since,
            until=until,
            by=self.current.by,
        )

    def refuse(self, reason: str) -> None:
        self.query_one("#outcome", Static).update(
            Content.assemble(Content.styled("not applied: ", "bold $error"), plain(reason))
        )

    @on(Input.Submitted)
    @on(ChoiceField.Submitted)
    def _next_field(self) -> None:
        if self.focused is self.query_one("#until", Input):
            self.action_apply()
        else:
            self.focus_next()

    def action_apply(self) -> None:
        try:
            wanted = self.typed()
            self.check(wanted)
        except BackofficeError as error:
            self.refuse(str(error))
            return
        self.dismiss(wanted)

    def action_cancel(self) -> None:
        self.dismiss(None)
