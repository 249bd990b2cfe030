"""Running rules: each firing exactly once, failures retried with backoff.

A firing is one rule on one subject for one ``fire_key`` (the event, the
schedule slot, the due date). Its ``rule_firings`` row, unique on (rule,
fire_key), is written in the same transaction as its actions: of two
runners handling the same event one commits and the other's insert is
refused, and a runner killed mid-batch that reads the batch again finds
the firings it committed. Several firings share a transaction, each in
a savepoint of its own (:func:`fire_all`). An action that fails rolls its
whole firing back, and only it; the failure is then recorded on its own
and tried again later (30 s, 1 min, 2 min ... up to 5 attempts), and a
rule that cannot do its work says so in ``rules history`` instead of
dropping it.

A rule never fires on an event its own actions wrote. Events written by a
firing are kept with its depth (``rule_caused_events``): a rule that an
event of depth N triggers fires at depth N+1, and beyond its ``max_depth``
the chain stops with a ``rule.chain_stopped`` event.
"""

import logging
import time as clock
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy import event as orm_event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import BackofficeError, DatabaseUnavailable
from backoffice_tui.services.connection import jittered
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import EventRecord, record_event
from backoffice_tui.services.rules.actions import Acting, Target, perform
from backoffice_tui.services.rules.conditions import (
    MANY_AT_ONCE,
    Pushed,
    current_fields,
    fields_many,
    matches,
    pushdown,
)
from backoffice_tui.services.rules.definitions import LiveRule, live_rules, rule_login
from backoffice_tui.services.rules.feed import RuleFeed
from backoffice_tui.services.rules.triggers import (
    CHUNK,
    Candidate,
    schedule_slot,
    scheduled,
    subject_of_event,
    timed,
)
from backoffice_tui.store.base import rows_changed, table_of, utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, RuleCausedEvent, RuleFiring

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
MAX_PER_RUN = 500  # firings of one rule in one ``rules run``


def _pairs(rows: Any) -> dict[Any, Any]:
    return {row[0]: row[1] for row in rows}


def retry_delay(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``."""
    wait: timedelta = FIRST_RETRY * 2 ** max(0, attempts - 1)
    return min(LONGEST_RETRY, wait)


@dataclass(frozen=True)
class Firing:
    """What one firing came to."""

    rule: str
    fire_key: str
    entity: str
    entity_id: int | None
    outcome: str  # done | failed | given_up | stopped | already | skipped
    actions: tuple[dict[str, Any], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Plan:
    rule: LiveRule
    trigger: str  # event | schedule | time
    candidate: Candidate
    event_id: int | None = None
    depth: int = 1


class _Duplicate(Exception):
    """The firing is already recorded (another runner, or an earlier run)."""


class _NoLongerHolds(Exception):
    """The rule's conditions no longer hold for the subject."""


def _error_text(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:1000]


def _context(db: Database, rule: LiveRule, now: Callable[[], datetime]) -> Context:
    return Context(db=db, actor=rule.actor, clock=now)


@dataclass(eq=False)
class _Caught:
    """The ids of the events a firing's actions write, as they are flushed."""

    ids: list[int] = field(default_factory=list)

    def __call__(self, session: Session, _context: Any) -> None:
        self.ids.extend(obj.id for obj in session.new if isinstance(obj, Event))


def _record_stop(db: Database, plan: Plan, now: datetime) -> Firing:
    rule, candidate = plan.rule, plan.candidate
    try:
        with db.write() as session:
            session.add(
                RuleFiring(
                    **_values(
                        plan, "stopped", now, error=f"chain deeper than {rule.spec.max_depth}"
                    )
                )
            )
            session.flush()
            record_event(
                session,
                rule.actor,
                now,
                entity="rule",
                entity_id=rule.id,
                kind="rule.chain_stopped",
                summary=(
                    f"rule {rule.name} not fired on {candidate.entity} {candidate.entity_id}: "
                    f"a chain of rules reached depth {rule.spec.max_depth}"
                ),
                payload={"rule": rule.name, "event_id": plan.event_id, "depth": plan.depth},
            )
    except IntegrityError:
        return _firing(plan, "already")
    return _firing(plan, "stopped")


def _values(plan: Plan, outcome: str, now: datetime, **values: Any) -> dict[str, Any]:
    """The columns of the plan's ``rule_firings`` row."""
    return {
        "rule_id": plan.rule.id,
        "rule_version": plan.rule.version,
        "fire_key": plan.candidate.fire_key,
        "trigger": plan.trigger,
        "event_id": plan.event_id,
        "entity": plan.candidate.entity,
        "entity_id": plan.candidate.entity_id,
        "depth": plan.depth,
        "outcome": outcome,
        "actions": [],
        "attempts": 1,
        "at": now,
        **values,
    }


def _firing(
    plan: Plan, outcome: str, actions: Iterable[dict[str, Any]] = (), error: str | None = None
) -> Firing:
    c = plan.candidate
    return Firing(plan.rule.name, c.fire_key, c.entity, c.entity_id, outcome, tuple(actions), error)


# the statements of each firing, made once
_FIRINGS = table_of(RuleFiring)
_CLAIM = insert(_FIRINGS).returning(_FIRINGS.c.id)
_FINISH = (
    update(_FIRINGS)
    .where(_FIRINGS.c.id == bindparam("firing"))
    .values(
        actions=bindparam("done"),
        finished_at=bindparam("finished"),
        error=None,
        next_retry_at=None,
    )
)
_CAUSED = insert(table_of(RuleCausedEvent))


def _act(
    db: Database, plan: Plan, now: Callable[[], datetime], claim: Callable[[Session], int]
) -> list[dict[str, Any]]:
    """Claim the firing and run its actions, all in one transaction (a
    savepoint of the batch's, in :func:`fire_all`): the claim, the subject
    read again, the actions, then the row finished and the events it caused."""
    rule, candidate = plan.rule, plan.candidate
    caught = _Caught()
    with db.one_transaction(), db.write() as session:
        try:
            firing_id = claim(session)
        except IntegrityError:
            raise _Duplicate from None
        read: list[object] = []  # what the actions find in the session
        fields = current_fields(session, candidate.entity, candidate.entity_id, read)
        if fields is None or not matches(rule.spec.when, fields):
            raise _NoLongerHolds
        acting = Acting(
            _context(db, rule, now),
            rule.id,
            rule.name,
            Target(candidate.entity, candidate.entity_id, fields),
        )
        orm_event.listen(session, "after_flush", caught)
        try:
            done = [perform(acting, action) for action in rule.spec.actions]
            session.flush()
        finally:
            orm_event.remove(session, "after_flush", caught)
        connection = session.connection()  # plain statements: nothing here is in the ORM
        connection.execute(_FINISH, {"firing": firing_id, "done": done, "finished": now()})
        caused = list(dict.fromkeys(caught.ids))
        if caused:
            connection.execute(
                _CAUSED,
                [
                    {"event_id": event_id, "firing_id": firing_id, "depth": plan.depth}
                    for event_id in caused
                ],
            )
    return done


def fire(db: Database, plan: Plan, now: Callable[[], datetime] = utc_now) -> Firing:
    """Fire one rule on one subject, once (see the module's docstring)."""
    at = now()
    if plan.depth > plan.rule.spec.max_depth:
        return _record_stop(db, plan, at)

    def claim(session: Session) -> int:
        firing_id: int = (
            session.connection().execute(_CLAIM, _values(plan, "done", at)).scalar_one()
        )
        return firing_id

    try:
        done = _act(db, plan, now, claim)
    except _Duplicate:
        return _firing(plan, "already")
    except _NoLongerHolds:
        return _firing(plan, "skipped")
    except (BackofficeError, SQLAlchemyError) as error:
        if isinstance(error, DatabaseUnavailable):
            raise
        message = _error_text(error)
        try:
            with db.write() as session:
                session.add(
                    RuleFiring(
                        **_values(
                            plan, "failed", at, error=message, next_retry_at=at + retry_delay(1)
                        )
                    )
                )
        except IntegrityError:
            return _firing(plan, "already")
        log.warning("rule %s failed on %s: %s", plan.rule.name, plan.candidate.fire_key, message)
        return _firing(plan, "failed", error=message)
    return _firing(plan, "done", done)


FIRINGS_PER_TRANSACTION = 25
TRANSACTION_SECONDS = 0.1  # a batch's firings are committed at least this often


def fire_all(
    db: Database,
    plans: Iterable[Plan],
    now: Callable[[], datetime] = utc_now,
    on_firing: Callable[[Firing], None] = lambda firing: None,
) -> list[Firing]:
    """Fire each plan as :func:`fire` does, several firings to a
    transaction: each firing is a savepoint in it, so one that fails or
    was made already is undone alone (and a failure recorded, as on its
    own) while the others stand. A transaction holds at most
    ``FIRINGS_PER_TRANSACTION`` firings or ``TRANSACTION_SECONDS`` of
    work; ``on_firing`` hears of each firing once it is committed. An
    error that ends the transaction (the database gone, the runner
    stopped) undoes its firings, which a runner reading the events again
    makes then."""
    waiting = list(plans)
    results: list[Firing] = []
    while len(results) < len(waiting):
        batch: list[Firing] = []
        started = clock.monotonic()
        with db.one_transaction():
            for plan in waiting[len(results) : len(results) + FIRINGS_PER_TRANSACTION]:
                batch.append(fire(db, plan, now))
                if clock.monotonic() - started >= TRANSACTION_SECONDS:
                    break
        results.extend(batch)
        for firing in batch:
            on_firing(firing)
    return results


def retry_due(
    db: Database, now: Callable[[], datetime] = utc_now, rules: list[LiveRule] | None = None
) -> list[Firing]:
    """Try again every failed firing whose time has come."""
    by_id = {rule.id: rule for rule in (rules if rules is not None else live_rules(db))}
    with db.read() as session:
        due = session.scalars(
            select(RuleFiring)
            .where(RuleFiring.outcome == "failed", RuleFiring.next_retry_at <= now())
            .order_by(RuleFiring.next_retry_at)
            .limit(200)
        ).all()
    results = []
    for row in due:
        rule = by_id.get(row.rule_id)
        if rule is None:
            continue  # disabled: it waits until the rule is enabled again
        candidate = Candidate(row.entity, row.entity_id or 0, row.fire_key)
        plan = Plan(rule, row.trigger, candidate, row.event_id, row.depth)
        results.append(_retry(db, plan, row.id, row.attempts, now))
    return results


def _retry(
    db: Database, plan: Plan, firing_id: int, attempts: int, now: Callable[[], datetime]
) -> Firing:
    def claim(session: Session) -> int:
        changed = rows_changed(
            session.execute(
                update(RuleFiring)
                .where(
                    RuleFiring.id == firing_id,
                    RuleFiring.outcome == "failed",
                    RuleFiring.attempts == attempts,
                )
                .values(outcome="done", attempts=attempts + 1, rule_version=plan.rule.version)
                .execution_options(synchronize_session=False)
            )
        )
        if changed != 1:
            raise _Duplicate
        return firing_id

    try:
        done = _act(db, plan, now, claim)
    except _Duplicate:
        return _firing(plan, "already")
    except (_NoLongerHolds, BackofficeError, SQLAlchemyError) as error:
        if isinstance(error, DatabaseUnavailable):
            raise
        at = now()
        held = not isinstance(error, _NoLongerHolds)
        message = _error_text(error) if held else "its conditions no longer hold"
        outcome = (
            "failed"
            if held and attempts + 1 < MAX_ATTEMPTS
            else ("given_up" if held else "skipped")
        )
        with db.write() as session:
            session.execute(
                update(RuleFiring)
                .where(RuleFiring.id == firing_id, RuleFiring.attempts == attempts)
                .values(
                    outcome=outcome,
                    attempts=attempts + 1,
                    error=message,
                    finished_at=at,
                    next_retry_at=at + retry_delay(attempts + 1) if outcome == "failed" else None,
                )
            )
        return _firing(plan, outcome, error=message)
    return _firing(plan, "done", done)


# --- events ---------------------------------------------------------------------------------


def plans_for_events(db: Database, rules: list[LiveRule], events: list[EventRecord]) -> list[Plan]:
    """The firings a batch of events calls for: rules triggered by the
    event's kind whose conditions hold for its subject now (the subjects'
    fields read together, work items in one query)."""
    wanted = [r for r in rules if r.enabled and r.spec.trigger.kind == "event"]
    if not wanted or not events:
        return []
    with db.read() as session:
        depths: dict[int, int] = {}
        for start in range(0, len(events), MANY_AT_ONCE):
            ids = [e.id for e in events[start : start + MANY_AT_ONCE]]
            depths |= _pairs(
                session.execute(
                    select(RuleCausedEvent.event_id, RuleCausedEvent.depth).where(
                        RuleCausedEvent.event_id.in_(ids)
                    )
                )
            )
        found: list[tuple[EventRecord, LiveRule, int]] = []
        for ev in events:
            for rule in wanted:
                if ev.kind not in rule.spec.trigger.events or ev.actor == rule_login(rule.name):
                    continue
                subject_id = subject_of_event(session, rule.spec.subject, ev.entity, ev.entity_id)
                if subject_id is not None:
                    found.append((ev, rule, subject_id))
        subjects: dict[str, list[int]] = {}
        for _ev, rule, subject_id in found:
            subjects.setdefault(rule.spec.subject, []).append(subject_id)
        fields = {entity: fields_many(session, entity, ids) for entity, ids in subjects.items()}
    plans = []
    for ev, rule, subject_id in found:
        subject = fields[rule.spec.subject].get(subject_id)
        if subject is None or not matches(rule.spec.when, subject):
            continue
        candidate = Candidate(rule.spec.subject, subject_id, f"event:{ev.id}")
        plans.append(Plan(rule, "event", candidate, ev.id, depths.get(ev.id, 0) + 1))
    return plans


def handle_events(
    db: Database,
    rules: list[LiveRule],
    events: list[EventRecord],
    now: Callable[[], datetime] = utc_now,
    on_firing: Callable[[Firing], None] = lambda firing: None,
) -> list[Firing]:
    """Fire what a batch of events calls for (:func:`fire_all`)."""
    return fire_all(db, plans_for_events(db, rules, events), now, on_firing)


@dataclass
class ServeStats:
    events: int = 0
    firings: list[Firing] = field(default_factory=list)
    batches: int = 0


def serve(
    db: Database,
    *,
    name: str = "serve",
    poll_seconds: float = 0.2,
    should_stop: Callable[[], bool] = lambda: False,
    on_firing: Callable[[Firing], None] = lambda firing: None,
    now: Callable[[], datetime] = utc_now,
    reload_seconds: float = 30.0,
) -> ServeStats:
    """Follow the change feed and fire event-triggered rules until
    ``should_stop()``; the cursor is saved after each batch, so a restarted
    runner resumes from its last handled events."""
    stats = ServeStats()
    feed = RuleFeed(db, name)
    rules: list[LiveRule] = []
    loaded_at = -reload_seconds
    retried_at = 0.0

    def heard(firing: Firing) -> None:
        stats.firings.append(firing)
        on_firing(firing)

    while not should_stop():
        try:
            if not feed.started:
                try:
                    feed.resume()
                except IntegrityError:
                    feed.started = False
                    continue
            if clock.monotonic() - loaded_at >= reload_seconds:
                rules, loaded_at = live_rules(db), clock.monotonic()
            events = feed.read()
            if any(ev.entity == "rule" for ev in events):
                rules, loaded_at = live_rules(db), clock.monotonic()
            handle_events(db, rules, events, now, heard)
            if events:
                feed.save()
                stats.events += len(events)
                stats.batches += 1
            if clock.monotonic() - retried_at >= 5:
                retried_at = clock.monotonic()
                for firing in retry_due(db, now, rules):
                    stats.firings.append(firing)
                    on_firing(firing)
        except DatabaseUnavailable as error:
            log.warning("rules serve: %s; trying again", error)
            clock.sleep(jittered(2.0))
            feed.started = False
            continue
        if not events:
            clock.sleep(poll_seconds)
    return stats


# --- schedules and time conditions ------------------------------------------------------------


def _fired_keys(session: Session, rule_id: int, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        session.scalars(
            select(RuleFiring.fire_key).where(
                RuleFiring.rule_id == rule_id, RuleFiring.fire_key.in_(keys)
            )
        )
    )


@dataclass(frozen=True)
class Due:
    """The firings a schedule or time rule calls for now (at most the
    limit), and how many more it calls for, left for the next run."""

    plans: list[Plan]
    more: int = 0


def _batched(found: Iterator[Candidate], size: int) -> Iterator[list[Candidate]]:
    chunk: list[Candidate] = []
    for candidate in found:
        chunk.append(candidate)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _holding(
    session: Session, rule: LiveRule, pushed: Pushed | None, fresh: list[Candidate]
) -> list[Candidate]:
    """The candidates the rule's conditions hold for: all of them when the
    query tested them already, else tested on fields read for the chunk."""
    when = rule.spec.when
    if pushed is not None and pushed.exact:
        return fresh
    kinds: dict[str, list[int]] = {}
    for candidate in fresh:
        kinds.setdefault(candidate.entity, []).append(candidate.entity_id)
    many = {entity: fields_many(session, entity, ids) for entity, ids in kinds.items()}
    return [
        c
        for c in fresh
        if c.entity_id in many[c.entity] and matches(when, many[c.entity][c.entity_id])
    ]


def evaluate(
    db: Database, rule: LiveRule, now: datetime, limit: int = MAX_PER_RUN, count_more: bool = True
) -> Due:
    """The firings a schedule or time rule calls for now, not yet made,
    whose conditions hold: for work items, the conditions a column decides
    are part of the candidate query (``conditions.pushdown``), the rest is
    tested a chunk at a time; firings already made are left out a chunk at
    a time by their keys. Beyond ``limit`` the firings are only counted
    (with ``count_more``; else the count stops at the first)."""
    trigger = rule.spec.trigger
    slot = None
    if trigger.kind == "schedule":
        slot = schedule_slot(trigger, now)
        if slot is None:
            return Due([])
    plans: list[Plan] = []
    more = 0
    with db.read() as session:
        pushed = pushdown(session, rule.spec.when) if rule.spec.subject == "work_item" else None
        where = pushed.where if pushed is not None else None
        if slot is not None:
            found = scheduled(session, rule.spec.subject, slot, where)
        else:
            found = timed(session, rule.spec.subject, trigger, now, where)
        for chunk in _batched(found, CHUNK):
            fired = _fired_keys(session, rule.id, [c.fire_key for c in chunk])
            fresh = [c for c in chunk if c.fire_key not in fired]
            for candidate in _holding(session, rule, pushed, fresh):
                if len(plans) < limit:
                    plans.append(Plan(rule, trigger.kind, candidate))
                else:
                    more += 1
                    if not count_more:
                        break
            if more and not count_more:
                break
    return Due(plans, more)


def due_plans(db: Database, rule: LiveRule, now: datetime, limit: int = MAX_PER_RUN) -> list[Plan]:
    """The firings a schedule or time rule calls for now, not yet made,
    whose conditions hold (at most ``limit``)."""
    return evaluate(db, rule, now, limit, count_more=False).plans


@dataclass(frozen=True)
class RunResult:
    firings: tuple[Firing, ...]
    retried: tuple[Firing, ...]
    left: tuple[tuple[str, int], ...] = ()  # (rule, firings left for the next run)


def run_once(
    db: Database, now: Callable[[], datetime] = utc_now, names: list[str] | None = None
) -> RunResult:
    """Evaluate every enabled schedule and time rule once, and retry the
    failed firings whose time has come (for cron). A rule fires at most
    ``MAX_PER_RUN`` times in one run; the firings beyond are counted in
    ``left`` and made by the next runs."""
    rules = live_rules(db)
    firings: list[Firing] = []
    left: list[tuple[str, int]] = []
    at = now()
    for rule in rules:
        if rule.spec.trigger.kind == "event" or (names and rule.name not in names):
            continue
        due = evaluate(db, rule, at, limit=MAX_PER_RUN)
        firings.extend(fire_all(db, due.plans, now))
        if due.more:
            left.append((rule.name, due.more))
    return RunResult(tuple(firings), tuple(retry_due(db, now, rules)), tuple(left))
