"""A form field whose value is one of a fixed list: space (or enter while
it is empty) opens the list; enter on a chosen value moves on, as in a text
field, so that choosing never moves the cursor by itself."""

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from backoffice_tui.tui.screens.dialogs import PickOne
from backoffice_tui.tui.text import plain

_NONE = "\x00none"  # the "leave it empty" entry of an optional field's list


class ChoiceField(Widget, can_focus=True):
    """Shows the chosen value (or a prompt); space picks another."""

    DEFAULT_CSS = """
    ChoiceField { height: 1; width: 1fr; background: $surface; }
    ChoiceField:focus { background-tint: $foreground 5%; text-style: bold; }
    ChoiceField.-invalid { background-tint: $error 20%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "choose", "Choose", id="form.choose"),
        Binding("enter", "enter", "Choose / next", id="form.choose_or_next", show=False),
    ]

    value: reactive[str] = reactive("")

    class Changed(Message):
        def __init__(self, field: "ChoiceField", value: str) -> None:
            self.field = field
            self.value = value
            super().__init__()

        @property
        def control(self) -> "ChoiceField":
            return self.field

    class Submitted(Message):
        """Enter on a chosen value: the form moves on (or saves on its last field)."""

        def __init__(self, field: "ChoiceField") -> None:
            self.field = field
            super().__init__()

        @property
        def control(self) -> "ChoiceField":
            return self.field

    class Chosen(Message):
        """A value was picked from the list (not set by the program)."""

        def __init__(self, field: "ChoiceField") -> None:
            self.field = field
            super().__init__()

        @property
        def control(self) -> "ChoiceField":
            return self.field

    def __init__(
        self,
        title: str,
        choices: tuple[str, ...],
        *,
        required: bool,
        value: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.title = title
        self.choices = choices
        self.required = required
        self.set_reactive(ChoiceField.value, value)

    def render(self) -> Content:
        if self.value:
            return plain(self.value)
        return Content.styled("enter: choose", "$text-muted")

    def action_enter(self) -> None:
        if self.value:
            self.post_message(self.Submitted(self))
        else:
            self.action_choose()

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

    def action_choose(self) -> None:
        entries = [(choice, choice) for choice in self.choices]
        if not self.required:
            entries.append((_NONE, "(leave empty)"))

        def picked(choice: str | None) -> None:
            if choice is None:
                return
            self.value = "" if choice == _NONE else choice
            self.post_message(self.Chosen(self))

        self.app.push_screen(PickOne(self.title, entries, self.value or None), picked)
