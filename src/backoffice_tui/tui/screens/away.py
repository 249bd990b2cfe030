"""The dialog "I am away from D1 to D2; my approvals go to B": it adds a
delegation in a worker, shows a refusal in place and keeps the dates typed
as a draft until the delegation is saved."""

import json
from collections.abc import Callable
from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Static

from backoffice_tui.domain.errors import BackofficeError, DatabaseUnavailable, InvalidInput
from backoffice_tui.tui.drafts import Drafts
from backoffice_tui.tui.screens.application_form import FieldRow
from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.screens.item_edit import typed_date
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.choice_field import ChoiceField
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

AWAY_DRAFT = "away"

# Adds the delegation (first day, last day, delegate's login); returns its id.
SaveAway = Callable[[date, date, str], int]


class AwayDialog(BackofficeDialog[int | None]):
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

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            self.reason = reason
            super().__init__()

    class Saved(Message):
        def __init__(self, delegation_id: int) -> None:
            self.delegation_id = delegation_id
            super().__init__()

    def __init__(self, logins: tuple[str, ...], today: date, save: SaveAway) -> None:
        super().__init__()
        self.logins = logins
        self.today = today
        self.save = save
        self.saving = False

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
                self._say(Content.styled("your unsaved values are back", "$warning"))
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

    def _say(self, text: Content) -> None:
        self.query_one("#outcome", Static).update(text)

    @on(Input.Changed)
    @on(ChoiceField.Changed)
    def _keep_draft(self) -> None:
        if self.is_mounted:
            self._drafts().put(AWAY_DRAFT, json.dumps(self.typed(), ensure_ascii=False))

    @on(Input.Submitted)
    @on(ChoiceField.Chosen)
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
            starts_on = typed_date(typed["from"]) if typed["from"] else self.today
            ends_on = typed_date(typed["until"])
        except InvalidInput as error:
            self._refused(self.Refused(str(error)))
            return
        self.saving = True
        self._say(Content.styled("saving…", "$text-muted"))
        self._save(starts_on, ends_on, typed["to"])

    @work(thread=True, exclusive=True, group="away", exit_on_error=False)
    def _save(self, starts_on: date, ends_on: date, to_login: str) -> None:
        try:
            delegation_id = self.save(starts_on, ends_on, to_login)
        except BackofficeError as error:
            self.post_message(self.Refused(str(error)))
            if isinstance(error, DatabaseUnavailable):
                raise  # the app goes offline
            return
        self.post_message(self.Saved(delegation_id))

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self.saving = False
        self._say(
            Content.assemble(Content.styled("not saved: ", "bold $error"), plain(message.reason))
        )

    def reset_busy(self) -> None:
        if self.saving:
            self.saving = False
            self._say(Content.styled("not saved: ctrl+s tries again", "bold $error"))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self._drafts().discard(AWAY_DRAFT)
        self.dismiss(message.delegation_id)

    def action_cancel(self) -> None:
        if self.saving:
            return
        self._drafts().discard(AWAY_DRAFT)
        self.dismiss(None)
