"""Roles a user holds in a team."""

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    APPROVER = "approver"
    LEAD = "lead"
