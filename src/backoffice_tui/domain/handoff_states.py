"""The states of a handoff: draft -> submitted -> accepted, or returned and
submitted again; cancelled with its order or order line."""

from enum import StrEnum


class HandoffState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"  # its order or order line was cancelled before it was accepted
