"""Automation rules: each rule's state, version, trigger, when it last
fired and how often it did and failed, with the automation rate; admins
enable and disable; enter shows the rule's text and its recent actions."""

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.services.rules.definitions import RuleRow, list_rules, set_enabled, show_rule
from backoffice_tui.services.rules.history import automation_rate, history, overall_rate
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.dialogs import ShowLines
from backoffice_tui.tui.text import fit, plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.record_list import RecordList
from backoffice_tui.tui.workspace import workspace_of

RECENT = 15


def rule_line(row: RuleRow) -> str:
    last = row.last_fired.astimezone().strftime("%m-%d %H:%M") if row.last_fired else "never"
    state = "on " if row.enabled else "off"
    return (
        f"{fit(row.name, 24)} {state} v{fit(row.version, 3)} {fit(row.trigger, 18)} "
        f"{fit(last, 11)} {row.done:>5} {row.failed:>4}"
    )


class RulesScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    RulesScreen #rate { height: 1; padding: 0 2; margin-top: 1; }
    RulesScreen #columns { height: 1; color: $text-muted; padding: 0 1; }
    RulesScreen OptionList {
        height: 1fr; border: none; margin: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    RulesScreen OptionList:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "switch_rule", "Enable/disable", id="rules.toggle"),
        Binding("r", "refresh", "Refresh", id="rules.refresh"),
        Binding("escape", "back", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[RuleRow], rate: str) -> None:
            self.rows = rows
            self.rate = rate
            super().__init__()

    def compose(self) -> ComposeResult:
        yield AppHeader("Rules")
        yield Static(id="rate")
        yield Static(
            plain(
                f"{fit('RULE', 24)} ON  {fit('VER', 4)} {fit('TRIGGER', 18)} "
                f"{fit('LAST FIRED', 11)}  DONE FAIL"
            ),
            id="columns",
        )
        yield RecordList(id="rules")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._load()

    def on_screen_resume(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="rules", exit_on_error=False)
    def _load(self) -> None:
        db = workspace_of(self).db
        rows = list_rules(db)
        rates = automation_rate(db, 4)
        done = sum(r.by_rules for r in rates)
        total = sum(r.total for r in rates)
        rate = (
            f"automated in 4 weeks: {overall_rate(rates):.0%} "
            f"({done} of {total} steps done, assignments, decisions)"
        )
        self.post_message(self.Loaded(rows, rate))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.query_one("#rate", Static).update(plain(message.rate))
        rules = self.query_one(OptionList)
        highlighted = rules.highlighted
        rules.set_options(Option(plain(rule_line(row)), id=row.name) for row in message.rows)
        if not message.rows:
            rules.add_option(Option(plain("no rules loaded (backoffice rules load FILES)")))
        else:
            rules.highlighted = min(highlighted or 0, len(message.rows) - 1)

    def _current(self) -> str | None:
        rules = self.query_one(OptionList)
        if rules.highlighted is None or not rules.option_count:
            return None
        return rules.get_option_at_index(rules.highlighted).id

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._detail(event.option.id)

    @work(thread=True, exclusive=True, group="rules-detail", exit_on_error=False)
    def _detail(self, name: str) -> None:
        db = workspace_of(self).db
        text = show_rule(db, name)
        lines = [f"version {text.version}, {'enabled' if text.enabled else 'disabled'}", ""]
        lines += text.source.rstrip("\n").splitlines()
        lines += ["", "recent actions:"]
        recent = history(db, name, RECENT)
        for row in recent:
            at = row.at.astimezone().strftime("%m-%d %H:%M")
            lines.append(f"{at} {row.outcome} {row.subject}: {row.error or row.did}")
        if not recent:
            lines.append("none yet")
        self.app.call_from_thread(self.app.push_screen, ShowLines(f"Rule {name}", lines))

    def action_switch_rule(self) -> None:
        name = self._current()
        if name is not None:
            self._toggle(name)

    @work(thread=True, exclusive=True, group="rules-toggle", exit_on_error=False)
    def _toggle(self, name: str) -> None:
        workspace = workspace_of(self)
        enabled = next((r.enabled for r in list_rules(workspace.db) if r.name == name), None)
        if enabled is None:
            return
        set_enabled(workspace.db, workspace.actor, name, not enabled)
        word = "disabled" if enabled else "enabled"
        self.app.call_from_thread(self.notify, f"rule {name} {word}", markup=False)
        self.app.call_from_thread(self._load)

    def action_refresh(self) -> None:
        self._load()

    def action_back(self) -> None:
        self.console.action_go_home()
