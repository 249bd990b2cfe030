"""The Rules screen: key 8 lists the rules with their state, version and
counts; admins enable and disable; enter shows the text and recent actions."""

from textual.widgets import OptionList

from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.rules.definitions import list_rules, load_rules
from backoffice_tui.services.rules.runner import run_once
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens.dialogs import ShowLines
from backoffice_tui.tui.screens.rules import RulesScreen
from tests.tui.conftest import MakeApp, settle

RULES = sorted((sample_data_dir() / "rules").glob("*.toml"))


def lines(app: object) -> list[str]:
    rules = app.screen.query_one(OptionList)  # type: ignore[attr-defined]
    return [str(rules.get_option_at_index(i).prompt) for i in range(rules.option_count)]


async def test_key_8_lists_rules_and_an_admin_disables_one(
    console: MakeApp, demo_db: Database
) -> None:
    load_rules(demo_db, "demo", RULES)
    run_once(demo_db)
    app = console("admin-ito")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)
        shown = lines(app)
        assert len(shown) == len(RULES)
        first = sorted(path.stem for path in RULES)[0]
        assert shown[0].startswith(first) and " on " in shown[0]
        await pilot.press("e")
        await settle(pilot)
        assert " off " in lines(app)[0]
        assert not {r.name: r.enabled for r in list_rules(demo_db)}[first]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ShowLines)
        assert any("recent actions:" in line for line in app.screen.lines)
        assert any(f'name = "{first}"' in line for line in app.screen.lines)


async def test_a_non_admin_cannot_disable_a_rule(console: MakeApp, demo_db: Database) -> None:
    load_rules(demo_db, "demo", RULES)
    app = console("sato")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert all(r.enabled for r in list_rules(demo_db))
        assert " on " in lines(app)[0]
