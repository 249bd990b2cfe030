"""The dialog "I am away from D1 to D2; my approvals go to B": it adds a
delegation in a worker, shows a refusal in place and keeps the dates typed
as a draft until the delegation is saved."""

import json
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, Static

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.values import typed_date
from backoffice_tui.tui.drafts import Drafts
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.screens.saving import FormDialog
from backoffice_tui.tui.widgets.choice_field import ChoiceField
from backoffice_tui.tui.widgets.field_row import FieldRow
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

AWAY_DRAFT = "away"

# Adds the delegation (first day, last day, delegate's login); returns its id.
SaveAway = Callable[[date, date, str], int]


class AwayDialog(FormDialog[int | None]):
    """Returns the new delegation's id, or None when cancelled."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="AwayDialog")
        + """
    AwayDialog FieldRow { margin-bottom: 1; }
    AwayDialog FieldRow > Label { width: 26; }
    AwayDialog #outcome { height: auto; color: $error; margin-bottom: 1; }
    AwayDialog Input.-textual-compact:focus { background-tint: $foreground 8%; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="away.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="away.cancel"),
    ]

    def __init__(self, logins: tuple[str, ...], today: date, save: SaveAway) -> None:
        super().__init__()
        self.logins = logins
        self.today = today
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("I am away; my approvals go to someone else meanwhile")
            with FieldRow():
                yield Label("I am away from")
                yield QuietInput(placeholder="YYYY-MM-DD", id="field-from", compact=True)
            with FieldRow():
                yield Label("to (included)")
                yield QuietInput(placeholder="YYYY-MM-DD", id="field-until", compact=True)
            with FieldRow():
                yield Label("my approvals go to")
                yield ChoiceField("My approvals go to", self.logins, required=True, id="field-to")
            yield Static(id="outcome")
            yield Label("enter: next field   ctrl+s: save   escape: cancel", classes="hint")

    def on_mount(self) -> None:
        values = {"from": self.today.isoformat(), "until": "", "to": ""}
        draft = self._drafts().get(AWAY_DRAFT)
        if draft is not None:
            try:
                values.update({str(k): str(v) for k, v in json.loads(draft).items()})
                self.say(Content.styled("your unsaved values are back", "$warning"))
            except (ValueError, AttributeError):
                pass
        for key in ("from", "until"):
            field = self.query_one(f"#field-{key}", Input)
            field.value = values[key]
            field.cursor_position = len(field.value)
        if values["to"] in self.logins:
            self.query_one(ChoiceField).set_reactive(ChoiceField.value, values["to"])
        self.query_one("#field-until", Input).focus()

    def _drafts(self) -> Drafts:
        return workspace_of(self).drafts

    def typed(self) -> dict[str, str]:
        return {
            "from": self.query_one("#field-from", Input).value.strip(),
            "until": self.query_one("#field-until", Input).value.strip(),
            "to": self.query_one(ChoiceField).value,
        }

    @on(Input.Changed)
    @on(ChoiceField.Changed)
    def _keep_draft(self) -> None:
        if self.is_mounted:
            self._drafts().put(AWAY_DRAFT, json.dumps(self.typed(), ensure_ascii=False))

    @on(Input.Submitted)
    @on(ChoiceField.Submitted)
    def _next_field(self) -> None:
        if isinstance(self.focused, ChoiceField) and self.focused.value:
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        if self.saving or self.console.refuse_while_offline():
            return
        typed = self.typed()
        try:
            if not typed["until"]:
                raise InvalidInput("say until which day you are away")
            if not typed["to"]:
                raise InvalidInput("choose who decides your approvals meanwhile")
            starts_on = typed_date(typed["from"], "from") if typed["from"] else self.today
            ends_on = typed_date(typed["until"], "to")
        except InvalidInput as error:
            self.refuse(str(error))
            return
        to_login = typed["to"]
        self.save_with(lambda: self.save(starts_on, ends_on, to_login))

    def saved(self, result: Any) -> None:
        self._drafts().discard(AWAY_DRAFT)
        self.dismiss(result)

    def action_cancel(self) -> None:
        if self.saving:
            return
        self._drafts().discard(AWAY_DRAFT)
        self.dismiss(None)
