"""Saved views: private by default, shared with a team on request."""

from datetime import date

import pytest

from backoffice_tui.domain.errors import InvalidInput, NotFound, PermissionDenied
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.customers.saved_views import (
    EVENTS,
    WORK_ITEMS,
    find_view,
    list_views,
    queue_filter_of,
    queue_view_filters,
    save_view,
    timeline_filter_of,
    timeline_view_filters,
)
from backoffice_tui.services.customers.timeline import TimelineFilter
from backoffice_tui.services.work.queue import QueueFilter, QueueSort


def test_filters_survive_the_round_trip() -> None:
    queue_filter = QueueFilter(
        team="build", statuses=(WorkStatus.BLOCKED,), overdue=True, text="山田"
    )
    assert queue_filter_of(queue_view_filters(queue_filter, QueueSort.PRIORITY)) == (
        queue_filter,
        QueueSort.PRIORITY,
    )
    timeline_filter = TimelineFilter(kind="work_item", since=date(2026, 11, 1), text="survey")
    assert timeline_filter_of(timeline_view_filters("C0006", timeline_filter)) == (
        "C0006",
        timeline_filter,
    )


def test_private_and_shared_views(as_user) -> None:  # type: ignore[no-untyped-def]
    kimura, yamamoto, tanaka = as_user("kimura"), as_user("yamamoto"), as_user("tanaka")
    mine = queue_view_filters(QueueFilter(assignee="me"), QueueSort.DUE)
    save_view(kimura, "my work", WORK_ITEMS, mine)
    save_view(
        kimura,
        "build blocked",
        WORK_ITEMS,
        queue_view_filters(QueueFilter(team="build"), QueueSort.DUE),
        team="build",
    )
    save_view(kimura, "c6", EVENTS, timeline_view_filters("C0006", TimelineFilter()))
    names = lambda ctx, target=None: [v.name for v in list_views(ctx.db, ctx.actor, target)]  # noqa: E731
    assert names(kimura) == ["build blocked", "c6", "my work"]
    assert names(kimura, WORK_ITEMS) == ["build blocked", "my work"]
    assert names(yamamoto) == ["build blocked"]  # a member of build
    assert names(tanaka) == []
    assert find_view(yamamoto.db, yamamoto.actor, "build blocked").owner == "kimura"
    with pytest.raises(NotFound):
        find_view(tanaka.db, tanaka.actor, "my work")
    with pytest.raises(PermissionDenied, match="not in team build"):
        save_view(tanaka, "nope", WORK_ITEMS, mine, team="build")
    with pytest.raises(InvalidInput):
        save_view(tanaka, "  ", WORK_ITEMS, mine)
    save_view(
        kimura,
        "my work",
        WORK_ITEMS,
        queue_view_filters(QueueFilter(assignee="me", overdue=True), QueueSort.DUE),
    )
    assert [
        v.filters["overdue"] for v in list_views(kimura.db, kimura.actor) if v.name == "my work"
    ] == [True]
