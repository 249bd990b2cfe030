"""A one-line search box at the bottom of a screen, shown on demand."""

from textual import on
from textual.message import Message
from textual.widgets import Input

from backoffice_tui.tui.widgets.quiet_input import QuietInput


class SearchBox(QuietInput):
    # compact: an Input's border (drawn on focus, and in ASCII mode) would
    # take the one line the box has, and hide what is typed
    DEFAULT_CSS = """
    SearchBox { dock: bottom; display: none; height: 1; padding: 0 1; }
    SearchBox.-shown { display: block; }
    """

    def __init__(self, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=True)

    class Applied(Message):
        """Enter: search for ``text`` (None when the box was emptied)."""

        def __init__(self, text: str | None) -> None:
            self.text = text
            super().__init__()

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    def open(self, text: str | None) -> None:
        self.value = text or ""
        self.add_class("-shown")
        self.focus()

    def close(self) -> None:
        self.remove_class("-shown")

    @on(Input.Submitted)
    def _apply(self, event: Input.Submitted) -> None:
        event.stop()
        self.close()
        self.post_message(self.Applied(event.value.strip() or None))
