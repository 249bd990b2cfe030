"""Saving the current filter as a named view, and reopening saved views."""

from collections.abc import Callable
from typing import Any

from backoffice_tui.services.customers.saved_views import SavedViewRow, list_views, save_view
from backoffice_tui.services.people.directory import teams_of
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.dialogs import AskText, Choices, pick_after_loading
from backoffice_tui.tui.workspace import workspace_of


def ask_to_save_view(screen: BackofficeScreen[Any], target: str, filters: dict[str, Any]) -> None:
    """Ask for a name and who to share with, then save the view."""
    workspace = workspace_of(screen)

    def shares() -> Choices:
        teams = teams_of(workspace.db, workspace.actor)
        return [("", "Only me")] + [(code, f"Team {code}  {name}") for code, name in teams]

    def save(name: str, team: str) -> None:
        save_view(workspace.context(), name, target, filters, team=team or None)
        shared = f", shared with {team}" if team else ""
        screen.app.call_from_thread(screen.notify, f"view {name!r} saved{shared}", markup=False)

    def named(name: str | None) -> None:
        if name:
            pick_after_loading(
                screen,
                f"Share {name!r} with",
                shares,
                lambda team: (
                    team is not None
                    and screen.run_worker(
                        lambda: save(name, team), thread=True, group="views", exit_on_error=False
                    )
                ),
            )

    screen.app.push_screen(AskText("Save this view as"), named)


def pick_view(
    screen: BackofficeScreen[Any], target: str | None, chosen: Callable[[SavedViewRow], None]
) -> None:
    """Let the operator pick one of their views (own or shared with their teams)."""
    workspace = workspace_of(screen)
    views: dict[str, SavedViewRow] = {}

    def labels() -> Choices:
        for view in list_views(workspace.db, workspace.actor, target):
            views[str(view.id)] = view
        mine = workspace.actor.login
        return [
            (
                key,
                f"{view.name}  ({view.target.replace('_', ' ')}; "
                f"{'mine' if view.owner == mine else 'by ' + view.owner}"
                f"{', team ' + view.team if view.team else ''})",
            )
            for key, view in views.items()
        ]

    def picked(value: str | None) -> None:
        if value is not None:
            chosen(views[value])

    pick_after_loading(
        screen,
        "Open the saved view",
        labels,
        picked,
        empty="No saved views yet: S saves the current filter of the queue or a timeline",
    )
