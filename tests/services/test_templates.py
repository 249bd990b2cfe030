"""Process templates load from TOML, are versioned, and refuse bad files."""

from pathlib import Path

import pytest

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.work.templates import list_templates, load_templates
from backoffice_tui.store.database import Database

CLOUD = sample_data_dir() / "templates" / "cloud.toml"


def test_demo_has_five_services(demo_db: Database) -> None:
    rows = list_templates(demo_db)
    assert {r.service for r in rows} == {
        "cloud",
        "managed-security",
        "network-line",
        "solution-pack",
        "custom",
    }
    assert all(r.steps >= 5 for r in rows)


def test_reloading_is_a_no_op_and_a_new_version_is_added(demo_db: Database, tmp_path: Path) -> None:
    assert [r.created for r in load_templates(demo_db, "test", [CLOUD])] == [False]
    changed = tmp_path / "cloud.toml"
    text = CLOUD.read_text(encoding="utf-8")
    changed.write_text(text.replace("version = 1", "version = 2", 1), encoding="utf-8")
    assert [r.created for r in load_templates(demo_db, "test", [changed])] == [True]
    versions = [r.version for r in list_templates(demo_db) if r.service == "cloud"]
    assert versions == [1, 2]


def test_changed_content_under_the_same_version_is_refused(
    demo_db: Database, tmp_path: Path
) -> None:
    changed = tmp_path / "cloud.toml"
    changed.write_text(CLOUD.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="raise its version"):
        load_templates(demo_db, "test", [changed])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("service = \n", "Invalid value"),
        ('service = "x"\nname = "X"\nversion = 1\n', "at least one"),
        (
            'service = "x"\nname = "X"\nversion = 1\n[[steps]]\nkey = "a"\nname = "A"\n'
            'team = "nowhere"\nsla_days = 1\n',
            "unknown team 'nowhere'",
        ),
        (
            'service = "x"\nname = "X"\nversion = 1\n[[steps]]\nkey = "a"\nname = "A"\n'
            'team = "build"\nsla_days = 0\n',
            "sla_days must be at least 1",
        ),
    ],
)
def test_bad_templates_are_refused_and_nothing_is_loaded(
    demo_db: Database, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content, encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text(CLOUD.read_text(encoding="utf-8").replace("version = 1", "version = 3", 1))
    with pytest.raises(InvalidInput, match=message):
        load_templates(demo_db, "test", [good, bad])
    assert 3 not in {r.version for r in list_templates(demo_db)}
