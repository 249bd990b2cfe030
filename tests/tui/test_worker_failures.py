"""A worker that fails unexpectedly is said in one line, its traceback goes
to the log, and the screen that ran it can be used again; every screen that
runs workers gets this from the screen base."""

import ast
import importlib
import inspect
import logging
import pkgutil
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from textual import work
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

import backoffice_tui.tui.screens
import backoffice_tui.tui.widgets
from backoffice_tui.services.imports import ImportReport
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens import import_file
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.dialogs import AskText
from backoffice_tui.tui.screens.help import HelpScreen
from backoffice_tui.tui.screens.import_file import ImportScreen
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.widgets.virtual_table import VirtualTable
from backoffice_tui.tui.worker_errors import ReportsWorkerFailures
from tests.helpers import MessageLog
from tests.io.files import write_csv
from tests.tui.conftest import MakeApp, settle
from tests.tui.test_import_screen import build_item


def hint(screen: ImportScreen) -> str:
    return str(screen.query_one("#hint", Static).render())


async def check(pilot, screen: ImportScreen, path: Path) -> None:  # type: ignore[no-untyped-def]
    screen.query_one("#path", QuietInput).value = str(path)
    screen.query_one("#path", QuietInput).focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_an_unexpected_error_is_said_and_the_screen_works_again(
    console: MakeApp,
    demo_db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    item, priority = build_item(demo_db)
    path = write_csv(tmp_path / "changes.csv", [["id", "priority"], [item, priority]])
    real_check = import_file.check_import
    calls: list[int] = []

    def check_once_broken(*args: Any, **kwargs: Any) -> ImportReport:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the disk went away")
        return real_check(*args, **kwargs)

    monkeypatch.setattr(import_file, "check_import", check_once_broken)
    log = MessageLog()
    app = console("kimura")
    with caplog.at_level(logging.ERROR, logger="backoffice_tui.tui.app"):
        async with app.run_test(size=(100, 30), message_hook=log.hook) as pilot:
            await settle(pilot)
            screen = ImportScreen()
            app.push_screen(screen)
            await settle(pilot)

            await check(pilot, screen, path)
            assert "unexpected error: RuntimeError: the disk went away" in log.notifications
            assert "checking" not in hint(screen)
            assert "press enter to check the file again" in hint(screen)
            assert app.screen is screen

            await check(pilot, screen, path)
            assert "Still working on the last file" not in log.notifications
            assert "0 would be created, 1 would be updated" in "\n".join(screen.shown_lines)
            assert "y: apply" in hint(screen)
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(failures) == 1  # the traceback is in the log, once


async def test_an_import_that_breaks_leaves_the_screen_usable(
    console: MakeApp, demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, priority = build_item(demo_db)
    path = write_csv(tmp_path / "changes.csv", [["id", "priority"], [item, priority]])

    def broken_import(*args: Any, **kwargs: Any) -> ImportReport:
        raise RuntimeError("connection reset")

    monkeypatch.setattr(import_file, "run_import", broken_import)
    log = MessageLog()
    app = console("kimura")
    async with app.run_test(size=(100, 30), message_hook=log.hook) as pilot:
        await settle(pilot)
        screen = ImportScreen()
        app.push_screen(screen)
        await settle(pilot)
        await check(pilot, screen, path)
        await pilot.press("y")
        await settle(pilot)
        assert "unexpected error: RuntimeError: connection reset" in log.notifications
        assert "importing" not in hint(screen)
        await pilot.press("y")  # nothing is offered for applying until checked again
        await settle(pilot)
        assert log.notifications.count("unexpected error: RuntimeError: connection reset") == 1
        await check(pilot, screen, path)
        assert "y: apply" in hint(screen)


# --- every screen that runs workers has the base -------------------------------------


def _classes_in(package: ModuleType) -> list[type]:
    found: list[type] = []
    for module_info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(module_info.name)
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == module.__name__
        ]
    return found


SCREENS = [
    cls
    for package in (backoffice_tui.tui.screens, backoffice_tui.tui.widgets)
    for cls in _classes_in(package)
    if issubclass(cls, Screen)
]
WIDGETS = [
    cls
    for cls in _classes_in(backoffice_tui.tui.widgets)
    if issubclass(cls, Widget) and not issubclass(cls, Screen)
]


def uses_workers(cls: type) -> bool:
    """A method of ``cls`` itself is a ``@work`` worker or calls ``run_worker``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.attr if isinstance(target, ast.Attribute) else None
                if isinstance(target, ast.Name):
                    name = target.id
                if name == "work":
                    return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "run_worker"
        ):
            return True
    return False


class DecoratedWorker(Screen[None]):
    @work(thread=True)
    def _read(self) -> None:
        pass


class RunsAWorker(ModalScreen[None]):
    def on_mount(self) -> None:
        self.run_worker(lambda: None, thread=True)


class NoWorkers(Screen[None]):
    def on_mount(self) -> None:
        self.notify("hello")


def test_the_worker_check_tells_workers_apart() -> None:
    assert uses_workers(DecoratedWorker)
    assert uses_workers(RunsAWorker)
    assert not uses_workers(NoWorkers)
    assert uses_workers(ImportScreen) and uses_workers(VirtualTable)
    assert not uses_workers(HelpScreen)


def test_the_walk_finds_the_screens_and_dialogs() -> None:
    assert {ImportScreen, AskText, HelpScreen} <= set(SCREENS)
    assert VirtualTable in WIDGETS


def test_every_screen_that_runs_workers_has_the_screen_base() -> None:
    missing = [
        cls.__qualname__
        for cls in SCREENS
        if uses_workers(cls) and not issubclass(cls, BackofficeScreen)
    ]
    assert missing == []


def test_every_screen_and_dialog_has_the_screen_base() -> None:
    missing = [cls.__qualname__ for cls in SCREENS if not issubclass(cls, BackofficeScreen)]
    assert missing == []


def test_every_widget_that_runs_workers_passes_its_failures_on() -> None:
    missing = [
        cls.__qualname__
        for cls in WIDGETS
        if uses_workers(cls) and not issubclass(cls, ReportsWorkerFailures)
    ]
    assert missing == []
