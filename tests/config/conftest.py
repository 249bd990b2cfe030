"""Fixtures for the config tests: no test may reach the real keyring."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backends.null
import pytest


@pytest.fixture(autouse=True)
def no_real_keyring() -> Iterator[None]:
    """Every test starts with an empty keyring; the previous backend is restored after."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.null.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)
