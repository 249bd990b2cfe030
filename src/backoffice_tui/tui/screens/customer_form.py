"""The customer form: a new customer, or the code, name, reading, segment,
notes and attributes of one being edited.

What is typed is kept as a draft (only the fields changed from what the form
opened with) until the save is committed, and offered the next time the form
opens for the same customer (or for a new one). An edit sends only the
fields that were changed, with the version the form opened on, so a save
never undoes unseen what someone else saved in between: that save is
refused and the form keeps what was typed.
"""

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Input, Label, Static, TextArea

from backoffice_tui.services.customers.records import (
    CustomerChanges,
    NewCustomer,
    add_customer,
    edit_customer,
)
from backoffice_tui.services.customers.search import CustomerDetail
from backoffice_tui.tui.drafts import Drafts
from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.screens.saving import FormScreen
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.field_row import FieldRow
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

# (field, label, placeholder) of the one-line fields, in the order shown
LINES = (
    ("code", "Code *", "unique, e.g. C0123"),
    ("name", "Name *", ""),
    ("reading", "Reading", "kana, optional"),
    ("segment", "Segment", ""),
)
NOTES, ATTRIBUTES = "notes", "attributes"
FIELDS = (*(f for f, _, _ in LINES), NOTES, ATTRIBUTES)


def form_draft(code: str | None) -> str:
    """The draft key of the form for customer ``code`` (None: a new one)."""
    return "customer-new" if code is None else f"customer-edit:{code}"


def attributes_text(attributes: Mapping[str, str]) -> str:
    """Attributes as the form shows them: ``key = value``, one a line."""
    return "\n".join(f"{key} = {value}" for key, value in attributes.items())


def parse_attributes(text: str) -> dict[str, str]:
    """``key = value`` lines back into attributes; blank lines are skipped.
    Raises ValueError naming the first line that is not ``key = value``."""
    attributes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, separator, value = line.partition("=")
        if not separator or not key.strip():
            raise ValueError(f"attributes line {number} is not 'key = value': {line.strip()}")
        attributes[key.strip()] = value.strip()
    return attributes


def starting_values(detail: CustomerDetail | None) -> dict[str, str]:
    if detail is None:
        return dict.fromkeys(FIELDS, "")
    c = detail.customer
    return {
        "code": c.code,
        "name": c.name,
        "reading": c.reading or "",
        "segment": c.segment,
        NOTES: detail.notes,
        ATTRIBUTES: attributes_text(detail.attributes),
    }


class LeaveForm(BackofficeDialog[str | None]):
    """Closing a form with unsaved changes: ``keep`` them as a draft,
    ``drop`` them, or None to go on editing."""

    DEFAULT_CSS = DIALOG_CSS.format(name="LeaveForm")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer('keep')", "Close, keep a draft", id="leave_form.keep"),
        Binding("d", "answer('drop')", "Close, drop changes", id="leave_form.drop"),
        Binding("n,escape", "answer(None)", "Go on editing", id="leave_form.stay"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Close the form without saving?")
            yield Label(
                Content(
                    "y: close, keep what you typed as a draft\nd: close and drop it\n"
                    "n: go on editing"
                ),
                classes="hint",
            )

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class CustomerForm(FormScreen[str | None]):
    """Returns the customer's code once saved, None when closed."""

    DEFAULT_CSS = """
    CustomerForm #intro { padding: 0 1; color: $text-muted; height: 1; }
    CustomerForm VerticalScroll { height: 1fr; padding: 0 1; }
    CustomerForm TextArea { height: 4; }
    CustomerForm #outcome { height: auto; padding: 0 1; }
    CustomerForm Input.-textual-compact:focus { background-tint: $foreground 8%; }
    CustomerForm FieldRow.-tall { height: 4; }
    CustomerForm FieldRow > Label { width: 13; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="customer_form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="customer_form.cancel"),
    ]

    def __init__(self, detail: CustomerDetail | None = None) -> None:
        """A new customer, or one to edit (at ``detail.version``)."""
        super().__init__()
        self.detail = detail
        self.code = detail.customer.code if detail else None
        self.start = starting_values(detail)
        self.draft_key = form_draft(self.code)

    # --- building ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        title = "New customer" if self.code is None else f"Edit customer {self.code}"
        yield AppHeader(title)
        yield Static(
            Content("* required   tab: next field   ctrl+s: save   escape: cancel"), id="intro"
        )
        with VerticalScroll():
            for name, label, placeholder in LINES:
                with FieldRow():
                    yield Label(label)
                    # typing adds to a value rather than replacing it whole
                    yield QuietInput(
                        placeholder=placeholder,
                        id=f"field-{name}",
                        compact=True,
                        select_on_focus=False,
                    )
            with FieldRow(classes="-tall"):
                yield Label("Notes")
                yield self._text_area(NOTES, "")
            with FieldRow(classes="-tall"):
                yield Label("Attributes")
                yield self._text_area(ATTRIBUTES, "key = value, one a line")
        yield Static(id="outcome")
        yield Footer(show_command_palette=False)

    @staticmethod
    def _text_area(name: str, placeholder: str) -> TextArea:
        area = TextArea(id=f"field-{name}", compact=True, placeholder=placeholder)
        area.cursor_blink = False  # quiet terminal: nothing written while nothing changes
        return area

    def on_mount(self) -> None:
        values = dict(self.start)
        restored = self._draft()
        values.update(restored)
        for name, value in values.items():
            editor = self.query_one(f"#field-{name}")
            if isinstance(editor, Input):
                editor.value = value
                editor.cursor_position = len(value)
            elif isinstance(editor, TextArea):
                editor.load_text(value)
        if restored:
            self.say(Content.styled("your unsaved changes are back", "$warning"))
        self.query_one("#field-code" if self.code is None else "#field-name").focus()

    def _draft(self) -> dict[str, str]:
        text = self._drafts().get(self.draft_key)
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items() if k in FIELDS}

    # --- what was typed ----------------------------------------------------------------

    def values(self) -> dict[str, str]:
        """Every field as typed."""
        values = {}
        for name in FIELDS:
            editor = self.query_one(f"#field-{name}")
            if isinstance(editor, TextArea):
                values[name] = editor.text
            else:
                values[name] = self.query_one(f"#field-{name}", Input).value
        return values

    def changed(self) -> dict[str, str]:
        """The fields typed differently from what the form opened with."""
        return {k: v for k, v in self.values().items() if v != self.start[k]}

    def _drafts(self) -> Drafts:
        return workspace_of(self).drafts

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _keep_draft(self) -> None:
        if not self.is_mounted:
            return
        changed = self.changed()
        if changed:
            self._drafts().put(self.draft_key, json.dumps(changed, ensure_ascii=False))
        else:
            self._drafts().discard(self.draft_key)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    # --- saving -----------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving or self.console.refuse_while_offline():
            return
        changed = self.changed()
        if self.code is not None and not changed:
            self.say(Content.styled("nothing changed; escape closes the form", "$text-muted"))
            return
        try:
            attributes = parse_attributes(self.values()[ATTRIBUTES])
        except ValueError as error:
            self.refuse(str(error))
            self.query_one(f"#field-{ATTRIBUTES}").focus()
            return
        ctx = workspace_of(self).context()
        detail = self.detail
        if detail is None:
            new = self._new_customer(attributes)
            self.save_with(lambda: add_customer(ctx, new).code)
        else:
            changes = self._changes(changed, attributes)
            self.save_with(
                lambda: edit_customer(ctx, detail.customer.code, changes, detail.version).code
            )

    def _new_customer(self, attributes: dict[str, str]) -> NewCustomer:
        values = self.values()
        return NewCustomer(
            code=values["code"],
            name=values["name"],
            reading=values["reading"],
            segment=values["segment"],
            notes=values[NOTES],
            attributes=attributes,
        )

    @staticmethod
    def _changes(changed: Mapping[str, str], attributes: dict[str, str]) -> CustomerChanges:
        return CustomerChanges(
            code=changed.get("code"),
            name=changed.get("name"),
            reading=changed.get("reading"),
            segment=changed.get("segment"),
            notes=changed.get(NOTES),
            attributes=attributes if ATTRIBUTES in changed else None,
        )

    def saved(self, result: Any) -> None:
        self._drafts().discard(self.draft_key)
        self.dismiss(result)

    def action_cancel(self) -> None:
        if self.saving:
            return
        if not self.changed():
            self.dismiss(None)
            return

        def answered(answer: str | None) -> None:
            if answer == "drop":
                self._drafts().discard(self.draft_key)
            if answer is not None:
                self.dismiss(None)

        self.app.push_screen(LeaveForm(), answered)
