"""Exporting what a list shows: ask where to write it (the format from the
file's suffix), write it in a worker with its progress, say what was written."""

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label
from textual.worker import get_current_worker

from backoffice_tui.domain.errors import BackofficeError, InvalidInput
from backoffice_tui.domain.text import counted
from backoffice_tui.io.writers import ExportFormat, write_file
from backoffice_tui.services.exports.rows import ExportTable
from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.path_suggester import PathSuggester
from backoffice_tui.tui.widgets.quiet_input import QuietInput

SUFFIXES = tuple(f".{f.value}" for f in ExportFormat)
PROGRESS_EVERY = 500  # rows between two progress lines
HINT = "enter: write   escape: cancel   .csv .xlsx or .json; right arrow completes"


class ExportCancelled(Exception):
    """Escape while writing: the partial file is removed."""


def suggested_path(name: str, folder: Path | None = None) -> str:
    """``queue-20261207-1730.csv`` in the working folder."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    path = (folder or Path.cwd()) / f"{name}-{stamp}.csv"
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if text.startswith(home + os.sep) else text


def target_of(text: str) -> tuple[Path, ExportFormat]:
    """The file to write and its format, or a one-line reason why not."""
    if not text.strip():
        raise InvalidInput("give the file to write, e.g. queue.csv")
    path = Path(os.path.expanduser(text.strip()))
    if not path.suffix:
        raise InvalidInput(f"cannot tell the format of {path.name}: end it in .csv, .xlsx or .json")
    fmt = ExportFormat.from_path(path)
    if fmt is None:  # refused as the command line refuses it, never written as another format
        raise InvalidInput(f"cannot write {path.name}: exports are .csv, .xlsx or .json")
    if path.exists():
        raise InvalidInput(f"{path} exists; choose another name")
    return path, fmt


class ExportDialog(BackofficeDialog[str | None]):
    """Where to write an export; returns the one-line result (None: cancelled)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ExportDialog") + (
        "ExportDialog #problem { color: $error; margin: 0; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]

    class Progress(Message):
        def __init__(self, written: int) -> None:
            self.written = written
            super().__init__()

    class Finished(Message):
        def __init__(self, result: str | None, problem: str | None) -> None:
            self.result = result
            self.problem = problem
            super().__init__()

    def __init__(
        self,
        title: str,
        make: Callable[[], ExportTable],
        suggested: str,
        total: int | None = None,
    ) -> None:
        """``make`` builds the export (in the worker); ``total`` is how many rows to expect."""
        super().__init__()
        self.title_text = title
        self.make = make
        self.suggested = suggested
        self.total = total
        self.writing = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text))
            yield QuietInput(
                self.suggested, suggester=PathSuggester(SUFFIXES), select_on_focus=False
            )
            yield Label("", id="problem")
            yield Label(HINT, classes="hint", id="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _problem(self, text: str) -> None:
        self.query_one("#problem", Label).update(plain(text))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.writing:
            return
        try:
            path, fmt = target_of(event.value)
        except InvalidInput as error:
            self._problem(str(error))
            return
        self._problem("")
        self.writing = True
        self.query_one(Input).disabled = True
        self.query_one("#hint", Label).update(f"writing {path.name}...   escape: stop")
        self._write(path, fmt)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _write(self, path: Path, fmt: ExportFormat) -> None:
        worker = get_current_worker()

        def counting(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
            for written, row in enumerate(rows, 1):
                if worker.is_cancelled:
                    raise ExportCancelled
                yield row
                if written % PROGRESS_EVERY == 0:
                    self.post_message(self.Progress(written))

        try:
            table = self.make()
            count = write_file(path, fmt, table.title, table.columns, counting(table.rows))
        except ExportCancelled:
            return
        except BackofficeError as error:
            self.post_message(self.Finished(None, str(error)))
            return
        self.post_message(self.Finished(f"Wrote {counted(count, 'row')} to {path}", None))

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        of = f" of {self.total:,}" if self.total else ""
        self.query_one("#hint", Label).update(
            f"writing: {message.written:,}{of} rows...   escape: stop"
        )

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        if message.problem is not None:
            self.writing = False
            self.query_one(Input).disabled = False
            self.query_one(Input).focus()
            self.query_one("#hint", Label).update(HINT)
            self._problem(message.problem)
            return
        self.dismiss(message.result)

    def action_cancel(self) -> None:
        if self.writing:
            self.workers.cancel_group(self, "export")
            self.dismiss("Export stopped; nothing written")
        else:
            self.dismiss(None)


def ask_to_export(
    node: Any, title: str, name: str, make: Callable[[], ExportTable], total: int | None
) -> None:
    """Open the export dialog over ``node``'s screen; the result shows as a toast."""

    def done(result: str | None) -> None:
        if result:
            node.notify(result, markup=False)

    node.app.push_screen(ExportDialog(title, make, suggested_path(name), total), done)
