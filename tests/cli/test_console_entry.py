"""Opening the console from the command line: errors before any screen."""

import pytest

from tests.cli.support import fails


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_unknown_customer_is_one_line_before_the_console(demo_url: str) -> None:
    fails("--database", demo_url, "--user", "kimura", "--customer", "NOPE", contains="no customer")


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_unknown_user_is_one_line_before_the_console(demo_url: str) -> None:
    fails("--database", demo_url, "--user", "ghost", contains="not a user of this database")


def test_missing_default_database_says_what_to_do() -> None:
    fails("--screen", "queue", contains="db upgrade")
