"""Approval routes: the states of requests and stages, the actions, and
when a stage's rule is met. Plain rules, no I/O."""

from collections.abc import Iterable
from enum import StrEnum


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SENT_BACK = "sent_back"  # to the requester, who may re-apply or withdraw
    PULLED_BACK = "pulled_back"  # by the requester, before anyone decided
    WITHDRAWN = "withdrawn"


FINAL_STATES = frozenset({RequestState.APPROVED, RequestState.REJECTED, RequestState.WITHDRAWN})
WITH_REQUESTER = frozenset({RequestState.SENT_BACK, RequestState.PULLED_BACK})


class StageState(StrEnum):
    WAITING = "waiting"  # not reached yet, or reset by a send-back
    PENDING = "pending"  # the current stage of a pending request
    APPROVED = "approved"
    REJECTED = "rejected"
    NOTIFIED = "notified"  # an information-only stage that was passed


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SEND_BACK = "send_back"
    PULL_BACK = "pull_back"
    HOLD = "hold"
    RELEASE = "release"
    FORWARD = "forward"
    COMMENT = "comment"
    SUBMIT = "submit"
    REAPPLY = "reapply"
    WITHDRAW = "withdraw"


# Actions that are decisions on the route; after one of them, an earlier
# approval can no longer be pulled back.
DECISIONS = frozenset(
    {Action.APPROVE, Action.REJECT, Action.SEND_BACK, Action.PULL_BACK, Action.FORWARD}
)

PAST_TENSE = {
    Action.APPROVE: "approved",
    Action.REJECT: "rejected",
    Action.SEND_BACK: "sent back",
    Action.PULL_BACK: "pulled back",
    Action.HOLD: "held",
    Action.RELEASE: "released",
    Action.FORWARD: "forwarded",
    Action.COMMENT: "commented on",
    Action.SUBMIT: "submitted",
    Action.REAPPLY: "re-applied",
    Action.WITHDRAW: "withdrew",
}

REQUESTER = "requester"


def role_key(role: str, team: str) -> str:
    return f"{role}@{team}"


def is_role_key(entry: str) -> bool:
    return "@" in entry


def describe_rule(rule: str, entries: int) -> str:
    if rule == "any":
        return "any one"
    if rule == "all":
        return "all" if entries > 1 else "the one"
    return f"at least {rule}"


def rule_met(rule: str, entries: Iterable[str], approvals: dict[int, str]) -> bool:
    """Whether a stage with approver ``entries`` and ``rule`` is approved by
    ``approvals`` (who approved -> the entry they approved as)."""
    if not approvals:
        return False
    if rule == "any":
        return True
    if rule == "all":
        return set(entries) <= set(approvals.values())
    return len(approvals) >= int(rule)
