"""Generating a large, realistic data set in bulk, for benchmarks.

Rows are written with multi-row inserts in one transaction, bypassing the
per-action services (which would take hours at a million items); the
result has the same shape the services produce: statuses that follow each
line's progress, due dates from the SLAs, and events for the timelines.
The rows carry ids of their own, so the same transaction moves PostgreSQL's
id sequences past them: the next ordinary write gets a free id.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from backoffice_tui.demo.load import load_base
from backoffice_tui.domain.roles import Role
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.domain.text import search_key
from backoffice_tui.domain.working_days import add_working_days
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.identity import os_login
from backoffice_tui.services.insight.rollup import refresh as refresh_stays
from backoffice_tui.services.work.templates import read_toml
from backoffice_tui.store.base import table_of
from backoffice_tui.store.database import Database, catch_up_sequences
from backoffice_tui.store.models import (
    Customer,
    Event,
    Order,
    OrderLine,
    ProcessTemplate,
    Team,
    TeamMembership,
    TemplateStep,
    User,
    WorkItem,
)

BATCH = 5_000


@dataclass(frozen=True)
class GenerateResult:
    customers: int
    orders: int
    work_items: int
    events: int
    seconds: float


@dataclass(frozen=True)
class _Step:
    id: int
    position: int
    team_id: int
    sla_days: int
    name: str


@dataclass(frozen=True)
class _Template:
    id: int
    service_id: int
    service_code: str
    steps: tuple[_Step, ...]


class _BulkWriter:
    """Buffers rows per table and writes them as multi-row inserts, parents
    before children so that foreign keys always hold."""

    def __init__(self, session: Session, tables: list[Any]) -> None:
        self.connection = session.connection()
        self.tables = tables
        self.buffers: dict[Any, list[dict[str, Any]]] = {t: [] for t in tables}
        self.counts: dict[Any, int] = dict.fromkeys(tables, 0)

    def add(self, table: Any, row: dict[str, Any]) -> None:
        self.buffers[table].append(row)

    def pending(self) -> int:
        return max(len(rows) for rows in self.buffers.values())

    def flush(self) -> None:
        for table in self.tables:
            rows = self.buffers[table]
            if rows:
                self.connection.execute(insert(table), rows)
                self.counts[table] += len(rows)
                rows.clear()


def _next_id(session: Session, column: Any) -> int:
    return (session.scalar(select(func.max(column))) or 0) + 1


def _templates(session: Session) -> list[_Template]:
    latest = (
        select(ProcessTemplate.service_id, func.max(ProcessTemplate.version).label("version"))
        .group_by(ProcessTemplate.service_id)
        .subquery()
    )
    templates = session.scalars(
        select(ProcessTemplate).join(
            latest,
            (latest.c.service_id == ProcessTemplate.service_id)
            & (latest.c.version == ProcessTemplate.version),
        )
    ).all()
    return [
        _Template(
            id=t.id,
            service_id=t.service_id,
            service_code=t.service.code,
            steps=tuple(
                _Step(s.id, s.position, s.team_id, s.sla_days, s.name)
                for s in session.scalars(
                    select(TemplateStep)
                    .where(TemplateStep.template_id == t.id)
                    .order_by(TemplateStep.position)
                )
            ),
        )
        for t in templates
    ]


def _members(session: Session) -> dict[int, list[tuple[int, str]]]:
    rows = session.execute(
        select(TeamMembership.team_id, User.id, User.login)
        .join(User, User.id == TeamMembership.user_id)
        .where(TeamMembership.role == Role.OPERATOR.value)
    ).all()
    members: dict[int, list[tuple[int, str]]] = {}
    for team_id, user_id, login in rows:
        members.setdefault(team_id, []).append((user_id, login))
    return members


def _company_name(rng: random.Random, pools: dict[str, Any]) -> tuple[str, str | None]:
    if rng.random() < 0.7:
        stem, stem_reading = rng.choice(pools["jp_company_stems"])
        kind, kind_reading = rng.choice(pools["jp_company_kinds"])
        form = rng.choice(pools["jp_legal_forms"])
        name = f"{form}{stem}{kind}" if rng.random() < 0.6 else f"{stem}{kind}{form}"
        return name, stem_reading + kind_reading
    stem = rng.choice(pools["en_company_stems"])
    kind = rng.choice(pools["en_company_kinds"])
    return f"{stem} {kind} {rng.choice(pools['en_legal_forms'])}", None


def generate(
    db: Database,
    *,
    customers: int,
    work_items: int,
    seed: int = 1,
    progress: Callable[[int], None] = lambda _n: None,
) -> GenerateResult:
    started = time.perf_counter()
    rng = random.Random(seed)
    with db.read() as session:
        has_teams = bool(session.scalar(select(func.count()).select_from(Team)))
    if not has_teams:
        load_base(db, os_login())
    pools = read_toml(sample_data_dir() / "name_pools.toml")
    today = date.today()
    now = datetime.now(UTC)
    with db.write() as session:
        templates = _templates(session)
        members = _members(session)
        customer_id = first_customer = _next_id(session, Customer.id)
        order_id = _next_id(session, Order.id)
        line_id = _next_id(session, OrderLine.id)
        item_id = _next_id(session, WorkItem.id)
        first_item = item_id
        event_id = _next_id(session, Event.id)
        customer_t, order_t, line_t = table_of(Customer), table_of(Order), table_of(OrderLine)
        item_t, event_t = table_of(WorkItem), table_of(Event)
        writer = _BulkWriter(session, [customer_t, order_t, line_t, item_t, event_t])

        for _ in range(customers):
            name, reading = _company_name(rng, pools)
            code = f"G{customer_id:07d}"
            writer.add(
                customer_t,
                {
                    "id": customer_id,
                    "code": code,
                    "name": name,
                    "reading": reading,
                    "segment": rng.choice(("enterprise", "mid-market", "small-business")),
                    "notes": "",
                    "search_text": search_key(code, name, reading),
                    "created_at": now,
                },
            )
            customer_id += 1
            if writer.pending() >= BATCH:
                writer.flush()
        writer.flush()

        def event(
            at: datetime,
            actor: str,
            kind: str,
            summary: str,
            entity: str,
            entity_id: int,
            customer: int,
            order: int,
            line: int | None,
            team: int | None,
        ) -> None:
            nonlocal event_id
            writer.add(
                event_t,
                {
                    "id": event_id,
                    "at": at,
                    "actor_id": None,
                    "actor_name": actor,
                    "on_behalf_of_id": None,
                    "entity": entity,
                    "entity_id": entity_id,
                    "customer_id": customer,
                    "order_id": order,
                    "order_line_id": line,
                    "team_id": team,
                    "kind": kind,
                    "summary": summary,
                    "payload": {},
                },
            )
            event_id += 1

        made = reported = orders_made = 0
        while made < work_items:
            customer = rng.randrange(first_customer, customer_id)
            age = rng.randint(0, 200)
            received = today - timedelta(days=age)
            received_at = datetime(received.year, received.month, received.day, 1, tzinfo=UTC)
            code = f"GO-{order_id:08d}"
            writer.add(
                order_t,
                {
                    "id": order_id,
                    "code": code,
                    "customer_id": customer,
                    "received_on": received,
                    "requested_on": received + timedelta(days=45),
                    "sales_owner_id": None,
                    "priority": rng.choice((1, 2, 3, 3, 3, 4)),
                    "created_at": received_at,
                },
            )
            event(
                received_at,
                "sales",
                "order.created",
                f"order {code} received",
                "order",
                order_id,
                customer,
                order_id,
                None,
                None,
            )
            for position in range(1, rng.choice((1, 1, 1, 2, 3)) + 1):
                template = rng.choice(templates)
                writer.add(
                    line_t,
                    {
                        "id": line_id,
                        "order_id": order_id,
                        "position": position,
                        "service_id": template.service_id,
                        "template_id": template.id,
                    },
                )
                steps = template.steps
                # older orders are further along
                done = min(len(steps), int(rng.random() * (age / 20 + 1) * len(steps) / 3))
                due = received
                for step in steps:
                    due = add_working_days(due, step.sla_days)
                    if step.position <= done:
                        status = WorkStatus.DONE
                    elif step.position == done + 1:
                        status = rng.choices(
                            (WorkStatus.READY, WorkStatus.IN_PROGRESS, WorkStatus.BLOCKED),
                            (5, 4, 1),
                        )[0]
                    else:
                        status = WorkStatus.WAITING
                    assignee = None
                    if status not in (WorkStatus.WAITING, WorkStatus.READY):
                        assignee = rng.choice(members[step.team_id])
                    finished_at = (
                        datetime(due.year, due.month, due.day, 6, tzinfo=UTC)
                        if status == WorkStatus.DONE
                        else None
                    )
                    writer.add(
                        item_t,
                        {
                            "id": item_id,
                            "order_line_id": line_id,
                            "order_id": order_id,
                            "customer_id": customer,
                            "step_id": step.id,
                            "position": step.position,
                            "team_id": step.team_id,
                            "assignee_id": assignee[0] if assignee else None,
                            "status": status.value,
                            "priority": 3,
                            "due_on": due,
                            "started_at": None,
                            "finished_at": finished_at,
                            "blocked_reason": "waiting for the customer"
                            if status == WorkStatus.BLOCKED
                            else None,
                            "status_before_block": "in_progress"
                            if status == WorkStatus.BLOCKED
                            else None,
                            "skip_reason": None,
                            "created_at": received_at,
                            "updated_at": received_at,
                            "version": 1,
                        },
                    )
                    if assignee is not None and finished_at is not None:
                        event(
                            finished_at,
                            assignee[1],
                            "work_item.done",
                            f"{assignee[1]} finished '{step.name}' of {code}",
                            "work_item",
                            item_id,
                            customer,
                            order_id,
                            line_id,
                            step.team_id,
                        )
                    item_id += 1
                    made += 1
                line_id += 1
            order_id += 1
            orders_made += 1
            if writer.pending() >= BATCH:
                writer.flush()
                progress(min(made, work_items) - reported)
                reported = min(made, work_items)
        writer.flush()
        # the generated items' time so far, from the events just written
        refresh_stays(session, select(WorkItem.id).where(WorkItem.id >= first_item))
        catch_up_sequences(session, writer.tables)
        progress(made - reported)
    return GenerateResult(
        customers=customers,
        orders=orders_made,
        work_items=made,
        events=writer.counts.get(event_t, 0),
        seconds=time.perf_counter() - started,
    )
