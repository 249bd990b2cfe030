"""What rules did (history, with failures and their reasons), what a rule
would do now (``rules test``: reads only), and the automation rate."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.rule_files import describe_condition
from backoffice_tui.services.rules.actions import plan
from backoffice_tui.services.rules.conditions import matches, subject_fields
from backoffice_tui.services.rules.definitions import RULE_LOGIN_PREFIX, live_rule, rule_login
from backoffice_tui.services.rules.runner import due_plans
from backoffice_tui.services.rules.triggers import subject_of_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, OrderLine, Rule, RuleFiring, Service


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    rule: str
    version: int
    trigger: str
    subject: str
    outcome: str
    attempts: int
    did: str
    error: str | None
    next_retry_at: datetime | None


def _did(actions: list[dict[str, object]]) -> str:
    parts = []
    for action in actions:
        words = [str(action.get("do", "?"))]
        words += [f"{k}={v}" for k, v in action.items() if k != "do"]
        parts.append(" ".join(words))
    return "; ".join(parts)


def history(db: Database, name: str | None = None, limit: int = 100) -> list[HistoryRow]:
    """The latest firings, newest first: of one rule or of all."""
    with db.read() as session:
        query = select(RuleFiring, Rule.name).join(Rule, Rule.id == RuleFiring.rule_id)
        if name is not None:
            rule_id = session.scalar(select(Rule.id).where(Rule.name == name))
            if rule_id is None:
                raise NotFound(f"no rule {name!r}; see backoffice rules list")
            query = query.where(RuleFiring.rule_id == rule_id)
        rows = session.execute(
            query.order_by(RuleFiring.at.desc(), RuleFiring.id.desc()).limit(limit)
        ).all()
        return [
            HistoryRow(
                at=firing.finished_at or firing.at,
                rule=rule_name,
                version=firing.rule_version,
                trigger=firing.trigger,
                subject=f"{firing.entity} {firing.entity_id}"
                if firing.entity_id
                else firing.entity,
                outcome=firing.outcome,
                attempts=firing.attempts,
                did=_did(firing.actions),
                error=firing.error,
                next_retry_at=firing.next_retry_at,
            )
            for firing, rule_name in rows
        ]


@dataclass(frozen=True)
class WouldDo:
    subject: str
    title: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class TestReport:
    rule: str
    version: int
    enabled: bool
    trigger: str
    conditions: str
    would_act_on: tuple[WouldDo, ...]
    more: bool  # more records than shown
    events_30_days: int | None  # event rules: how often it would have fired
    events_seen: int | None  # events of its kinds in those 30 days


TEST_LIMIT = 50


def try_rule(db: Database, name: str, now: datetime | None = None) -> TestReport:
    """Which current records the rule would act on and what it would do,
    and (for an event rule) how often it would have fired over the last
    30 days; reads only, writes nothing."""
    rule = live_rule(db, name)
    spec = rule.spec
    at = now or utc_now()
    would: list[WouldDo] = []
    fired = seen = None
    if spec.trigger.kind == "event":
        fired = seen = 0
        with db.read() as session:
            events = session.execute(
                select(Event.id, Event.entity, Event.entity_id, Event.actor_name)
                .where(Event.kind.in_(spec.trigger.events), Event.at >= at - timedelta(days=30))
                .order_by(Event.id)
                .limit(20000)
            ).all()
            subjects: dict[int, bool] = {}
            for _id, entity, entity_id, actor in events:
                if actor == rule_login(name):
                    continue
                seen += 1
                subject_id = subject_of_event(session, spec.subject, entity, entity_id)
                if subject_id is None:
                    continue
                if subject_id not in subjects:
                    fields = subject_fields(session, spec.subject, subject_id)
                    subjects[subject_id] = fields is not None and matches(spec.when, fields)
                    if subjects[subject_id] and fields is not None and len(would) < TEST_LIMIT:
                        would.append(_would(spec.subject, subject_id, fields, spec.actions))
                if subjects[subject_id]:
                    fired += 1
        more = len(would) >= TEST_LIMIT
    else:
        plans = due_plans(db, rule, at, limit=TEST_LIMIT + 1)
        more = len(plans) > TEST_LIMIT
        with db.read() as session:
            for p in plans[:TEST_LIMIT]:
                fields = subject_fields(session, p.candidate.entity, p.candidate.entity_id) or {}
                would.append(
                    _would(p.candidate.entity, p.candidate.entity_id, fields, spec.actions)
                )
    return TestReport(
        rule=name,
        version=rule.version,
        enabled=rule.enabled,
        trigger=spec.trigger.describe(),
        conditions=describe_condition(spec.when),
        would_act_on=tuple(would),
        more=more,
        events_30_days=fired,
        events_seen=seen,
    )


def _would(entity: str, entity_id: int, fields: dict[str, object], actions: tuple) -> WouldDo:  # type: ignore[type-arg]
    return WouldDo(
        subject=f"{entity} {entity_id}",
        title=str(fields.get("title", "")),
        actions=tuple(plan(action, fields) for action in actions),
    )


# --- the automation rate -----------------------------------------------------------------------

COUNTED = {
    "work_item.done": "completions",
    "work_item.assigned": "assignments",
    "work_item.claimed": "assignments",
    "approval.approved": "decisions",
    "approval.rejected": "decisions",
    "approval.sent_back": "decisions",
}


@dataclass(frozen=True)
class RateRow:
    week: str  # its Monday
    template: str  # the service's code, or "-" for approvals outside a process
    kind: str  # completions | assignments | decisions
    total: int
    by_rules: int

    @property
    def share(self) -> float:
        return self.by_rules / self.total if self.total else 0.0


def automation_rate(db: Database, weeks: int = 4, now: datetime | None = None) -> list[RateRow]:
    """The share of step completions, assignments and approval decisions
    that rules made, per template and per week, newest week first."""
    at = now or utc_now()
    start = at.astimezone().date() - timedelta(days=at.astimezone().weekday() + 7 * (weeks - 1))
    since = datetime.combine(start, datetime.min.time()).astimezone()
    totals: Counter[tuple[str, str, str]] = Counter()
    by_rules: Counter[tuple[str, str, str]] = Counter()
    with db.read() as session:
        rows = session.execute(
            select(Event.at, Event.kind, Event.actor_name, func.coalesce(Service.code, "-"))
            .outerjoin(OrderLine, OrderLine.id == Event.order_line_id)
            .outerjoin(Service, Service.id == OrderLine.service_id)
            .where(Event.kind.in_(list(COUNTED)), Event.at >= since)
        )
        for when, kind, actor, template in rows:
            day = when.astimezone().date()
            week = (day - timedelta(days=day.weekday())).isoformat()
            key = (week, template, COUNTED[kind])
            totals[key] += 1
            if actor.startswith(RULE_LOGIN_PREFIX):
                by_rules[key] += 1
    return [
        RateRow(
            week, template, kind, totals[(week, template, kind)], by_rules[(week, template, kind)]
        )
        for week, template, kind in sorted(totals, key=lambda k: (k[0], k[1], k[2]), reverse=True)
    ]


def overall_rate(rows: list[RateRow]) -> float:
    total = sum(r.total for r in rows)
    return sum(r.by_rules for r in rows) / total if total else 0.0
