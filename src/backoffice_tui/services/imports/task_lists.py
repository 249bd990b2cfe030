"""Task lists (a WBS, a 工程表) that become orders.

With ``create_steps`` a work-items import whose rows name an order the
database lacks makes that order: its rows are the steps, in file order,
with their status, assignee, planned and actual dates. No process template
has to be written first: the steps are recorded as a new version of the
rows' service (``service`` column or default, else ``task-list``), loaded
like any template, so that the order's line runs on a version that says
what its steps were.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import tomlkit
from sqlalchemy import func, select

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.statuses import WorkStatus, parse_status
from backoffice_tui.domain.text import attribute_search_text
from backoffice_tui.domain.working_days import working_days_between
from backoffice_tui.services.imports.customers import NewCustomers
from backoffice_tui.services.imports.records import SourceRow
from backoffice_tui.services.imports.run import Invalid, People, Run, name_key
from backoffice_tui.services.work.templates import latest_template, load_template_text
from backoffice_tui.store.models import (
    Customer,
    Order,
    OrderLine,
    ProcessTemplate,
    Service,
    WorkItem,
)

DEFAULT_SERVICE = "task-list"
_OPEN = (WorkStatus.READY, WorkStatus.IN_PROGRESS, WorkStatus.BLOCKED)
_FINISHED = (WorkStatus.DONE, WorkStatus.SKIPPED)


@dataclass
class _Step:
    row: int
    name: str
    team_id: int
    team: str
    status: WorkStatus | None
    assignee_id: int | None
    reason: str | None
    priority: int
    due: date | None
    dates: dict[str, date | None]  # planned/actual start/finish, by column
    attributes: dict[str, str]


@dataclass
class _NewOrder:
    code: str
    customer: str
    service: str
    steps: list[_Step] = field(default_factory=list)


class TaskLists:
    """The new orders of one import, held until its end (a task list is one
    order, or a few)."""

    def __init__(self, run: Run, people: People, teams: dict[int, str]) -> None:
        if not run.ctx.actor.is_admin:
            raise InvalidInput(
                f"only an admin can import a task list as new orders; {run.ctx.actor.login} "
                "is not one (without create_steps the rows must name existing steps)"
            )
        self.run = run
        self.people = people
        self.team_ids = {code.casefold(): team_id for team_id, code in teams.items()}
        self.teams = teams
        self.orders: dict[str, _NewOrder] = {}
        self.members = people.members
        self.customers: dict[str, int] = {}  # the known customers of the new orders
        self.new_customers = NewCustomers(run)

    def add(self, row: SourceRow) -> None:
        """Check a row naming an order the database lacks; it becomes a step."""
        run = self.run
        values = {**run.source.defaults, **{k: v for k, v in row.values.items() if v is not None}}
        code, name = values.get("order"), values.get("step")
        if not code:
            raise Invalid("order", "a new step needs its order code")
        if not name:
            raise Invalid("step", "a new step needs its name")
        customer = values.get("customer")
        service = values.get("service") or DEFAULT_SERVICE
        order = self.orders.get(code)
        if order is None:
            if not customer:
                raise Invalid("customer", f"new order {code} needs a customer (or [defaults])")
            self._customer(customer, row.number)
            order = self.orders[code] = _NewOrder(code, customer, service)
            run.created(f"order {code}", {"customer": customer, "service": service})
        elif customer and customer != order.customer:
            raise Invalid("customer", f"order {code} is of customer {order.customer} on its rows")
        elif name_key(service) != name_key(order.service):
            raise Invalid("service", f"order {code} is of service {order.service} on its rows")
        team_code = values.get("team")
        team_id = self.team_ids.get(team_code.casefold()) if team_code else None
        if team_id is None:
            raise Invalid(
                "team",
                f"no team {team_code}"
                if team_code
                else "a new step needs a team column or [defaults] team",
            )
        status = parse_status(values["status"]) if values.get("status") else None
        if status is None and values.get("actual_finish"):
            status = WorkStatus.DONE  # a sheet records what was done by its dates
        assignee_id = None
        if values.get("assignee"):
            assignee_id = self.people.find(values["assignee"], "assignee", run)
            if assignee_id not in self.people.placeholders and (
                (assignee_id, team_id) not in self.members
            ):
                login = self.people.login(assignee_id)
                raise Invalid("assignee", f"{login} is not in team {self.teams[team_id]}")
        reason = values.get("reason")
        if status in (WorkStatus.BLOCKED, WorkStatus.SKIPPED) and not reason:
            raise Invalid("status", f"{status.value} needs a reason (add a reason column)")
        if status is None and values.get("actual_start") and assignee_id is not None:
            status = WorkStatus.IN_PROGRESS
        if status == WorkStatus.IN_PROGRESS and assignee_id is None:
            raise Invalid("status", "an item in progress needs an assignee")
        priority = values.get("priority") or 3
        if not 1 <= priority <= 4:
            raise Invalid("priority", "priority must be 1 (urgent) to 4 (low)")
        dates = {
            column: values.get(name)
            for name, column in (
                ("planned_start", "planned_start_on"),
                ("planned_finish", "planned_finish_on"),
                ("actual_start", "actual_start_on"),
                ("actual_finish", "actual_finish_on"),
            )
        }
        step = _Step(
            row.number,
            str(name),
            team_id,
            self.teams[team_id],
            status,
            assignee_id,
            reason,
            priority,
            values.get("due"),
            dates,
            row.attributes or {},
        )
        order.steps.append(step)
        run.created(f"step {len(order.steps)} '{name}' of order {code}", vars(step))

    def _customer(self, code: str, row: int) -> None:
        """The customer of a new order exists, or this import creates it."""
        if code not in self.customers:
            customer_id = self.run.session.scalar(select(Customer.id).where(Customer.code == code))
            if customer_id is not None:
                self.customers[code] = customer_id
        self.new_customers.need(code, code, row, self.customers)

    def finish(self) -> None:
        if not self.run.writing or not self.orders:
            return
        self.new_customers.write()
        self.people.write(self.run)
        for order in self.orders.values():
            customer_id = self.customers.get(order.customer) or self.new_customers.id_of(
                order.customer
            )
            assert customer_id is not None
            self._write(order, customer_id)

    def _service_code(self, text: str) -> str:
        session = self.run.session
        for code, name in session.execute(select(Service.code, Service.name)):
            if name_key(text) in (name_key(code), name_key(name)):
                return code
        folded = unicodedata.normalize("NFKC", text).strip().casefold()
        return re.sub(r"\s+", "-", folded)[:64]

    def _template(self, order: _NewOrder) -> ProcessTemplate:
        """A new version of the order's service whose steps are its rows."""
        run, session = self.run, self.run.session
        service = self._service_code(order.service)
        version = (
            session.scalar(
                select(func.max(ProcessTemplate.version))
                .join(Service, Service.id == ProcessTemplate.service_id)
                .where(Service.code == service)
            )
            or 0
        ) + 1
        doc = tomlkit.document()
        doc.add(tomlkit.comment(f"The steps of order {order.code}, from {run.source.name}"))
        doc["service"] = service
        doc["name"] = order.service
        doc["version"] = version
        doc["description"] = f"steps of order {order.code} as {run.source.name} listed them"
        steps = tomlkit.aot()
        for position, step in enumerate(order.steps, start=1):
            start, finish = step.dates["planned_start_on"], step.dates["planned_finish_on"]
            days = working_days_between(start, finish) if start and finish else 1
            steps.append(
                {
                    "key": f"step-{position}",
                    "name": step.name,
                    "team": step.team,
                    "sla_days": max(days, 1),
                }
            )
        doc["steps"] = steps
        source = tomlkit.dumps(doc)
        load_template_text(session, run.ctx.actor, source, doc.unwrap(), run.source.name)
        return latest_template(session, service)

    def _write(self, order: _NewOrder, customer_id: int) -> None:
        run, session = self.run, self.run.session
        template = self._template(order)
        starts = [
            d
            for s in order.steps
            for d in (s.dates["planned_start_on"], s.dates["actual_start_on"])
            if d is not None
        ]
        finishes = [
            s.dates["planned_finish_on"] for s in order.steps if s.dates["planned_finish_on"]
        ]
        received = min(starts) if starts else run.now.astimezone().date()
        record = Order(
            code=order.code,
            customer_id=customer_id,
            received_on=received,
            requested_on=max(finishes) if finishes else None,
            priority=min(s.priority for s in order.steps),
            created_at=run.now,
        )
        session.add(record)
        session.flush()
        line = OrderLine(
            order_id=record.id, position=1, service_id=template.service_id, template_id=template.id
        )
        session.add(line)
        session.flush()
        statuses = [s.status or WorkStatus.WAITING for s in order.steps]
        if not any(s in _OPEN for s in statuses) and WorkStatus.WAITING in statuses:
            statuses[statuses.index(WorkStatus.WAITING)] = WorkStatus.READY
        for step, template_step, status in zip(order.steps, template.steps, statuses, strict=True):
            due = (
                step.due
                or step.dates["planned_finish_on"]
                or step.dates["actual_finish_on"]
                or received
            )
            values: dict[str, Any] = {
                "started_at": None,
                "finished_at": None,
                "blocked_reason": None,
                "status_before_block": None,
                "skip_reason": None,
            }
            if status in (WorkStatus.IN_PROGRESS, WorkStatus.DONE):
                values["started_at"] = _moment(step.dates["actual_start_on"], run.now)
            if status in _FINISHED:
                values["finished_at"] = _moment(step.dates["actual_finish_on"], run.now)
            if status == WorkStatus.BLOCKED:
                values.update(blocked_reason=step.reason, status_before_block="ready")
            if status == WorkStatus.SKIPPED:
                values["skip_reason"] = step.reason
            session.add(
                WorkItem(
                    order_line_id=line.id,
                    order_id=record.id,
                    customer_id=customer_id,
                    step_id=template_step.id,
                    position=template_step.position,
                    team_id=step.team_id,
                    assignee_id=self.people.real(step.assignee_id),
                    status=status.value,
                    priority=step.priority,
                    due_on=due,
                    **step.dates,
                    **values,
                    attributes=step.attributes,
                    search_text=attribute_search_text(step.attributes) if step.attributes else "",
                    created_at=run.now,
                    updated_at=run.now,
                )
            )
        run.event(
            entity="order",
            entity_id=record.id,
            kind="import.created",
            summary=f"{run.ctx.actor.label} imported order {order.code} from a task list: "
            f"{len(order.steps)} steps ({template.service.code} version {template.version})",
            customer_id=customer_id,
            order_id=record.id,
            payload=run.payload(order.steps[0].row),
        )


def _moment(day: date | None, now: datetime) -> datetime:
    """A recorded day as a time (local midnight), or now."""
    if day is None:
        return now
    return datetime.combine(day, time()).astimezone().astimezone(UTC)
