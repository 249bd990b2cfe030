"""Work item statuses and the transitions between them."""

from enum import StrEnum

from backoffice_tui.domain.errors import InvalidInput


class WorkStatus(StrEnum):
    WAITING = "waiting"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    SKIPPED = "skipped"

    @property
    def is_open(self) -> bool:
        return self not in CLOSED_STATUSES


CLOSED_STATUSES = frozenset({WorkStatus.DONE, WorkStatus.SKIPPED})
OPEN_STATUSES = tuple(s for s in WorkStatus if s not in CLOSED_STATUSES)

# The statuses an action may start from; anything else is an invalid transition.
CAN_START = frozenset({WorkStatus.READY})
CAN_FINISH = frozenset({WorkStatus.IN_PROGRESS})
CAN_BLOCK = frozenset({WorkStatus.WAITING, WorkStatus.READY, WorkStatus.IN_PROGRESS})
CAN_SKIP = frozenset(
    {WorkStatus.WAITING, WorkStatus.READY, WorkStatus.IN_PROGRESS, WorkStatus.BLOCKED}
)
CAN_CLAIM = frozenset(OPEN_STATUSES)


def parse_status(text: str) -> WorkStatus:
    """Parse a status as an operator types it (``in-progress``, ``In Progress``)."""
    normalised = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return WorkStatus(normalised)
    except ValueError:
        known = ", ".join(s.value for s in WorkStatus)
        raise InvalidInput(f"unknown status {text!r}; use one of {known}") from None
