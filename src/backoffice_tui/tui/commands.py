"""The command palette lists every action of the current screen, the
screens and the themes."""

from collections.abc import Iterable
from functools import partial

from textual.app import SystemCommand
from textual.screen import Screen

from backoffice_tui.tui.screens.help import describe_keys


def screen_commands(screen: Screen[object]) -> Iterable[SystemCommand]:
    app = screen.app
    seen: set[tuple[int, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or (id(active.node), binding.action) in seen:
            continue
        seen.add((id(active.node), binding.action))
        key = app.get_key_display(binding)
        yield SystemCommand(
            binding.description,
            f"{binding.description} ({key})",
            partial(app.run_action, binding.action, active.node),
        )


__all__ = ["describe_keys", "screen_commands"]
