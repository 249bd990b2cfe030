"""The keys of the current screen, from its live bindings."""

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Label, Static

from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.text import fit, plain


def _ours(node: DOMNode, binding: Binding) -> bool:
    """Whether this console declared the binding (not a Textual base class)."""
    return any(
        cls.__module__.startswith("backoffice_tui.")
        and any(
            isinstance(declared, Binding)
            and (declared.action, declared.description) == (binding.action, binding.description)
            for declared in cls.__dict__.get("BINDINGS", ())
        )
        for cls in type(node).__mro__
    )


def _rank(screen: Screen[object], node: DOMNode, binding: Binding) -> int:
    """The screen's own keys first, then those of this console's widgets, then
    the app's; the generic keys of Textual's classes (focus next, scroll left,
    copy the selected text) last."""
    if not _ours(node, binding):
        return 3
    if node is screen:
        return 0
    return 2 if node is screen.app else 1


def describe_keys(screen: Screen[object]) -> list[tuple[str, str]]:
    """(keys, description) for every binding active on ``screen``, grouped by
    action, the screen's own first."""
    grouped: dict[tuple[int, str], tuple[int, list[str], str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        slot = grouped.setdefault(
            (id(active.node), binding.action),
            (_rank(screen, active.node, binding), [], binding.description),
        )
        slot[1].append(screen.app.get_key_display(binding))
    ordered = sorted(grouped.values(), key=lambda slot: slot[0])  # stable: bindings' order
    return [(", ".join(keys), description) for _, keys, description in ordered]


class HelpScreen(BackofficeDialog[None]):
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="HelpScreen")
        + """
    HelpScreen > Vertical { width: 60; }
    HelpScreen VerticalScroll { height: auto; max-height: 18; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def __init__(self, title: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(f"Keys: {self.title_text}"))
            with VerticalScroll():
                for keys, description in self.keys:
                    yield Static(plain(f"{fit(keys, 16)} {description}"))
            yield Label("escape: close", classes="hint")
