"""The new-order form: a customer found by search, the proposed code, dates,
the sales owner, a title, the priority and one service per line.

What is typed is kept as a draft until the order is saved, so closing the
form, a refused save or a crash loses nothing. The save runs in a worker;
a refusal is one line under the fields.
"""

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Input, Label, Select, Static

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.values import typed_date
from backoffice_tui.services.customers.search import CustomerRow, list_customers
from backoffice_tui.services.work.order_codes import propose_order_code
from backoffice_tui.services.work.order_read import ServiceChoice, owner_choices, service_choices
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.tui.drafts import Drafts
from backoffice_tui.tui.screens.dialogs import Confirm, PickOne
from backoffice_tui.tui.screens.saving import FormScreen
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.choice_field import ChoiceField
from backoffice_tui.tui.widgets.field_row import FieldRow
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

DRAFT_KEY = "order-form"
MATCHES = 20  # customers offered for one search
TEXT_FIELDS = ("customer", "code", "received", "requested", "title", "priority")


@dataclass(frozen=True)
class SavedOrder:
    """What the form returns once the order is saved."""

    code: str
    customer: str


def optional_date(text: str, what: str) -> date | None:
    return typed_date(text, what) if text.strip() else None


class OrderForm(FormScreen[SavedOrder | None]):
    """Returns the saved order, None when cancelled."""

    DEFAULT_CSS = """
    OrderForm #intro { padding: 0 1; color: $text-muted; height: auto; }
    OrderForm VerticalScroll { height: 1fr; padding: 0 0 0 1; }
    OrderForm #lines { height: auto; }
    OrderForm #outcome { height: auto; padding: 0 1; }
    OrderForm Input.-textual-compact:focus { background-tint: $foreground 8%; }
    OrderForm FieldRow > Label { width: 18; }
    OrderForm FieldRow > #customer-name { width: 1fr; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="order_form.save", priority=True),
        Binding("ctrl+n", "add_line", "Add line", id="order_form.add_line", priority=True),
        Binding("ctrl+r", "remove_line", "Remove line", id="order_form.remove_line"),
        Binding("escape", "cancel", "Cancel", id="order_form.cancel"),
    ]

    class ChoicesLoaded(Message):
        def __init__(self, services: list[ServiceChoice], owners: list[str]) -> None:
            self.services = services
            self.owners = owners
            super().__init__()

    class CustomersFound(Message):
        def __init__(self, rows: list[CustomerRow]) -> None:
            self.rows = rows
            super().__init__()

    class CodeProposed(Message):
        def __init__(self, code: str) -> None:
            self.code = code
            super().__init__()

    def __init__(self, customer: str | None = None) -> None:
        super().__init__()
        self.start_customer = customer or ""
        self.customer_code = ""  # the customer picked from the matches
        self.customer_name = ""
        self.services: list[ServiceChoice] = []
        self.proposed = ""  # the code last proposed: replaced while nobody edits it
        self._start: dict[str, Any] = {}
        self._line_count = 0

    # --- building ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield AppHeader("New order")
        yield Static(
            "customer: type, enter picks   ctrl+n/ctrl+r: add/remove line   ctrl+s: save",
            id="intro",
        )
        with VerticalScroll():
            with FieldRow():
                yield Label("Customer *")
                yield QuietInput(placeholder="code or name", id="field-customer", compact=True)
                yield Static(id="customer-name")
            for key, label, placeholder in (
                ("code", "Order code *", "proposed once the customer is chosen"),
                ("received", "Received *", "YYYY-MM-DD"),
                ("requested", "Requested", "YYYY-MM-DD"),
            ):
                with FieldRow():
                    yield Label(label)
                    yield QuietInput(placeholder=placeholder, id=f"field-{key}", compact=True)
            with FieldRow():
                yield Label("Sales owner")
                yield ChoiceField("Sales owner", (), required=False, id="field-owner")
            with FieldRow():
                yield Label("Title")
                yield QuietInput(id="field-title", compact=True)
            with FieldRow():
                yield Label("Priority *")
                yield QuietInput(placeholder="1 urgent … 4 low", id="field-priority", compact=True)
            yield Vertical(id="lines")
        yield Static(id="outcome")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        workspace = workspace_of(self)
        self._start = {
            "customer": self.start_customer,
            "code": "",
            "received": workspace.today().isoformat(),
            "requested": "",
            "owner": workspace.actor.login,
            "title": "",
            "priority": "3",
            "lines": [""],
        }
        values = dict(self._start)
        restored = False
        draft = self._drafts().get(DRAFT_KEY)
        if draft is not None:
            try:
                values.update(json.loads(draft))
                restored = True
            except (ValueError, TypeError):
                pass
        self._fill(values)
        if restored:
            self.say(Content.styled("your unsaved order is back", "$warning"))
        self.query_one("#field-customer", Input).focus()
        self._load_choices()
        if self.customer_code and not self.customer_name:
            self._search_customers(self.customer_code)  # its name, then the code
        elif self.customer_code:
            self._propose_code()

    def _fill(self, values: dict[str, Any]) -> None:
        for key in TEXT_FIELDS:
            field = self.query_one(f"#field-{key}", Input)
            field.value = str(values.get(key, ""))
            field.cursor_position = len(field.value)
        owner = self.query_one("#field-owner", ChoiceField)
        owner.set_reactive(ChoiceField.value, str(values.get("owner", "")))
        owner.refresh()
        self.customer_code = str(values.get("picked", values.get("customer", "")))
        self.customer_name = str(values.get("customer_name", ""))
        self.proposed = str(values.get("proposed", ""))
        self._show_customer()
        lines = values.get("lines") or [""]
        for service in lines if isinstance(lines, list) else [""]:
            self._add_line(str(service))

    def _add_line(self, service: str = "") -> Select[str]:
        self._line_count += 1
        options = [(c.label, c.code) for c in self.services]
        if service and service not in {c.code for c in self.services}:
            options.append((service, service))  # until the services are read
        select: Select[str] = Select(
            options,
            prompt="enter: choose a service",
            value=service or Select.NULL,
            id=f"line-{self._line_count}",
            compact=True,
        )
        row = FieldRow(Label(""), select, classes="line")
        self.query_one("#lines", Vertical).mount(row)
        self.call_after_refresh(self._number_lines)
        return select

    def _number_lines(self) -> None:
        for number, row in enumerate(self.query(".line").results(FieldRow), start=1):
            row.query_one(Label).update(f"Line {number} *")

    # --- reading what is typed ---------------------------------------------------------

    def _text(self, key: str) -> str:
        return self.query_one(f"#field-{key}", Input).value

    def _line_selects(self) -> list[Select[str]]:
        return [row.query_one(Select) for row in self.query(".line").results(FieldRow)]

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {key: self._text(key) for key in TEXT_FIELDS}
        values["owner"] = self.query_one("#field-owner", ChoiceField).value
        values["lines"] = [
            select.value if isinstance(select.value, str) else "" for select in self._line_selects()
        ]
        return values

    def _drafts(self) -> Drafts:
        return workspace_of(self).drafts

    def _changed_from_start(self) -> bool:
        values = self.values()
        values["code"] = "" if values["code"] == self.proposed else values["code"]
        return values != self._start

    @on(Input.Changed)
    @on(ChoiceField.Changed)
    @on(Select.Changed)
    def _keep_draft(self) -> None:
        if not self.is_mounted or not self._start:
            return
        if self._changed_from_start():
            draft = self.values() | {
                "picked": self.customer_code,
                "customer_name": self.customer_name,
                "proposed": self.proposed,
            }
            self._drafts().put(DRAFT_KEY, json.dumps(draft, ensure_ascii=False))
        else:
            self._drafts().discard(DRAFT_KEY)

    # --- the choices ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="order-form-choices", exit_on_error=False)
    def _load_choices(self) -> None:
        db = workspace_of(self).db
        owners = [login for login, _ in owner_choices(db)]
        self.post_message(self.ChoicesLoaded(service_choices(db), owners))

    @on(ChoicesLoaded)
    def _choices_loaded(self, message: ChoicesLoaded) -> None:
        self.services = message.services
        self.query_one("#field-owner", ChoiceField).choices = tuple(message.owners)
        options = [(c.label, c.code) for c in self.services]
        for select in self._line_selects():
            chosen = select.value
            with select.prevent(Select.Changed):
                select.set_options(options)
                if isinstance(chosen, str) and chosen in {c.code for c in self.services}:
                    select.value = chosen

    # --- the customer -----------------------------------------------------------------

    def _show_customer(self) -> None:
        typed = self._text("customer").strip()
        picked = bool(self.customer_code) and typed == self.customer_code
        self.query_one("#customer-name", Static).update(
            plain(self.customer_name) if picked else Content.styled("enter: pick", "$text-muted")
        )

    @on(Input.Changed, "#field-customer")
    def _customer_typed(self) -> None:
        self._show_customer()

    def _find_customer(self, text: str) -> None:
        if text and text == self.customer_code:
            self.focus_next()
        else:
            self._search_customers(text)

    @work(thread=True, exclusive=True, group="order-form-customers", exit_on_error=False)
    def _search_customers(self, text: str) -> None:
        rows = list_customers(workspace_of(self).db, text or None, MATCHES)
        self.post_message(self.CustomersFound(rows))

    @on(CustomersFound)
    def _customers_found(self, message: CustomersFound) -> None:
        rows = message.rows
        typed = self._text("customer").strip()
        exact = [row for row in rows if row.code == typed]
        if exact or len(rows) == 1:
            self._pick_customer((exact or rows)[0])
            return
        if not rows:
            self.say(plain(f"no customer matches {typed!r}"))
            return
        by_code = {row.code: row for row in rows}

        def picked(code: str | None) -> None:
            if code is not None:
                self._pick_customer(by_code[code])

        choices = [(row.code, f"{row.code}  {row.name}") for row in rows]
        self.app.push_screen(PickOne(f"Customers matching {typed!r}", choices), picked)

    def _pick_customer(self, row: CustomerRow) -> None:
        self.customer_code, self.customer_name = row.code, row.name
        field = self.query_one("#field-customer", Input)
        field.value = row.code
        field.cursor_position = len(row.code)
        self._show_customer()
        self.say(Content(""))
        self._propose_code()
        self.query_one("#field-code", Input).focus()

    # --- the proposed code ------------------------------------------------------------

    @on(Input.Changed, "#field-received")
    def _received_changed(self) -> None:
        if self.customer_code and self._code_untouched():
            self._propose_code()

    def _code_untouched(self) -> bool:
        return self._text("code") in ("", self.proposed)

    def _propose_code(self) -> None:
        try:
            received = optional_date(self._text("received"), "received")
        except InvalidInput:
            return
        day = received or workspace_of(self).today()
        self._propose(self.customer_code, day)

    @work(thread=True, exclusive=True, group="order-form-code", exit_on_error=False)
    def _propose(self, customer: str, day: date) -> None:
        workspace = workspace_of(self)
        try:
            code = propose_order_code(
                workspace.db, workspace.settings.order_code_pattern, customer, day
            )
        except InvalidInput as error:
            self.post_message(self.Refused(str(error)))
            return
        self.post_message(self.CodeProposed(code))

    @on(CodeProposed)
    def _code_proposed(self, message: CodeProposed) -> None:
        if not self._code_untouched():
            return
        self.proposed = message.code
        field = self.query_one("#field-code", Input)
        field.value = message.code
        field.cursor_position = len(message.code)

    # --- lines ------------------------------------------------------------------------

    def action_add_line(self) -> None:
        self._add_line().focus()

    def action_remove_line(self) -> None:
        rows = list(self.query(".line").results(FieldRow))
        if len(rows) <= 1:
            self.say(Content.styled("an order needs at least one line", "$warning"))
            return
        focused = next((row for row in rows if row.has_focus_within), rows[-1])
        focused.remove()
        self.call_after_refresh(self._number_lines)
        self.call_after_refresh(self._keep_draft)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "field-customer":
            self._find_customer(event.value.strip())
        else:
            self.focus_next()

    @on(ChoiceField.Submitted)
    def _past_choice(self) -> None:
        self.focus_next()

    # --- saving -----------------------------------------------------------------------

    def _new_order(self) -> NewOrder:
        values = self.values()
        customer = values["customer"].strip()
        if not customer:
            raise InvalidInput("choose the customer: type a code or name, then enter")
        priority = values["priority"].strip()
        if priority not in ("1", "2", "3", "4"):
            raise InvalidInput(f"priority {priority!r}: use 1 (urgent) to 4 (low)")
        services = tuple(values["lines"])
        if not services or "" in services:
            raise InvalidInput("choose a service on every line (ctrl+r removes one)")
        return NewOrder(
            code=values["code"].strip(),
            customer_code=customer,
            services=services,
            received_on=optional_date(values["received"], "received"),
            requested_on=optional_date(values["requested"], "requested"),
            sales_owner=values["owner"] or None,
            priority=int(priority),
            title=values["title"].strip(),
        )

    def action_save(self) -> None:
        if self.saving or self.console.refuse_while_offline():
            return
        try:
            new = self._new_order()
        except InvalidInput as error:
            self.refuse(str(error))
            return
        context = workspace_of(self).context()

        def save() -> SavedOrder:
            create_order(context, new)
            return SavedOrder(new.code, new.customer_code)

        self.save_with(save)

    def saved(self, result: Any) -> None:
        self._drafts().discard(DRAFT_KEY)
        self.dismiss(result)

    def action_cancel(self) -> None:
        if self.saving:
            return
        if not self._changed_from_start():
            self._drafts().discard(DRAFT_KEY)
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._drafts().discard(DRAFT_KEY)
                self.dismiss(None)

        self.app.push_screen(Confirm("Discard the order you typed?"), answered)
