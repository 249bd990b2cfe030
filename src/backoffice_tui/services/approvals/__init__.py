"""Approval requests: opening, every action, who may decide (one authority),
the inbox and detail reads, routes from files, deadlines and approvers."""
