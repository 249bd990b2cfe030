"""Importing a spreadsheet from the console: pick a file, what it holds and
(optionally) a mapping file, read the dry-run report, then apply it with y
(or leave with escape); ctrl+s saves the mapping the check used beside the
file, to edit and use next time."""

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.io.importing import PreparedImport, prepare_import
from backoffice_tui.io.report_text import report_lines
from backoffice_tui.services.imports import (
    ImportOptions,
    ImportRejected,
    ImportReport,
    RecordKind,
    check_import,
    run_import,
)
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.text import plain, plain_lines
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.path_suggester import PathSuggester
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

KINDS = [
    (RecordKind.WORK_ITEMS, "Work item changes (from an export of the queue)"),
    (RecordKind.CUSTOMERS, "Customers"),
    (RecordKind.ORDERS, "Orders"),
    (RecordKind.EVENTS, "A log: one row per change, onto the timeline"),
]


class ImportScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    ImportScreen #path { margin: 1 1 0 1; }
    ImportScreen #mapping { margin: 0 1; }
    ImportScreen #kind { height: auto; max-height: 5; border: none; margin: 0 1; }
    ImportScreen #kind:focus { border: none; }
    ImportScreen #hint { height: 1; color: $text-muted; padding: 0 2; }
    ImportScreen #report-box { height: 1fr; margin: 0 1; padding: 0 1; }
    ImportScreen #report { width: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "apply", "Apply", id="import.apply"),
        Binding("ctrl+s", "save_mapping", "Save mapping", id="import.save_mapping"),
        Binding("escape", "back", "Back", id="screen.back"),
    ]

    class Checked(Message):
        def __init__(
            self, prepared: PreparedImport, report: ImportReport, mapping_text: str | None
        ) -> None:
            self.prepared = prepared
            self.report = report
            self.mapping_text = mapping_text
            super().__init__()

    class Applied(Message):
        def __init__(self, prepared: PreparedImport, report: ImportReport) -> None:
            self.prepared = prepared
            self.report = report
            super().__init__()

    class Failed(Message):
        def __init__(self, lines: list[str]) -> None:
            self.report_lines = lines
            super().__init__()

    def __init__(self, path: str = "", kind: RecordKind = RecordKind.WORK_ITEMS) -> None:
        super().__init__()
        self.initial_path = path
        self.kind = kind
        self.shown_lines: list[str] = []
        self.ready: tuple[PreparedImport, ImportReport] | None = None
        self.busy = False
        self.checked_mapping: tuple[Path, str] | None = None  # the file checked, its mapping

    def compose(self) -> ComposeResult:
        yield AppHeader("Import")
        yield QuietInput(
            self.initial_path,
            placeholder="file to import (.csv or .xlsx); enter checks it",
            id="path",
            suggester=PathSuggester((".csv", ".tsv", ".txt", ".xlsx", ".xlsm")),
        )
        yield QuietInput(
            placeholder="mapping file (.toml), optional: how the file's columns and cells read",
            id="mapping",
            suggester=PathSuggester((".toml",)),
        )
        yield OptionList(*(Option(plain(label), id=kind.value) for kind, label in KINDS), id="kind")
        yield Static(id="hint")
        with VerticalScroll(id="report-box"):
            yield Static(id="report")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        kinds = self.query_one("#kind", OptionList)
        kinds.highlighted = [k for k, _ in KINDS].index(self.kind)
        self._hint("enter: check (nothing is written)  right: complete the path  tab: next field")
        self.query_one("#path", QuietInput).focus()

    def _hint(self, text: str) -> None:
        self.query_one("#hint", Static).update(plain(text))

    def _show(self, lines: list[str]) -> None:
        self.shown_lines = lines
        self.query_one("#report", Static).update(plain_lines(lines))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            return self.ready is not None and not self.busy
        if action == "save_mapping":
            return self.checked_mapping is not None and not self.busy
        return True

    def _set_ready(self, ready: tuple[PreparedImport, ImportReport] | None) -> None:
        self.ready = ready
        self.refresh_bindings()

    # --- checking -------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#kind")
    def _kind(self, event: OptionList.OptionHighlighted) -> None:
        self.kind = RecordKind(event.option.id or RecordKind.WORK_ITEMS.value)
        self._set_ready(None)

    @on(Input.Submitted, "#path")
    @on(Input.Submitted, "#mapping")
    @on(OptionList.OptionSelected, "#kind")
    def _start_check(self) -> None:
        path = self.query_one("#path", QuietInput).value.strip()
        mapping = self.query_one("#mapping", QuietInput).value.strip()
        if self.busy:
            self.notify("Still working on the last file", severity="warning")
            return
        if not path:
            self.notify("Type the path of a CSV or XLSX file first", severity="warning")
            return
        self._set_ready(None)
        self.checked_mapping = None
        self.busy = True
        self._hint(f"checking {path} …")
        mapping_path = Path(mapping).expanduser() if mapping else None
        self._check(Path(path).expanduser(), self.kind, mapping_path)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _check(self, path: Path, kind: RecordKind, mapping: Path | None) -> None:
        workspace = workspace_of(self)
        try:
            with prepare_import(path, kind, mapping_path=mapping) as prepared:
                report = check_import(workspace.context(), prepared.source())
                # the mapping the check found, to save; a mapping given is the operator's
                mapping_text = prepared.mapping_text() if mapping is None else None
        except BackofficeError as error:
            self.post_message(self.Failed([f"Cannot import {path.name}:", f"  {error}"]))
            return
        self.post_message(self.Checked(prepared, report, mapping_text))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        self.busy = False
        if message.mapping_text is not None:
            self.checked_mapping = (message.prepared.path, message.mapping_text)
            self.refresh_bindings()
        report = message.report
        self._show(
            report_lines(report, message.prepared.description, message.prepared.skipped_text())
        )
        if not report.ok:
            self._hint("bad rows: fix the file and press enter again, or escape to leave")
        elif not (report.created or report.updated):
            self._hint("nothing to change: the database already holds this file")
        else:
            self._set_ready((message.prepared, report))
            self._hint(
                f"y: apply {report.created} new and {report.updated} changed records   "
                "escape: leave without writing"
            )
        self.query_one("#report-box").focus()

    def action_save_mapping(self) -> None:
        """The mapping of the last check, beside the file: ``NAME.mapping.toml``."""
        if self.checked_mapping is None or self.busy:
            return
        path, text = self.checked_mapping
        target = path.with_name(f"{path.stem}.mapping.toml")
        try:
            with target.open("x", encoding="utf-8") as out:
                out.write(text)
        except FileExistsError:
            self.notify(
                f"{target} exists and was left as it is; name it as the mapping file to use it",
                severity="warning",
                markup=False,
            )
            return
        except OSError as error:
            self.notify(f"cannot write {target}: {error.strerror}", severity="error", markup=False)
            return
        self.query_one("#mapping", QuietInput).value = str(target)
        self.notify(
            f"mapping saved as {target}: edit it, then enter checks the file with it",
            markup=False,
        )

    # --- applying -------------------------------------------------------------------

    def action_apply(self) -> None:
        if self.ready is None or self.busy:
            return
        prepared, report = self.ready
        self.busy = True
        self._set_ready(None)
        self._hint("importing …")
        self._apply(prepared, report.digest)

    @work(thread=True, group="import-apply", exit_on_error=False)
    def _apply(self, prepared: PreparedImport, digest: str) -> None:
        # The operator saw the refused rows in the report, so they are left out.
        options = ImportOptions(skip_stale=True, expected_digest=digest)
        try:
            with prepared:
                report = run_import(workspace_of(self).context(), prepared.source(), options)
        except ImportRejected as rejected:
            lines = report_lines(rejected.report, prepared.description, prepared.skipped_text())
            self.post_message(self.Failed([*lines, "", str(rejected)]))
            return
        except BackofficeError as error:
            self.post_message(self.Failed([f"Nothing was written: {error}"]))
            return
        self.post_message(self.Applied(prepared, report))

    @on(Applied)
    def _applied(self, message: Applied) -> None:
        self.busy = False
        self._show(
            report_lines(
                message.report, message.prepared.description, message.prepared.skipped_text()
            )
        )
        self._hint("done; escape to leave, or check another file")
        self.notify(f"imported: {message.report.summary()}", markup=False)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self._show(message.report_lines)
        self._hint("nothing was written; change the file or path and press enter")
        self.query_one("#path", QuietInput).focus()

    def reset_busy(self) -> None:
        """The check or the import stopped on an unexpected error (said in a
        notification): the screen takes a path again."""
        self.busy = False
        self._set_ready(None)
        self._hint("that stopped on an error; press enter to check the file again")
        self.query_one("#path", QuietInput).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
