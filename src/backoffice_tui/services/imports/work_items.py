"""Importing changes to work items."""

import itertools
from array import array
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import bindparam, select, update

from backoffice_tui.domain.errors import Conflict, InvalidInput, PermissionDenied
from backoffice_tui.domain.roles import Role
from backoffice_tui.domain.statuses import (
    CAN_BLOCK,
    CAN_FINISH,
    CAN_SKIP,
    CAN_START,
    WorkStatus,
    parse_status,
)
from backoffice_tui.domain.text import attribute_search_text
from backoffice_tui.services.imports.bulk import BulkStatement
from backoffice_tui.services.imports.records import CHUNK, BadRow, SourceRow
from backoffice_tui.services.imports.run import (
    IdSet,
    Invalid,
    People,
    Run,
    attribute_changes,
    batches,
    check_rows,
    name_key,
    shown,
)
from backoffice_tui.services.imports.task_lists import TaskLists
from backoffice_tui.store.base import rows_changed, table_of
from backoffice_tui.store.models import (
    Customer,
    Order,
    OrderLine,
    Service,
    Team,
    TeamMembership,
    TemplateStep,
    WorkItem,
)

# The status a row may give an item, by the status it has now. A spreadsheet
# cannot make a waiting step ready (the step before it finishing does that),
# reopen a closed one, or go back from in progress.
_MOVES_INTO: dict[WorkStatus, frozenset[WorkStatus]] = {
    WorkStatus.IN_PROGRESS: CAN_START | {WorkStatus.BLOCKED},
    WorkStatus.DONE: CAN_FINISH | {WorkStatus.READY},
    WorkStatus.BLOCKED: CAN_BLOCK,
    WorkStatus.SKIPPED: CAN_SKIP,
    WorkStatus.READY: frozenset({WorkStatus.BLOCKED}),
    WorkStatus.WAITING: frozenset({WorkStatus.BLOCKED}),
}
_FINISHED = (WorkStatus.DONE, WorkStatus.SKIPPED)
# the dates a project sheet plans and records: field -> column
_PLAN_DATES = {
    "planned_start": "planned_start_on",
    "planned_finish": "planned_finish_on",
    "actual_start": "actual_start_on",
    "actual_finish": "actual_finish_on",
}


def _move(old: WorkStatus, new: WorkStatus) -> None:
    if old not in _MOVES_INTO[new]:
        targets = [s.value for s, sources in _MOVES_INTO.items() if old in sources]
        hint = f"from {old.value} it can become {', '.join(targets)}" if targets else "it is closed"
        raise Invalid("status", f"cannot change {old.value} to {new.value} by import; {hint}")


_ITEM_COLUMNS = (
    WorkItem.id,
    WorkItem.version,
    WorkItem.status,
    WorkItem.assignee_id,
    WorkItem.due_on,
    WorkItem.priority,
    WorkItem.team_id,
    WorkItem.customer_id,
    WorkItem.order_id,
    WorkItem.order_line_id,
    WorkItem.step_id,
    WorkItem.position,
    WorkItem.started_at,
    WorkItem.planned_start_on,
    WorkItem.planned_finish_on,
    WorkItem.actual_start_on,
    WorkItem.actual_finish_on,
    WorkItem.attributes,
    WorkItem.title,
    OrderLine.service_id,
    Order.code.label("order_code"),
    Customer.code.label("customer_code"),
)


class WorkItemImport:
    """Changes to existing work items: status, assignee, due date, priority."""

    def __init__(self, run: Run) -> None:
        self.run = run
        session = run.session
        actor = run.ctx.actor
        self.people = People(session, run.source.users, run.source.create_users)
        self.lead_of: set[int] | None = None
        if not actor.is_admin:
            self.lead_of = set(
                session.scalars(
                    select(TeamMembership.team_id).where(
                        TeamMembership.user_id == actor.user_id,
                        TeamMembership.role == Role.LEAD.value,
                    )
                )
            )
            if not self.lead_of:
                raise PermissionDenied(
                    f"only admins and team leads can import work item changes; "
                    f"{actor.login} leads no team"
                )
        self.teams = dict(session.execute(select(Team.id, Team.code)).all())
        self.steps: dict[int, tuple[str, str]] = {}
        self.step_keys: dict[int, set[str]] = {}  # a step by its name or its key
        self.handoff_steps: set[int] = set()  # finished by accepting their handoff
        for step_id, name, key, handoff in session.execute(
            select(TemplateStep.id, TemplateStep.name, TemplateStep.key, TemplateStep.handoff)
        ):
            self.steps[step_id] = (name, key)
            self.step_keys[step_id] = {name_key(name), name_key(key)}
            if handoff:
                self.handoff_steps.add(step_id)
        self.services = {
            service_id: (code, name)
            for service_id, code, name in session.execute(
                select(Service.id, Service.code, Service.name)
            )
        }
        self.task_lists = (
            TaskLists(run, self.people, self.teams) if run.source.create_steps else None
        )
        self.seen = IdSet()
        self.status_changed = IdSet()
        self.finished = array("q")
        self._statements: dict[tuple[str, ...], BulkStatement] = {}

    def chunks(self, rows: Iterator[SourceRow]) -> Iterator[list[SourceRow]]:
        return batches(rows)

    def _fetch(self, condition: Any) -> list[Any]:
        return list(
            self.run.session.execute(
                select(*_ITEM_COLUMNS)
                .join(Order, Order.id == WorkItem.order_id)
                .join(OrderLine, OrderLine.id == WorkItem.order_line_id)
                .join(Customer, Customer.id == WorkItem.customer_id)
                .where(condition)
            )
        )

    def process(self, chunk: list[SourceRow]) -> None:
        run = self.run
        rows = check_rows(run, chunk)
        default_order = run.source.defaults.get("order")
        if default_order is not None:
            for row in rows:
                if row.values.get("order") is None:
                    row.values["order"] = default_order
        if self.task_lists is not None:
            rows = self._new_steps(rows)
        ids = {r.values["id"] for r in rows if r.values.get("id") is not None}
        by_id = {item.id: item for item in self._fetch(WorkItem.id.in_(ids))} if ids else {}
        orders = {
            r.values["order"]
            for r in rows
            if r.values.get("id") is None and r.values.get("order") is not None
        }
        by_step: dict[tuple[str, str], list[Any]] = {}
        if orders:
            for item in self._fetch(Order.code.in_(orders)):
                for step in self.step_keys[item.step_id]:
                    by_step.setdefault((item.order_code.casefold(), step), []).append(item)
        pending = []
        for row in rows:
            try:
                item = self._item(row, by_id, by_step)
            except Invalid as error:
                run.invalid(row, error)
                continue
            params, diffs, problems = self._changes(row, item)
            version = row.values.get("version")
            if version is not None and version != item.version and (diffs or problems):
                reason = (
                    f"changed in the database since the export "
                    f"(version {item.version}, file has {version})"
                )
                run.refuse(BadRow(row.number, run.column("version"), str(version), reason))
                continue
            for problem in problems:
                run.invalid(row, problem)
            if problems:
                continue
            if not diffs:
                run.report.unchanged += 1
                continue
            if self.lead_of is not None and item.team_id not in self.lead_of:
                team = self.teams[item.team_id]
                key = "id" if row.values.get("id") is not None else "step"
                reason = f"only a lead of team {team} or an admin can change its work"
                run.invalid(row, Invalid(key, reason))
                continue
            if "status" in params:
                self.status_changed.add(item.id)
                if params["status"] in _FINISHED:
                    self.finished.append(item.id)
            run.updated(row.number, self._label(item), diffs, item.version)
            pending.append((item, params, diffs, row.number))
        if run.writing and pending:
            self._write(pending)

    def _new_steps(self, rows: list[SourceRow]) -> list[SourceRow]:
        """Hand the rows of orders the database lacks to the task lists;
        return the others."""
        assert self.task_lists is not None
        orders = {r.values["order"] for r in rows if r.values.get("order") is not None}
        known = set(self.run.session.scalars(select(Order.code).where(Order.code.in_(orders))))
        others = []
        for row in rows:
            order = row.values.get("order")
            if row.values.get("id") is not None or order is None or order in known:
                others.append(row)
                continue
            try:
                self.task_lists.add(row)
            except Invalid as error:
                self.run.invalid(row, error)
        return others

    def _label(self, item: Any) -> str:
        return f"#{item.id} {item.order_code} / {self.steps[item.step_id][0]}"

    def _item(
        self, row: SourceRow, by_id: Mapping[int, Any], by_step: Mapping[tuple[str, str], list[Any]]
    ) -> Any:
        values = row.values
        item_id = values.get("id")
        order, step = values.get("order"), values.get("step")
        if item_id is not None:
            item = by_id.get(item_id)
            if item is None:
                raise Invalid("id", f"no work item {item_id}")
            if order is not None and order.casefold() != item.order_code.casefold():
                raise Invalid("order", f"work item {item_id} is of order {item.order_code}")
            if step is not None and name_key(step) not in self.step_keys[item.step_id]:
                raise Invalid(
                    "step", f"work item {item_id} is step '{self.steps[item.step_id][0]}'"
                )
        else:
            if order is None or step is None:
                raise Invalid("id", "a row needs an id, or an order code and a step")
            matches = by_step.get((order.casefold(), name_key(step)), [])
            service = values.get("service")
            if len(matches) > 1 and service is not None:
                wanted = name_key(service)
                matches = [
                    m
                    for m in matches
                    if wanted in {name_key(part) for part in self.services[m.service_id]}
                ]
            if not matches:
                raise Invalid("step", f"order {order} has no step '{step}'")
            if len(matches) > 1:
                raise Invalid(
                    "step",
                    f"order {order} has step '{step}' in {len(matches)} lines; add a service",
                )
            item = matches[0]
        customer = values.get("customer")
        if customer is not None and customer.casefold() != item.customer_code.casefold():
            raise Invalid(
                "customer",
                f"{self._label(item)} is of customer {item.customer_code}, not {customer}; "
                "nothing of another customer's is changed",
            )
        if self.seen.add(item.id):
            raise Invalid("id" if item_id is not None else "step", "the item is on another row too")
        return item

    def _changes(
        self, row: SourceRow, item: Any
    ) -> tuple[dict[str, Any], list[tuple[str, Any, Any]], list[Invalid]]:
        """The columns to set, the (field, old, new) of each change, and every
        problem of the row."""
        values = row.values
        params: dict[str, Any] = {}
        diffs: list[tuple[str, Any, Any]] = []
        problems: list[Invalid] = []
        assignee_id = item.assignee_id
        if "assignee" in values:
            try:
                assignee_id = self._assignee(values["assignee"], item)
            except Invalid as error:
                problems.append(error)
            if assignee_id != item.assignee_id:
                params["assignee_id"] = assignee_id
                diffs.append(
                    (
                        "assignee",
                        self.people.login(item.assignee_id),
                        self.people.login(assignee_id),
                    )
                )
        status = values.get("status")
        if status is not None and status != item.status:
            try:
                reason = values.get("reason") or self.run.source.defaults.get("reason")
                params.update(self._status(item, status, reason, assignee_id))
            except (Invalid, InvalidInput) as error:
                if isinstance(error, InvalidInput):
                    error = Invalid("status", str(error))
                problems.append(error)
            if "status" in params:
                diffs.append(("status", item.status, params["status"]))
        due = values.get("due")
        if due is not None and due != item.due_on:
            params["due_on"] = due
            diffs.append(("due", item.due_on, due))
        priority = values.get("priority")
        if priority is not None and priority != item.priority:
            if 1 <= priority <= 4:
                params["priority"] = priority
                diffs.append(("priority", item.priority, priority))
            else:
                problems.append(Invalid("priority", "priority must be 1 (urgent) to 4 (low)"))
        for name, column in _PLAN_DATES.items():
            if name in values and values[name] != getattr(item, column):
                params[column] = values[name]
                diffs.append((name, getattr(item, column), values[name]))
        team = values.get("team")
        if team is not None and team.casefold() != self.teams[item.team_id].casefold():
            problems.append(
                Invalid("team", f"the step is team {self.teams[item.team_id]}'s; it cannot move")
            )
        attributes, changed = attribute_changes(self.run, row.attributes, item.attributes or {})
        if changed:
            params["attributes"] = attributes
            params["search_text"] = attribute_search_text(attributes, item.title)
            diffs += changed
        return params, diffs, problems

    def _assignee(self, text: str | None, item: Any) -> int | None:
        if text is None:
            return None
        user_id = self.people.find(text, "assignee", self.run)
        if (
            user_id != item.assignee_id
            and user_id not in self.people.placeholders
            and (user_id, item.team_id) not in self.people.members
        ):
            login = self.people.login(user_id)
            raise Invalid("assignee", f"{login} is not in team {self.teams[item.team_id]}")
        return user_id

    def _status(
        self, item: Any, text: str, reason: str | None, assignee_id: int | None
    ) -> dict[str, Any]:
        new = parse_status(text)
        old = WorkStatus(item.status)
        if new == old:
            return {}
        _move(old, new)
        if new == WorkStatus.DONE and item.step_id in self.handoff_steps:
            raise Invalid(
                "status", "this step ends in a handoff; it is done when the handoff is accepted"
            )
        now = self.run.now
        params: dict[str, Any] = {"status": new.value}
        if old == WorkStatus.BLOCKED:
            params.update(blocked_reason=None, status_before_block=None)
        if new in (WorkStatus.BLOCKED, WorkStatus.SKIPPED):
            if not reason:
                raise Invalid("status", f"{new.value} needs a reason (add a reason column)")
            if new == WorkStatus.BLOCKED:
                params.update(blocked_reason=reason, status_before_block=old.value)
            else:
                params.update(skip_reason=reason, finished_at=now)
        if new == WorkStatus.IN_PROGRESS and assignee_id is None:
            raise Invalid("status", "an item in progress needs an assignee")
        if new in (WorkStatus.IN_PROGRESS, WorkStatus.DONE) and item.started_at is None:
            params["started_at"] = now
        if new == WorkStatus.DONE:
            params["finished_at"] = now
        return params

    def _statement(self, columns: tuple[str, ...]) -> BulkStatement:
        """UPDATE of these columns, only where the version is still the one read."""
        statement = self._statements.get(columns)
        if statement is None:
            table = table_of(WorkItem)
            update_columns = (
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                .values(
                    {
                        **{name: bindparam(f"v_{name}") for name in columns},
                        "version": table.c.version + 1,
                        "updated_at": bindparam("b_now"),
                    }
                )
            )
            typed = {f"v_{name}": table.c[name] for name in columns}
            typed["b_now"] = table.c.updated_at
            statement = BulkStatement(self.run.session, update_columns, typed)
            self._statements[columns] = statement
        return statement

    def _write(self, pending: list[tuple[Any, dict[str, Any], list[Any], int]]) -> None:
        run = self.run
        label = run.ctx.actor.label
        batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self.people.write(run)
        for item, params, diffs, number in pending:
            if "assignee_id" in params:
                params["assignee_id"] = self.people.real(params["assignee_id"])
            columns = tuple(sorted(params))
            batch = batches.setdefault(columns, [])
            batch.append(
                {
                    **{f"v_{name}": value for name, value in params.items()},
                    "b_id": item.id,
                    "b_version": item.version,
                    "b_now": run.now,
                }
            )
            changes = "; ".join(
                f"{name} {shown(old) or 'none'} → {shown(new) or 'none'}"
                for name, old, new in diffs
            )
            payload = run.payload(number, diffs)
            if params.get("blocked_reason") or params.get("skip_reason"):
                payload["reason"] = params.get("blocked_reason") or params.get("skip_reason")
            run.event(
                entity="work_item",
                entity_id=item.id,
                kind="import.updated",
                summary=f"{label} imported changes to '{self.steps[item.step_id][0]}' "
                f"of {item.order_code}: {changes}",
                customer_id=item.customer_id,
                order_id=item.order_id,
                order_line_id=item.order_line_id,
                team_id=item.team_id,
                payload=payload,
            )
        for columns, batch in batches.items():
            if self._statement(columns).execute(batch) != len(batch):
                raise Conflict(
                    "work items changed in the database while the import ran; "
                    "nothing was written; run the import again"
                )

    def finish(self) -> None:
        """The step after each finished one becomes ready, as when it is
        finished by hand (counted only, in a dry run); the orders of task
        lists are written."""
        run = self.run
        if self.task_lists is not None:
            self.task_lists.finish()
        for start in range(0, len(self.finished), CHUNK):
            finished = set(self.finished[start : start + CHUNK])
            lines: dict[int, list[Any]] = {}
            for item in self._fetch(
                WorkItem.order_line_id.in_(
                    select(WorkItem.order_line_id).where(WorkItem.id.in_(finished))
                )
            ):
                lines.setdefault(item.order_line_id, []).append(item)
            ready = []
            for items in lines.values():
                items.sort(key=lambda i: i.position)
                for before, after in itertools.pairwise([*items, None]):
                    if before.id not in finished:
                        continue
                    if after is None:
                        self._line_completed(before)
                    elif after.status == WorkStatus.WAITING and after.id not in self.status_changed:
                        ready.append(after)
            run.report.next_ready += len(ready)
            if run.writing and ready:
                self._make_ready(ready)

    def _line_completed(self, item: Any) -> None:
        if self.run.writing:
            service = self.services[item.service_id][1]
            self.run.event(
                entity="order_line",
                entity_id=item.order_line_id,
                kind="order_line.completed",
                summary=f"{service} of {item.order_code} completed",
                customer_id=item.customer_id,
                order_id=item.order_id,
                order_line_id=item.order_line_id,
                payload={},
            )

    def _make_ready(self, items: list[Any]) -> None:
        run = self.run
        table = table_of(WorkItem)
        result = run.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(status=WorkStatus.READY.value, version=table.c.version + 1, updated_at=run.now),
            [{"b_id": i.id, "b_version": i.version} for i in items],
        )
        if rows_changed(result) != len(items):
            raise Conflict(
                "work items changed in the database while the import ran; "
                "nothing was written; run the import again"
            )
        for item in items:
            service = self.services[item.service_id][1]
            run.event(
                entity="work_item",
                entity_id=item.id,
                kind="work_item.ready",
                summary=f"'{self.steps[item.step_id][0]}' of {item.order_code} ({service}) "
                f"is ready for team {self.teams[item.team_id]}",
                customer_id=item.customer_id,
                order_id=item.order_id,
                order_line_id=item.order_line_id,
                team_id=item.team_id,
                payload={"source": run.source.name},
            )
