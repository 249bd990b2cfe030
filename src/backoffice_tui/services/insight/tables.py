"""Every report as one table (title, columns, rows of plain values), the
shape the command line prints and writes as CSV, XLSX or JSON.

Days and hours are rounded to one decimal, rates are percentages; an empty
cell (None) is a figure with nothing to count.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.services.insight.approval_times import approval_report
from backoffice_tui.services.insight.automation import automation_report
from backoffice_tui.services.insight.compare import VersionFigures, compare_versions
from backoffice_tui.services.insight.filters import InsightFilter, StepKey
from backoffice_tui.services.insight.flow import AGE_LABELS, Spread, flow_report
from backoffice_tui.services.insight.rework import rework_report
from backoffice_tui.services.insight.sla import sla_report
from backoffice_tui.store.database import Database


@dataclass(frozen=True)
class ReportTable:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def percent(rate: float | None) -> float | None:
    return None if rate is None else round(100 * rate, 1)


def _spread(spread: Spread | None) -> tuple[float | None, float | None]:
    if spread is None:
        return None, None
    return one_decimal(spread.median), one_decimal(spread.p85)


_STEP_COLUMNS = ("service", "step", "name", "team")


def _step(step: StepKey) -> tuple[str, str, str, str]:
    return step.service, step.step, step.name, step.team


def flow_table(db: Database, wanted: InsightFilter, now: datetime) -> ReportTable:
    report = flow_report(db, wanted, now)
    columns = (
        *_STEP_COLUMNS,
        "wip",
        "ready",
        "in_progress",
        "blocked",
        *(f"age {label}" for label in AGE_LABELS),
        "done",
        "revisited",
        "cycle_median_days",
        "cycle_p85_days",
        "waiting_median_days",
        "waiting_p85_days",
        "working_median_days",
        "working_p85_days",
        "blocked_median_days",
        "blocked_p85_days",
        *(f"done {period}" for period in report.periods),
    )
    rows = tuple(
        (
            *_step(r.step),
            r.wip,
            r.ready,
            r.in_progress,
            r.blocked,
            *r.ageing,
            r.done,
            r.revisited,
            *_spread(r.cycle),
            *_spread(r.waiting),
            *_spread(r.working),
            *_spread(r.blocked_time),
            *r.throughput,
        )
        for r in report.rows
    )
    return ReportTable("flow", columns, rows)


def sla_table(db: Database, wanted: InsightFilter, now: datetime) -> ReportTable:
    report = sla_report(db, wanted, now)
    columns = (
        *_STEP_COLUMNS,
        "sla_days",
        "finished",
        "hit",
        "breached",
        "hit_rate_percent",
        "average_days_over",
        "at_risk",
        "late",
    )
    rows = tuple(
        (
            *_step(r.step),
            r.sla_days,
            r.finished,
            r.hit,
            r.breached,
            percent(r.hit_rate),
            one_decimal(r.average_over),
            r.at_risk,
            r.late,
        )
        for r in report.rows
    )
    return ReportTable("sla", columns, rows)


def at_risk_table(db: Database, wanted: InsightFilter, now: datetime) -> ReportTable:
    report = sla_report(db, wanted, now)
    columns = (
        "item",
        "order",
        "customer",
        *_STEP_COLUMNS,
        "assignee",
        "used_days",
        "sla_days",
        "percent_used",
    )
    rows = tuple(
        (
            r.item_id,
            r.order,
            r.customer,
            *_step(r.step),
            r.assignee,
            r.used_days,
            r.sla_days,
            r.percent_used,
        )
        for r in report.at_risk
    )
    return ReportTable("at risk", columns, rows)


def rework_table(db: Database, wanted: InsightFilter, now: datetime) -> ReportTable:
    report = rework_report(db, wanted, now)
    columns = (*_STEP_COLUMNS, "send_backs", "returned_handoffs", "reassignments", "items")
    rows = tuple(
        (*_step(r.step), r.send_backs, r.returned_handoffs, r.reassignments, r.items)
        for r in report.rows
    )
    return ReportTable("rework", columns, rows)


def approvals_table(db: Database, wanted: InsightFilter, now: datetime) -> ReportTable:
    report = approval_report(db, wanted, now)
    columns = ("stage", "decisions", "median_hours", "p85_hours")
    rows = tuple(
        (s.stage, s.decisions, one_decimal(s.hours.median), one_decimal(s.hours.p85))
        for s in report.stages
    )
    return ReportTable("approval stages", columns, rows)


def approvers_table(db: Database, wanted: InsightFilter, now: datetime) -> ReportTable:
    report = approval_report(db, wanted, now)
    columns = ("approver", "approved", "rejected", "sent_back", "delegated", "delegated_percent")
    rows = tuple(
        (
            a.approver,
            a.approved,
            a.rejected,
            a.sent_back,
            a.delegated,
            percent(a.delegated / a.total if a.total else None),
        )
        for a in report.approvers
    )
    return ReportTable("approvers", columns, rows)


def compare_table(
    db: Database, wanted: InsightFilter, now: datetime, before: int | None, after: int | None
) -> ReportTable:
    report = compare_versions(db, wanted, now, before, after)
    parts = (
        "done",
        "cycle_median_days",
        "cycle_p85_days",
        "waiting_median_days",
        "sla_hit_percent",
    )
    columns = (
        *_STEP_COLUMNS,
        *(f"v{report.before} {part}" for part in parts),
        *(f"v{report.after} {part}" for part in parts),
    )

    def figures(found: VersionFigures | None) -> tuple[Any, ...]:
        if found is None:
            return (None,) * len(parts)
        return (
            found.done,
            *_spread(found.cycle),
            _spread(found.waiting)[0],
            percent(found.sla_hit_rate),
        )

    rows = tuple((*_step(r.step), *figures(r.before), *figures(r.after)) for r in report.rows)
    return ReportTable(f"{report.template} v{report.before} and v{report.after}", columns, rows)


def automation_table(db: Database, wanted: InsightFilter, now: datetime) -> ReportTable:
    report = automation_report(db, wanted, now)
    columns = ("service", "template", "version", "transitions", "by_rules", "rate_percent")
    rows = tuple(
        (r.service, r.template, r.version, r.transitions, r.by_rules, percent(r.rate))
        for r in report.rows
    )
    return ReportTable("automation", columns, rows)


_SIMPLE: dict[str, Callable[[Database, InsightFilter, datetime], ReportTable]] = {
    "flow": flow_table,
    "sla": sla_table,
    "at-risk": at_risk_table,
    "rework": rework_table,
    "approvals": approvals_table,
    "approvers": approvers_table,
    "automation": automation_table,
}
REPORT_KINDS = (*_SIMPLE, "compare")
# each report's reader: (database, filter, now) -> report
REPORT_READERS: dict[str, Callable[[Database, InsightFilter, datetime], Any]] = {
    "flow": flow_report,
    "sla": sla_report,
    "rework": rework_report,
    "approvals": approval_report,
    "automation": automation_report,
}


def report_table(
    db: Database,
    kind: str,
    wanted: InsightFilter,
    now: datetime,
    *,
    before: int | None = None,
    after: int | None = None,
) -> ReportTable:
    """The report ``kind`` (one of ``REPORT_KINDS``) as a table."""
    if kind == "compare":
        return compare_table(db, wanted, now, before, after)
    if kind not in _SIMPLE:
        raise InvalidInput(f"no report {kind!r}; reports: {', '.join(REPORT_KINDS)}")
    if before is not None or after is not None:
        raise InvalidInput("--before and --after name versions for the compare report only")
    return _SIMPLE[kind](db, wanted, now)
