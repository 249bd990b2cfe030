"""Every table of the product; importing this module registers them all."""

from backoffice_tui.store.models.applications import Application, ApplicationKind
from backoffice_tui.store.models.approvals import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    ApprovalStageApprover,
)
from backoffice_tui.store.models.customers import Customer
from backoffice_tui.store.models.events import Event, SavedView
from backoffice_tui.store.models.handoffs import (
    DocumentRevision,
    Handoff,
    HandoffDocument,
    HandoffItem,
)
from backoffice_tui.store.models.orders import Order, OrderLine, WorkItem, WorkItemNote
from backoffice_tui.store.models.org import Delegation, Team, TeamMembership, User
from backoffice_tui.store.models.processes import ProcessTemplate, Service, TemplateStep
from backoffice_tui.store.models.rules import (
    Rule,
    RuleCausedEvent,
    RuleCursor,
    RuleFiring,
    RuleVersion,
)
from backoffice_tui.store.models.stays import WorkItemStay

__all__ = [
    "Application",
    "ApplicationKind",
    "ApprovalDecision",
    "ApprovalRequest",
    "ApprovalStage",
    "ApprovalStageApprover",
    "Customer",
    "Delegation",
    "DocumentRevision",
    "Event",
    "Handoff",
    "HandoffDocument",
    "HandoffItem",
    "Order",
    "OrderLine",
    "ProcessTemplate",
    "Rule",
    "RuleCausedEvent",
    "RuleCursor",
    "RuleFiring",
    "RuleVersion",
    "SavedView",
    "Service",
    "Team",
    "TeamMembership",
    "TemplateStep",
    "User",
    "WorkItem",
    "WorkItemNote",
    "WorkItemStay",
]
