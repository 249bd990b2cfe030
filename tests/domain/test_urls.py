"""Database URLs are shown without their passwords, however malformed."""

import pytest

from backoffice_tui.domain.urls import database_url_has_password, mask_url_password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bob:s3cret@h/db", "postgresql://bob:***@h/db"),
        ("postgresql://bob:s3cr@t@h/db", "postgresql://bob:***@h/db"),
        ("postgresql://bob:p?w@h/db", "postgresql://bob:***@h/db"),
        ("postgresql://bob:p/w@h/db", "postgresql://bob:***@h/db"),
        (
            "postgresql://h/db?password=zz&sslmode=require",
            "postgresql://h/db?password=***&sslmode=require",
        ),
        ("postgres ql://bob:s3cret@h:notaport/db", "postgres ql://bob:***@h:notaport/db"),
        ("bob:s3cret@h/db", "bob:***@h/db"),
    ],
)
def test_passwords_are_masked(url: str, shown: str) -> None:
    assert mask_url_password(url) == shown
    assert database_url_has_password(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob@h:5432/db?sslmode=require",
        "sqlite:////srv/data/a@b.db",
        "sqlite:////srv/data/a:b@c.db",
        "sqlite:///relative.db",
    ],
)
def test_urls_without_a_password_are_shown_as_they_are(url: str) -> None:
    assert mask_url_password(url) == url
    assert not database_url_has_password(url)
