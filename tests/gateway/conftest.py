"""Fixtures for the SSH gateway's tests."""

from collections.abc import Iterator

import pytest

from backoffice_tui.config.paths import keep_files_per_login


@pytest.fixture(autouse=True)
def _account_folders() -> Iterator[None]:
    """A gateway command binds its process to a login's folders; a test that
    runs one in this process must not leave the binding to the next test."""
    yield
    keep_files_per_login(None)
