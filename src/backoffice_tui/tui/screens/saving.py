"""Saving a form in a worker, as every form of the console does: one save
at a time, "saving…" meanwhile, a refusal said on the form's ``#outcome``
line with everything typed left as it is, and the form's ``saved`` once the
service has written it."""

from collections.abc import Callable
from typing import Any, TypeVar

from textual import work
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from backoffice_tui.domain.errors import BackofficeError, DatabaseUnavailable
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.text import plain

ResultT = TypeVar("ResultT")


class FormScreen(BackofficeScreen[ResultT]):
    """A form: ``save_with(call)`` runs ``call`` (a service call) in a worker
    and hands what it returns to ``saved``."""

    saving = False

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            self.reason = reason
            super().__init__()

    class Written(Message):
        def __init__(self, result: Any) -> None:
            self.result = result
            super().__init__()

    def say(self, text: Content) -> None:
        self.query_one("#outcome", Static).update(text)

    def refuse(self, reason: str) -> None:
        """Say why the form was not saved (by a check of its own or by the service)."""
        self.saving = False
        self.say(Content.assemble(Content.styled("not saved: ", "bold $error"), plain(reason)))

    def save_with(self, call: Callable[[], object]) -> None:
        self.saving = True
        self.say(Content.styled("saving…", "$text-muted"))
        self._save_in_worker(call)

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def _save_in_worker(self, call: Callable[[], object]) -> None:
        try:
            result = call()
        except BackofficeError as error:
            self.post_message(self.Refused(str(error)))
            if isinstance(error, DatabaseUnavailable):
                raise  # the app goes offline
            return
        self.post_message(self.Written(result))

    def on_form_screen_refused(self, message: Refused) -> None:
        self.refuse(message.reason)

    def on_form_screen_written(self, message: Written) -> None:
        self.saving = False
        self.saved(message.result)

    def saved(self, result: Any) -> None:
        """The service wrote what the form holds; ``result`` is what it returned."""
        raise NotImplementedError

    def reset_busy(self) -> None:
        if self.saving:  # the save stopped on an error, said in a notification
            self.saving = False
            self.say(Content.styled("not saved: ctrl+s tries again", "bold $error"))


# ModalScreen first, as for BackofficeDialog: its DEFAULT_CSS is the one inherited.
class FormDialog(ModalScreen[ResultT], FormScreen[ResultT]):
    """A form shown as a dialog."""
