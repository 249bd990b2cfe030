"""The form of an application: one line per field, checked before it is sent.

Used to file a new application and to correct one that was sent back.
Every value typed is kept as a draft until the save is committed, so a
refused save or a crash loses nothing; problems are shown under the field
they concern, one line each.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Static

from backoffice_tui.domain.application_kinds import (
    ApplicationKindSpec,
    FieldSpec,
    check_fields,
)
from backoffice_tui.tui.drafts import Drafts
from backoffice_tui.tui.screens.dialogs import Confirm
from backoffice_tui.tui.screens.saving import FormScreen
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.choice_field import ChoiceField
from backoffice_tui.tui.widgets.field_row import FieldRow
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

COMMENT = "comment"  # the id of the optional remark row when resubmitting
PLACEHOLDERS = {"date": "YYYY-MM-DD", "number": "a number", "integer": "a whole number", "text": ""}

# Sends the values (and the remark) and returns the application's id.
Save = Callable[[dict[str, str], str], int]


@dataclass(frozen=True)
class FormSpec:
    """What the form asks for, where its draft is kept and how it is saved."""

    title: str  # "New application: Staff ID card re-issue"
    kind: ApplicationKindSpec  # the fields (and the code, for messages)
    draft_key: str
    save: Save
    values: Mapping[str, str] | None = None  # the starting values (a correction)
    ask_comment: bool = False


class ApplicationForm(FormScreen[int | None]):
    """Returns the application's id once saved, None when cancelled."""

    DEFAULT_CSS = """
    ApplicationForm #intro { padding: 0 1; color: $text-muted; height: auto; }
    ApplicationForm VerticalScroll { height: 1fr; padding: 0 0 0 1; }
    ApplicationForm .problem {
        color: $error; padding: 0 0 0 31; height: 1; display: none;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    ApplicationForm .problem.-shown { display: block; }
    ApplicationForm #outcome { height: auto; padding: 0 1; color: $error; }
    ApplicationForm Input.-textual-compact:focus { background-tint: $foreground 8%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, form: FormSpec) -> None:
        super().__init__()
        self.form = form
        self._restored = False

    # --- building ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield AppHeader(self.form.title)
        yield Static(self._intro(), id="intro")
        with VerticalScroll():
            for field in self.form.kind.fields:
                with FieldRow():
                    mark = " *" if field.required else ""
                    yield Label(plain(f"{field.label}{mark}"))
                    yield self._editor(field)
                yield Static(classes="problem", id=f"problem-{field.key}")
            if self.form.ask_comment:
                with FieldRow():
                    yield Label("Remark to the approvers")
                    yield QuietInput(placeholder="optional", id=f"field-{COMMENT}", compact=True)
        yield Static(id="outcome")
        yield Footer(show_command_palette=False)

    def _intro(self) -> Content:
        description = self.form.kind.description
        lines = [plain(description)] if description else []
        lines.append(Content("* required   enter: next field   ctrl+s: save   escape: cancel"))
        return Content("\n").join(lines)

    @staticmethod
    def _editor(field: FieldSpec) -> Widget:
        if field.type == "choice":
            return ChoiceField(
                field.label, field.choices, required=field.required, id=f"field-{field.key}"
            )
        return QuietInput(
            placeholder=PLACEHOLDERS.get(field.type, "")
            + (" (required)" if field.required and field.type == "text" else ""),
            id=f"field-{field.key}",
            compact=True,
        )

    def on_mount(self) -> None:
        values = dict(self.form.values or {})
        draft = self._drafts().get(self.form.draft_key)
        if draft is not None:
            try:
                values.update({str(k): str(v) for k, v in json.loads(draft).items()})
                self._restored = True
            except (ValueError, AttributeError):
                pass
        self._fill(values)
        if self._restored:
            self.say(Content.styled("your unsaved values are back", "$warning"))
        editors = list(self._editors().values())
        if editors:
            editors[0].focus()

    def _fill(self, values: Mapping[str, str]) -> None:
        for key, editor in self._editors().items():
            value = values.get(key, "")
            if isinstance(editor, ChoiceField):
                editor.set_reactive(ChoiceField.value, value)
                editor.refresh()
            elif isinstance(editor, Input):
                editor.value = value
                editor.cursor_position = len(value)

    # --- reading and keeping what was typed --------------------------------------------

    def _editors(self) -> dict[str, Input | ChoiceField]:
        keys = [f.key for f in self.form.kind.fields]
        if self.form.ask_comment:
            keys.append(COMMENT)
        editors: dict[str, Input | ChoiceField] = {}
        for key in keys:
            editor = self.query_one(f"#field-{key}")
            assert isinstance(editor, Input | ChoiceField)
            editors[key] = editor
        return editors

    def values(self) -> dict[str, str]:
        """Everything typed, by field key (the remark under ``comment``)."""
        return {key: str(editor.value) for key, editor in self._editors().items()}

    def _drafts(self) -> Drafts:
        return workspace_of(self).drafts

    def _changed_from_start(self) -> bool:
        start = self.form.values or {}
        return any(value != start.get(key, "") for key, value in self.values().items())

    @on(Input.Changed)
    @on(ChoiceField.Changed)
    def _keep_draft(self) -> None:
        if not self.is_mounted:
            return
        if self._changed_from_start():
            self._drafts().put(self.form.draft_key, json.dumps(self.values(), ensure_ascii=False))
        else:
            self._drafts().discard(self.form.draft_key)

    @on(Input.Submitted)
    @on(ChoiceField.Submitted)
    def _next_field(self) -> None:
        editors = list(self._editors().values())
        if editors and self.focused is editors[-1]:
            self.action_save()
        else:
            self.focus_next()

    # --- checking and saving ----------------------------------------------------------

    def _show_problems(self, problems: Mapping[str, str]) -> None:
        for key, editor in self._editors().items():
            editor.set_class(key in problems, "-invalid")
        for field in self.form.kind.fields:
            line = self.query_one(f"#problem-{field.key}", Static)
            line.update(plain(problems.get(field.key, "")))
            line.set_class(field.key in problems, "-shown")

    def action_save(self) -> None:
        if self.saving:
            return
        if self.console.refuse_while_offline():
            return
        typed = self.values()
        comment = typed.pop(COMMENT, "").strip() if self.form.ask_comment else ""
        _, problems = check_fields(self.form.kind, typed)
        self._show_problems(problems)
        if problems:
            count = len(problems)
            self.say(
                Content.styled(
                    f"{count} field{'s' if count != 1 else ''} to put right before saving",
                    "bold $error",
                )
            )
            first = next(k for k in self._editors() if k in problems)
            self._editors()[first].focus()
            return
        self.save_with(lambda: self.form.save(typed, comment))

    def saved(self, result: Any) -> None:
        self._drafts().discard(self.form.draft_key)
        self.dismiss(result)

    def action_cancel(self) -> None:
        if self.saving:
            return
        if not self._changed_from_start():
            self._drafts().discard(self.form.draft_key)
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._drafts().discard(self.form.draft_key)
                self.dismiss(None)

        self.app.push_screen(Confirm("Discard what you typed in this form?"), answered)
