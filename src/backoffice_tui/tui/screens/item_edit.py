"""The dialog that changes a step's due date, priority and title, with a
reason: for one work item (starting from its values) or for every tagged
one (blank fields are left as they are).

It saves in a worker; a refusal (a stale version, a missing reason) is
shown in the dialog and what was typed stays, also as a draft on disk.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
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
from backoffice_tui.services.work.bulk import ItemOutcome
from backoffice_tui.tui.drafts import Drafts
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.screens.saving import FormDialog
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.field_row import FieldRow
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

FIELDS = ("due", "priority", "title", "reason")
LABELS = {"due": "Due date", "priority": "Priority 1-4", "title": "Title", "reason": "Reason *"}


@dataclass(frozen=True)
class EditRequest:
    """What the operator asked to change (None: leave it) and why."""

    due_on: date | None
    priority: int | None
    title: str | None
    reason: str


# Saves the request: the outcome of each item, or raises the one refusal.
SaveEdit = Callable[[EditRequest], list[ItemOutcome]]


def read_request(typed: dict[str, str], start: dict[str, str]) -> EditRequest:
    """What changed from ``start``, parsed; InvalidInput for a bad value."""

    def changed(key: str) -> str | None:
        value = typed[key].strip()
        return None if value == start.get(key, "").strip() else value

    due, priority, title = changed("due"), changed("priority"), changed("title")
    if priority is not None and not priority.isdigit():
        raise InvalidInput(f"priority is a number from 1 to 4, not {priority!r}")
    return EditRequest(
        due_on=typed_date(due, "due") if due else None,
        priority=int(priority) if priority else None,
        title=title,
        reason=typed["reason"].strip(),
    )


class EditItemDialog(FormDialog[list[ItemOutcome] | None]):
    """Returns the outcome of each item once saved, None when cancelled."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="EditItemDialog")
        + """
    EditItemDialog > Vertical { width: 72; }
    EditItemDialog FieldRow { margin-bottom: 1; }
    EditItemDialog FieldRow > Label { width: 15; }
    EditItemDialog #outcome { height: auto; color: $error; margin-bottom: 1; }
    EditItemDialog Input.-textual-compact:focus { background-tint: $foreground 8%; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="item_edit.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="item_edit.cancel"),
    ]

    def __init__(
        self, title: str, save: SaveEdit, draft_key: str, start: dict[str, str] | None = None
    ) -> None:
        """``start``: the item's due date, priority and title as text (one
        item); without it every field starts blank (tagged items)."""
        super().__init__()
        self.title_text = title
        self.save = save
        self.draft_key = draft_key
        self.start = start or {}

    def compose(self) -> ComposeResult:
        blank = "blank: leave as it is"
        placeholders = {
            "due": "YYYY-MM-DD" if self.start else f"YYYY-MM-DD; {blank}",
            "priority": "1 most urgent .. 4" if self.start else f"1..4; {blank}",
            "title": "blank: the step's name" if self.start else blank,
            "reason": "why (required; kept in the history)",
        }
        with Vertical():
            yield Label(plain(self.title_text))
            for key in FIELDS:
                with FieldRow():
                    yield Label(LABELS[key])
                    yield QuietInput(placeholder=placeholders[key], id=f"field-{key}", compact=True)
            yield Static(id="outcome")
            yield Label(
                "enter: next field   ctrl+s: save   escape: cancel", classes="hint", id="hint"
            )

    def on_mount(self) -> None:
        values = dict(self.start)
        draft = self._drafts().get(self.draft_key)
        restored = False
        if draft is not None:
            try:
                values.update({str(k): str(v) for k, v in json.loads(draft).items()})
                restored = True
            except (ValueError, AttributeError):
                pass
        for key, editor in self._editors().items():
            editor.value = values.get(key, "")
            editor.cursor_position = len(editor.value)
        if restored:
            self.say(Content.styled("your unsaved values are back", "$warning"))
        self._editors()["reason" if self.start else "due"].focus()

    def _editors(self) -> dict[str, Input]:
        return {key: self.query_one(f"#field-{key}", Input) for key in FIELDS}

    def typed(self) -> dict[str, str]:
        return {key: editor.value for key, editor in self._editors().items()}

    def _drafts(self) -> Drafts:
        return workspace_of(self).drafts

    @on(Input.Changed)
    def _keep_draft(self) -> None:
        if not self.is_mounted:
            return
        typed = self.typed()
        if any(typed[k].strip() != self.start.get(k, "").strip() for k in FIELDS):
            self._drafts().put(self.draft_key, json.dumps(typed, ensure_ascii=False))
        else:
            self._drafts().discard(self.draft_key)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        if self.focused is self._editors()["reason"]:
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        if self.saving or self.console.refuse_while_offline():
            return
        try:
            request = read_request(self.typed(), self.start)
        except InvalidInput as error:
            self.refuse(str(error))
            return
        self.save_with(lambda: self.save(request))

    def saved(self, result: Any) -> None:
        self._drafts().discard(self.draft_key)
        self.dismiss(result)

    def action_cancel(self) -> None:
        if self.saving:
            return
        self._drafts().discard(self.draft_key)
        self.dismiss(None)
