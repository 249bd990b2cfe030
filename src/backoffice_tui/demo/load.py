"""Loading the demo data set that ships in ``sample_data/``.

Orders are replayed through the real services with a simulated clock, so
the timelines, versions and events are exactly what operators would have
produced over the past weeks.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from backoffice_tui.demo.applications import load_demo_applications
from backoffice_tui.demo.approvals import load_demo_requests
from backoffice_tui.demo.handoffs import (
    HandoffPlan,
    default_plan,
    read_plans,
    replay_handoff,
)
from backoffice_tui.domain.approvals import RequestState
from backoffice_tui.domain.errors import Conflict, InvalidInput, InvalidTransition, PermissionDenied
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.domain.roles import Role
from backoffice_tui.domain.text import search_key
from backoffice_tui.domain.working_days import add_working_days
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.actions import current_stage_of
from backoffice_tui.services.approvals.approvers import logins_for
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.identity import os_login
from backoffice_tui.services.rules.definitions import load_rule_text, read_rule_file
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.services.work.templates import load_template_in, read_toml
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalRequest,
    Customer,
    Delegation,
    Order,
    Team,
    TeamMembership,
    User,
    WorkItem,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoSummary:
    users: int
    customers: int
    orders: int
    you: str


def _nothing(_: str) -> None:
    pass


def load_organisation(
    db: Database,
    data: dict[str, Any],
    you_login: str,
    today: date | None = None,
    *,
    you_admin: bool = False,
) -> dict[str, Actor]:
    """Teams, users (the ``you`` persona takes the operator's login, and is an
    admin with ``you_admin``) and delegations. A user the database already
    has (its first admin, say) is kept and takes the persona's teams."""
    today = today or date.today()
    with db.write() as session:
        teams = {}
        for team in data["teams"]:
            row = Team(code=team["code"], name=team["name"])
            session.add(row)
            teams[team["code"]] = row
        session.flush()
        actors = {}
        for user in data["users"]:
            you = bool(user.get("you"))
            login = you_login if you else user["login"]
            admin = bool(user.get("admin")) or (you and you_admin)
            person = session.scalar(select(User).where(User.login == login))
            if person is None:
                person = User(login=login, name=user["name"], is_admin=admin)
                session.add(person)
                session.flush()
            else:
                person.is_admin = person.is_admin or admin
            for team_code, roles in user.get("teams", {}).items():
                for role in roles:
                    session.add(
                        TeamMembership(
                            user_id=person.id, team_id=teams[team_code].id, role=Role(role).value
                        )
                    )
            actors[user["login"]] = Actor(person.id, person.login, person.name, person.is_admin)
        for delegation in data.get("delegations", []):
            session.add(
                Delegation(
                    from_user_id=actors[delegation["from"]].user_id,
                    to_user_id=actors[delegation["to"]].user_id,
                    starts_on=today + timedelta(days=delegation["start_days"]),
                    ends_on=today + timedelta(days=delegation["end_days"]),
                )
            )
        record_event(
            session,
            "demo",
            utc_now(),
            entity="demo",
            entity_id=0,
            kind="demo.organisation",
            summary=f"{len(teams)} teams and {len(actors)} users loaded",
        )
    return actors


def load_customers(db: Database, customers: list[dict[str, Any]]) -> None:
    with db.write() as session:
        for c in customers:
            session.add(
                Customer(
                    code=c["code"],
                    name=c["name"],
                    reading=c.get("reading"),
                    segment=c.get("segment", ""),
                    notes=c.get("notes", ""),
                    search_text=search_key(c["code"], c["name"], c.get("reading")),
                )
            )


class _Clock:
    """A settable clock for replaying history."""

    def __init__(self, today: date | None = None) -> None:
        self.today = today
        self.at = utc_now()

    def __call__(self) -> datetime:
        return self.at

    def move_to(self, moment: datetime) -> None:
        """Go to ``moment``, but never later than a few minutes ago (or 08:00
        on the pinned day)."""
        if self.today is not None:
            latest = _office_time(self.today, 8)
        else:
            latest = utc_now() - timedelta(minutes=5)
        self.at = min(moment, latest)


def _office_time(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour=hour), tzinfo=UTC)


def _pick_member(db: Database, team_id: int, actors: dict[str, Actor], role: Role) -> Actor:
    """The first member with ``role``; for operators, one who approves
    nothing in the team if there is one (nobody approves their own request)."""
    with db.read() as session:
        holders = session.scalars(
            select(TeamMembership.user_id)
            .where(TeamMembership.team_id == team_id, TeamMembership.role == role.value)
            .order_by(TeamMembership.user_id)
        ).all()
        if role == Role.OPERATOR:
            deciders = set(
                session.scalars(
                    select(TeamMembership.user_id).where(
                        TeamMembership.team_id == team_id,
                        TeamMembership.role.in_([Role.APPROVER.value, Role.LEAD.value]),
                    )
                )
            )
            holders = sorted(holders, key=lambda user_id: user_id in deciders)
        user_id = holders[0]
    return next(a for a in actors.values() if a.user_id == user_id)


def approve_step(db: Database, clock: _Clock, actors: dict[str, Actor], item_id: int) -> None:
    """Walk a started step's approval (if it has one) through every stage,
    each decided by the first approver who may, an hour apart."""
    with db.read() as session:
        request = session.scalar(
            select(ApprovalRequest.id).where(
                ApprovalRequest.subject_kind == "work_item",
                ApprovalRequest.subject_id == item_id,
                ApprovalRequest.state == RequestState.PENDING.value,
            )
        )
    while request is not None:
        with db.read() as session:
            row = session.get(ApprovalRequest, request)
            assert row is not None
            if row.state != RequestState.PENDING:
                return
            stage = current_stage_of(row)
            by_id = {actor.user_id: actor for actor in actors.values()}
            deciders = [
                by_id[user_id]
                for _, user_id in logins_for(
                    session, list(stage.approvers), clock.at.date(), with_ids=True
                )
                if user_id in by_id and user_id != row.requester_id
            ]
        clock.move_to(clock.at + timedelta(hours=1))
        for decider in deciders:
            try:
                approvals.approve(Context(db, decider, clock), request)
                break
            except (PermissionDenied, InvalidTransition):
                continue
        else:
            raise InvalidInput(f"demo: nobody can approve stage '{stage.name}' of {request}")


def _replay_line(
    db: Database,
    clock: _Clock,
    actors: dict[str, Actor],
    line: dict[str, Any],
    items: list[WorkItem],
    received: date,
    plans: dict[tuple[str, str], HandoffPlan],
    order_code: str,
) -> None:
    """Walk one line through its done steps, then set up its current one.

    Each step is claimed shortly after the previous one finished and done
    after its SLA; a handoff step is finished by handing over and accepting
    (see ``handoffs.toml``). Nothing happens later than a few minutes ago.
    """
    at = clock.move_to
    key = (order_code, str(line["service"]))

    def receiver(plan: HandoffPlan, index: int) -> Actor:
        if plan.receiver:
            return actors[plan.receiver]
        return _pick_member(db, items[index + 1].team_id, actors, Role.LEAD)

    moment = _office_time(received, 1)
    skipped = set(line.get("skipped_steps", []))
    done_steps = min(line.get("done_steps", 0), len(items))
    for index, item in enumerate(items[:done_steps]):
        at(moment + timedelta(minutes=30))
        if item.step.key in skipped:
            lead = _pick_member(db, item.team_id, actors, Role.LEAD)
            lifecycle.skip(Context(db, lead, clock), item.id, line.get("skip_reason", "not needed"))
            moment = clock.at
            continue
        plan = (plans.pop(key, None) or default_plan(*key)) if item.step.handoff else None
        if plan is not None and plan.sender:
            operator = actors[plan.sender]
        else:
            operator = _pick_member(db, item.team_id, actors, Role.OPERATOR)
        ctx = Context(db, operator, clock)
        work_items.claim(ctx, item.id)
        at(clock.at + timedelta(minutes=20))
        lifecycle.start(ctx, item.id)
        approve_step(db, clock, actors, item.id)
        finish_day = add_working_days(clock.at.date(), max(item.step.sla_days - 1, 0))
        finish = max(_office_time(finish_day, 6), clock.at + timedelta(hours=2))
        if plan is not None:
            if plan.state != HandoffState.ACCEPTED:
                raise InvalidInput(f"{plan.where}: the line is past its handoff step")
            replay_handoff(db, clock, operator, receiver(plan, index), item.id, plan, finish)
        else:
            at(finish)
            lifecycle.done(ctx, item.id)
        moment = clock.at
    if done_steps >= len(items):
        return
    current = items[done_steps]
    state = line.get("current", "ready")
    plan = plans.pop(key, None) if current.step.handoff else None
    assignee = line.get("assignee") or (plan.sender if plan else None)
    if (state == "ready" and plan is None) or not assignee:
        return
    if plan is not None and plan.state == HandoffState.ACCEPTED:
        raise InvalidInput(f"{plan.where}: orders.toml leaves the handoff step open")
    ctx = Context(db, actors[assignee], clock)
    at(moment + timedelta(minutes=40))
    work_items.claim(ctx, current.id)
    at(clock.at + timedelta(minutes=15))
    lifecycle.start(ctx, current.id)
    if plan is not None:
        replay_handoff(db, clock, ctx.actor, receiver(plan, done_steps), current.id, plan)
    if state == "blocked":
        at(clock.at + timedelta(hours=2))
        work_items.block(ctx, current.id, line["blocked_reason"])


def load_orders(
    db: Database,
    actors: dict[str, Actor],
    orders: list[dict[str, Any]],
    progress: Progress,
    today: date | None = None,
    handoff_plans: dict[tuple[str, str], HandoffPlan] | None = None,
) -> None:
    """Create the orders and replay their lines; ``handoff_plans`` say how far
    the handoffs got (lines past a handoff step not named there are accepted)."""
    plans = dict(handoff_plans or {})
    clock = _Clock(today)
    today = today or date.today()
    for spec in orders:
        received = today - timedelta(days=spec["received_days_ago"])
        owner = actors[spec["sales_owner"]]
        clock.at = _office_time(received, 0)
        requested = spec.get("requested_in_days")
        order_id = create_order(
            Context(db, owner, clock),
            NewOrder(
                code=spec["code"],
                customer_code=spec["customer"],
                services=tuple(line["service"] for line in spec["lines"]),
                received_on=received,
                requested_on=today + timedelta(days=requested) if requested is not None else None,
                sales_owner=owner.login,
                priority=spec.get("priority", 3),
            ),
        )
        with db.read() as session:
            order = session.get(Order, order_id)
            assert order is not None
            lines = [list(line.work_items) for line in order.lines]
            for items in lines:
                for item in items:
                    _ = item.step.key  # loaded while the session is open
        for line, items in zip(spec["lines"], lines, strict=True):
            _replay_line(db, clock, actors, line, items, received, plans, spec["code"])
        progress(spec["code"])
    if plans:
        unused = ", ".join(f"{order} {service}" for order, service in plans)
        raise InvalidInput(f"handoffs.toml: no open or finished handoff step for {unused}")


def load_base(
    db: Database,
    you_login: str,
    folder: Path | None = None,
    today: date | None = None,
    *,
    you_admin: bool = False,
) -> dict[str, Actor]:
    """Teams, users and the process templates: what any data set stands on."""
    folder = folder or sample_data_dir()
    organisation = read_toml(folder / "organisation.toml")
    actors = load_organisation(db, organisation, you_login, today, you_admin=you_admin)
    with db.write() as session:
        for path in sorted((folder / "templates").glob("*.toml")):
            load_template_in(session, "demo", path)
    return actors


def load_demo_rules(db: Database, folder: Path) -> int:
    """The automation rules in ``folder/rules`` (each its own user
    ``rule:<name>``), enabled; nothing runs them until ``rules run`` or
    ``rules serve`` does."""
    paths = sorted((folder / "rules").glob("*.toml"))
    with db.write() as session:
        for path in paths:
            source, _ = read_rule_file(path)
            load_rule_text(session, "demo", source, f"rules/{path.name}")
    return len(paths)


def load_demo(
    db: Database,
    *,
    you_login: str | None = None,
    data_dir: Path | None = None,
    progress: Progress = _nothing,
    today: date | None = None,
    you_admin: bool = False,
) -> DemoSummary:
    """Load the demo data set into an empty database (users it already has
    are kept); ``you_admin`` makes the operator's persona an admin too, so
    that the demo console can try everything.

    ``today`` pins the day the data is relative to (for repeatable screens).
    All of it is one transaction: a load that fails (a full disk, a refused
    step) leaves the database as empty as it found it.
    """
    with db.one_transaction():
        return _load_demo(db, you_login, data_dir, progress, today, you_admin)


def _load_demo(
    db: Database,
    you_login: str | None,
    data_dir: Path | None,
    progress: Progress,
    today: date | None,
    you_admin: bool,
) -> DemoSummary:
    folder = data_dir or sample_data_dir()
    with db.read() as session:
        if session.scalar(select(func.count()).select_from(Team)):
            raise Conflict(
                f"{db.description} already holds teams; load the demo into an empty database"
            )
    you = you_login or os_login()
    actors = load_base(db, you, folder, today, you_admin=you_admin)
    progress("templates")
    customers = read_toml(folder / "customers.toml")["customers"]
    load_customers(db, customers)  # type: ignore[arg-type]
    progress("customers")
    orders = read_toml(folder / "orders.toml")["orders"]
    plans_file = folder / "handoffs.toml"
    plans = read_plans(read_toml(plans_file)) if plans_file.exists() else {}
    load_orders(db, actors, orders, progress, today, plans)  # type: ignore[arg-type]
    load_demo_applications(db, actors, folder, today)
    progress("applications")
    requests_file = folder / "approvals.toml"
    if requests_file.exists():
        clock = _Clock(today)
        now = _office_time(today, 8) if today else utc_now() - timedelta(minutes=5)
        load_demo_requests(db, actors, read_toml(requests_file), clock, now)
        progress("approvals")
    load_demo_rules(db, folder)
    progress("rules")
    return DemoSummary(
        users=len(actors),
        customers=len(customers),  # type: ignore[arg-type]
        orders=len(orders),  # type: ignore[arg-type]
        you=you,
    )
