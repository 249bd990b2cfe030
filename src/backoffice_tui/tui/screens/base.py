"""The base of every screen and dialog of the console.

A worker that fails ends in the app's one handler (a one-line notification,
the traceback of an unexpected error in the log), and the screen gets back
out of what it was busy with: each screen says what that means in
``reset_busy``. The console the screen runs in is ``self.console``.
"""

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from backoffice_tui.tui.worker_errors import pass_failure_on
from backoffice_tui.tui.workspace import ConsoleApp, console_of

ResultT = TypeVar("ResultT")


class BackofficeScreen(Screen[ResultT]):
    """The base of every screen of the console."""

    @property
    def console(self) -> ConsoleApp:
        return console_of(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if pass_failure_on(self, event):
            self.reset_busy()

    def reset_busy(self) -> None:
        """A worker of this screen failed: undo whatever says it is still
        working (a "checking …" line, a flag that refuses the next try), so
        the screen can be used again."""


# ModalScreen first: Textual inherits DEFAULT_CSS along the first DOMNode base
# only, and a dialog needs ModalScreen's see-through background.
class BackofficeDialog(ModalScreen[ResultT], BackofficeScreen[ResultT]):
    """The base of the console's modal dialogs."""

    # a dialog stops the app's keys: ctrl+c (with nothing selected) closes it as escape does
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "app.help_quit", "Close", id="dialog.ctrl_c", show=False)
    ]
