"""Before and after: two versions of the same process template side by side.

For each step (by key) of either version: items finished in the period,
cycle time and its waiting part (median and 85th percentile), and the SLA
hit rate, each version counted over its own order lines only. Without
versions named, the two latest are compared.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.services.insight.filters import (
    InsightFilter,
    Scope,
    StepKey,
    resolve,
    template_versions,
)
from backoffice_tui.services.insight.flow import Spread, flow_in
from backoffice_tui.services.insight.sla import sla_in
from backoffice_tui.store.database import Database


@dataclass(frozen=True)
class VersionFigures:
    done: int
    cycle: Spread | None
    waiting: Spread | None
    sla_hit_rate: float | None


@dataclass(frozen=True)
class CompareRow:
    step: StepKey
    before: VersionFigures | None  # None: the step is not in that version
    after: VersionFigures | None


@dataclass(frozen=True)
class CompareReport:
    scope: Scope
    template: str
    before: int  # version numbers
    after: int
    rows: tuple[CompareRow, ...]


def _figures(
    session: Session, scope: Scope
) -> dict[tuple[str, str], tuple[StepKey, VersionFigures]]:
    flow = {(r.step.step, r.step.team): r for r in flow_in(session, scope).rows}
    sla = {(r.step.step, r.step.team): r for r in sla_in(session, scope).rows}
    found = {}
    for key in flow.keys() | sla.keys():
        flow_row, sla_row = flow.get(key), sla.get(key)
        step = flow_row.step if flow_row else sla[key].step
        found[key] = (
            step,
            VersionFigures(
                done=flow_row.done if flow_row else 0,
                cycle=flow_row.cycle if flow_row else None,
                waiting=flow_row.waiting if flow_row else None,
                sla_hit_rate=sla_row.hit_rate if sla_row else None,
            ),
        )
    return found


def compare_versions(
    db: Database,
    wanted: InsightFilter,
    now: datetime,
    before: int | None = None,
    after: int | None = None,
) -> CompareReport:
    """Compare versions ``before`` and ``after`` of ``wanted.template``."""
    if not wanted.template:
        raise InvalidInput("say which process to compare: --template NAME")
    with db.read() as session:
        scope = resolve(session, wanted, now)
        versions = {
            version: template_id
            for template_id, _, version in template_versions(session, wanted.template)
        }
        ordered = sorted(versions)
        if before is None and after is None:
            if len(ordered) < 2:
                raise InvalidInput(
                    f"{wanted.template} has only version {ordered[0]}; "
                    "load a changed version to compare"
                )
            before, after = ordered[-2], ordered[-1]
        elif before is None or after is None:
            raise InvalidInput("name both versions (--before N --after M), or neither")
        for version in (before, after):
            if version not in versions:
                known = ", ".join(str(v) for v in ordered)
                raise NotFound(f"{wanted.template} has no version {version} (versions: {known})")
        old = _figures(session, scope.with_templates((versions[before],)))
        new = _figures(session, scope.with_templates((versions[after],)))
    rows = []
    for key in old.keys() | new.keys():
        step = (new.get(key) or old[key])[0]
        rows.append(
            CompareRow(
                step=step,
                before=old[key][1] if key in old else None,
                after=new[key][1] if key in new else None,
            )
        )
    rows.sort(key=lambda r: (r.step.position, r.step.step, r.step.team))
    return CompareReport(
        scope=scope, template=wanted.template, before=before, after=after, rows=tuple(rows)
    )
