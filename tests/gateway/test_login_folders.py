"""Behind the gateway every operator is the one service account: each
login's drafts, state and logs are kept in a folder of its own."""

import json
from pathlib import Path

import platformdirs
import pytest
from textual.widgets import Input

from backoffice_tui.cli.logs import log_file
from backoffice_tui.cli.state import CliState
from backoffice_tui.config.paths import (
    APP_NAME,
    data_dir,
    default_database_url,
    demo_database_url,
    files_login,
    keep_files_per_login,
    log_dir,
    state_dir,
)
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.services.work.queue import QueueFilter
from backoffice_tui.tui.app import BackofficeApp, create_app
from backoffice_tui.tui.screens.dialogs import AskText
from tests.tui.conftest import settle

SALES = QueueFilter(team="sales-admin")


def account_folders() -> dict[str, Path]:
    return {
        "data": platformdirs.user_data_path(APP_NAME, appauthor=False),
        "state": platformdirs.user_state_path(APP_NAME, appauthor=False),
        "log": platformdirs.user_log_path(APP_NAME, appauthor=False),
    }


def test_without_a_gateway_login_the_folders_are_the_accounts_own() -> None:
    folders = account_folders()
    assert files_login() is None
    assert (data_dir(), state_dir(), log_dir()) == (
        folders["data"],
        folders["state"],
        folders["log"],
    )
    assert default_database_url() == "sqlite:///" + str(folders["data"] / "backoffice.db")


def test_a_gateway_login_gets_folders_of_its_own_and_shares_the_databases() -> None:
    folders = account_folders()
    databases = (default_database_url(), demo_database_url())
    CliState(None, None, None, gateway_login="tanaka")
    assert files_login() == "tanaka"
    assert data_dir() == folders["data"] / "logins" / "tanaka"
    assert state_dir() == folders["state"] / "logins" / "tanaka"
    assert log_dir() == folders["log"] / "logins" / "tanaka"
    assert (default_database_url(), demo_database_url()) == databases
    assert log_file() == folders["log"] / "logins" / "tanaka" / "backoffice.log"
    keep_files_per_login(None)
    assert state_dir() == folders["state"]
    for bad in ("..", "../kimura", ".", "a/b", ""):
        with pytest.raises(InvalidInput):
            keep_files_per_login(bad)


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
async def test_two_gateway_logins_keep_their_drafts_apart(demo_url: str) -> None:
    typed = {"kimura": "木村: called the site", "tanaka": "田中: invoice sent"}

    def console_as(login: str) -> BackofficeApp:
        state = CliState(demo_url, None, None, gateway_login=login)
        return create_app(state.settings, state.database(), state.actor())

    for login, text in typed.items():
        app = console_as(login)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            app.open_queue(SALES)
            await settle(pilot)
            await pilot.press("n", *text)
            await settle(pilot)
        # the console ended with the note dialog open: the draft stays

    state = account_folders()["state"]
    assert not (state / "drafts.json").exists()
    for login, text in typed.items():
        drafts = json.loads((state / "logins" / login / "drafts.json").read_text("utf-8"))
        assert list(drafts.values()) == [text]

    for login, text in reversed(typed.items()):
        app = console_as(login)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            app.open_queue(SALES)
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, AskText)
            assert app.screen.query_one(Input).value == text
