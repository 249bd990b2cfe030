"""The command palette lists every action of the current screen, the
screens and the themes."""

from collections.abc import Collection, Iterable
from functools import partial

from textual.app import SystemCommand
from textual.screen import Screen

from backoffice_tui.tui.screens.help import describe_keys


def screen_commands(
    screen: Screen[object], listed: Collection[str] = ()
) -> Iterable[SystemCommand]:
    """The actions of the screen's bindings, but those ``listed`` already
    (by title) and the number keys' screens (listed as "Go to ...")."""
    app = screen.app
    seen = set(listed)  # by title: a screen's key for an app action is the same entry
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.description in seen:
            continue
        if f"Go to {binding.description}" in seen or binding.action.startswith("switch_mode("):
            continue  # a key for a screen the palette lists as "Go to ..."
        seen.add(binding.description)
        key = app.get_key_display(binding)
        yield SystemCommand(
            binding.description,
            f"{binding.description} ({key})",
            partial(app.run_action, binding.action, active.node),
        )


__all__ = ["describe_keys", "screen_commands"]
