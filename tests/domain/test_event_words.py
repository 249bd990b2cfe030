"""Event kinds read as words."""

import pytest

from backoffice_tui.domain.event_words import event_words


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("work_item.claimed", "claimed"),
        ("work_item.done", "done"),
        ("work_item.note", "note added"),
        ("approval.approved", "approved"),
        ("approval.sent_back", "sent back"),
        ("approval.requested", "approval requested"),
        ("handoff.returned", "handoff returned"),
        ("handoff.document_added", "handoff document added"),
        ("order_line.completed", "line completed"),
        ("rule.loaded", "rule loaded"),
        ("something", "something"),
        ("odd_kind.with_parts", "odd kind with parts"),
    ],
)
def test_kinds_read_as_words(kind: str, words: str) -> None:
    assert event_words(kind) == words
