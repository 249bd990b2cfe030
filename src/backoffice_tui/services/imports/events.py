"""Importing a log: one row per change, each an event on the timeline.

Each row becomes an event at its own time, by its own actor, on its
customer and (when the row names one) its order; the other columns of the
row go with the event. An event keeps a key made from its row (the log's
own id when there is a ``key`` column, else the row's values), so that
importing the same log again, or a later export that repeats its rows,
adds only what is new. Orders and customers the log names but the
database lacks are created (customers with ``create_customers``); an
order's title and attributes are those of its last row.
"""

import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from backoffice_tui.domain.text import attribute_search_text
from backoffice_tui.services.imports.customers import create_customers, new_customer
from backoffice_tui.services.imports.records import CHUNK, SourceRow
from backoffice_tui.services.imports.run import (
    Invalid,
    Pending,
    People,
    Run,
    attribute_changes,
    batches,
    check_rows,
    require_admin,
    shown,
)
from backoffice_tui.store.base import table_of
from backoffice_tui.store.models import Customer, Event, Order

KIND = "log.entry"
_INTERNED = 40  # attribute values up to this long are shared between rows


def source_key(row: SourceRow) -> str:
    """What tells this row's event apart from every other: the log's own id
    (with its customer and order), else all the row holds."""
    values = row.values
    key = values.get("key")
    if key is not None:
        parts = ["key", values.get("customer"), values.get("order"), key]
    else:
        parts = [shown(values.get(name)) for name in sorted(values)]
        for name, text in sorted((row.attributes or {}).items()):
            parts += [name, text]
    text = "\x1f".join(shown(p) for p in parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass
class _OrderState:
    """An order the log names: its id (None until written), its customer,
    and its title and attributes as of the last row seen."""

    order_id: int | None
    customer_id: int | None
    customer: str
    title: str
    attributes: dict[str, str]
    new: bool
    row: int
    stored: tuple[str, dict[str, str]]  # the title and attributes in the database


class EventImport:
    def __init__(self, run: Run) -> None:
        require_admin(run, "logs")
        self.run = run
        self.people = People(run.session, run.source.users, run.source.create_users)
        self.actors: dict[str, int] = {}
        self.seen: set[str] = set()
        self.orders: dict[str, _OrderState] = {}
        self.customers: dict[str, int] = {}
        self.new_customers: dict[str, Pending] = {}
        self.default_actor: tuple[int | None, str] = (run.ctx.actor.user_id, run.ctx.actor.login)

    def chunks(self, rows: Iterator[SourceRow]) -> Iterator[list[SourceRow]]:
        return batches(rows)

    def process(self, chunk: list[SourceRow]) -> None:
        run = self.run
        rows = check_rows(run, chunk)
        keys = [source_key(row) for row in rows]
        stored = set(
            run.session.scalars(select(Event.source_key).where(Event.source_key.in_(keys)))
        )
        self._look_up(rows)
        pending: list[tuple[SourceRow, str]] = []
        for row, key in zip(rows, keys, strict=True):
            if key in stored or key in self.seen:
                run.report.unchanged += 1
                continue
            try:
                self._check(row)
            except Invalid as error:
                run.invalid(row, error)
                continue
            self.seen.add(key)
            pending.append((row, key))
            run.created(f"event of row {row.number}", {"key": key})
        for row in rows:
            order = row.values.get("order")
            if order is not None and order in self.orders:
                self._remember(self.orders[order], row)
        if run.writing:
            self._write(pending)

    def _look_up(self, rows: list[SourceRow]) -> None:
        """Load the customers and orders of these rows not met before."""
        run = self.run
        defaults = run.source.defaults
        codes = {r.values.get("customer") or defaults.get("customer") for r in rows}
        wanted = codes - set(self.customers) - set(self.new_customers) - {None}
        if wanted:
            for code, customer_id in run.session.execute(
                select(Customer.code, Customer.id).where(Customer.code.in_(wanted))
            ):
                self.customers[code] = customer_id
        orders = {r.values.get("order") for r in rows} - set(self.orders) - {None}
        if orders:
            for order_id, code, customer_id, customer, title, attributes in run.session.execute(
                select(
                    Order.id,
                    Order.code,
                    Order.customer_id,
                    Customer.code,
                    Order.title,
                    Order.attributes,
                )
                .join(Customer, Customer.id == Order.customer_id)
                .where(Order.code.in_(orders))
            ):
                attributes = attributes or {}
                self.orders[code] = _OrderState(
                    order_id,
                    customer_id,
                    customer,
                    title,
                    attributes,
                    False,
                    0,
                    (title, attributes),
                )

    def _customer(self, row: SourceRow) -> str:
        run = self.run
        code = row.values.get("customer") or run.source.defaults.get("customer")
        order = row.values.get("order")
        known = self.orders.get(order) if order is not None else None
        if code is None:
            if known is None:
                raise Invalid("customer", "a row needs a customer code (or an order already known)")
            return known.customer
        if known is not None and known.customer != code:
            raise Invalid("customer", f"order {order} is of customer {known.customer}, not {code}")
        if code not in self.customers and code not in self.new_customers:
            if not run.source.create_customers:
                raise Invalid(
                    "customer",
                    f"no customer {code} (create_customers = true in a mapping creates it)",
                )
            name = row.values.get("customer_name") or code
            created = Pending(row.number, code, new_customer(code, name))
            self.new_customers[code] = created
            run.created(f"customer {code}", created.values)
        return str(code)

    def _check(self, row: SourceRow) -> None:
        """A new event's row: its customer, order and actor exist or will."""
        values = row.values
        if values.get("at") is None:
            raise Invalid("at", "a log row needs its date and time")
        customer = self._customer(row)
        actor = values.get("actor")
        if actor is not None and actor not in self.actors:
            self.actors[actor] = self.people.find(actor, "actor", self.run)
        order = values.get("order")
        if order is not None and order not in self.orders:
            self.orders[order] = _OrderState(
                None, self.customers.get(customer), customer, "", {}, True, row.number, ("", {})
            )
            self.run.created(f"order {order}", {"customer": customer, "row": row.number})

    def _remember(self, state: _OrderState, row: SourceRow) -> None:
        """The order's title and attributes after this row (later rows win)."""
        values = row.values
        if "title" in values:
            state.title = values["title"] or ""
        attributes, _ = attribute_changes(self.run, row.attributes, state.attributes)
        state.attributes = {
            name: sys.intern(text) if len(text) <= _INTERNED else text
            for name, text in attributes.items()
        }
        state.row = row.number

    def _write(self, pending: list[tuple[SourceRow, str]]) -> None:
        run = self.run
        create_customers(run, [c for c in self.new_customers.values() if c.record_id is None])
        for code, created in self.new_customers.items():
            if created.record_id is not None:
                self.customers.setdefault(code, created.record_id)
        self.people.write(run)
        self._create_orders()
        label = run.ctx.actor.label
        for row, key in pending:
            values = row.values
            order_code = values.get("order")
            state = self.orders.get(order_code) if order_code is not None else None
            customer_id = (
                state.customer_id
                if state is not None
                else self.customers[values.get("customer") or run.source.defaults["customer"]]
            )
            actor = values.get("actor")
            actor_id: int | None
            if actor is None:
                actor_id, actor_name = self.default_actor
            else:
                actor_id = self.people.real(self.actors[actor])
                actor_name = self.people.login(self.actors[actor]) or actor
            at: datetime = values["at"]
            at = at.astimezone(UTC)  # a time without a zone is the local one
            status, summary = values.get("status"), values.get("summary")
            payload: dict[str, Any] = run.payload(row.number)
            payload["imported_by"] = label
            if status is not None:
                payload["status"] = status
            if row.attributes:
                payload["values"] = row.attributes
            run.event(
                entity="order" if state is not None else "customer",
                entity_id=state.order_id if state is not None else customer_id,  # type: ignore[arg-type]
                kind=KIND,
                summary=_summary(status, summary, order_code),
                customer_id=customer_id,
                order_id=state.order_id if state is not None else None,
                payload=payload,
                source_key=key,
                happened=(at, actor_id, actor_name),
            )

    def _create_orders(self) -> None:
        """Insert the orders met in this chunk that are not written yet."""
        run = self.run
        new = [(code, s) for code, s in self.orders.items() if s.new and s.order_id is None]
        if not new:
            return
        table = table_of(Order)
        for _, state in new:
            if state.customer_id is None:
                state.customer_id = self.customers[state.customer]
        ids = run.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {
                    "code": code,
                    "customer_id": state.customer_id,
                    "received_on": run.now.date(),
                    "priority": 3,
                    "title": "",
                    "attributes": {},
                    "search_text": "",
                    "created_at": run.now,
                }
                for code, state in new
            ],
        ).scalars()
        label = run.ctx.actor.label
        for order_id, (code, state) in zip(ids, new, strict=True):
            state.order_id = order_id
            run.event(
                entity="order",
                entity_id=order_id,
                kind="import.created",
                summary=f"{label} imported order {code} from a log",
                customer_id=state.customer_id,
                order_id=order_id,
                payload=run.payload(state.row),
            )

    def finish(self) -> None:
        """Each order's title and attributes become its last row's; a new
        order's received date is the day of its first event."""
        run = self.run
        updates = []
        for code, state in self.orders.items():
            old_title, old_attributes = state.stored
            if state.title == old_title and state.attributes == old_attributes:
                continue
            diffs: list[tuple[str, Any, Any]] = []
            if state.title != old_title:
                diffs.append(("title", old_title, state.title))
            diffs += [
                (f"[{name}]", old_attributes.get(name), state.attributes.get(name))
                for name in dict.fromkeys([*old_attributes, *state.attributes])
                if old_attributes.get(name) != state.attributes.get(name)
            ]
            if not state.new:
                run.updated(state.row, f"order {code}", diffs)
            if run.writing and state.order_id is not None:
                updates.append(
                    {
                        "b_id": state.order_id,
                        "title": state.title,
                        "attributes": state.attributes,
                        "search_text": attribute_search_text(state.attributes, state.title),
                    }
                )
                if not state.new:
                    run.event(
                        entity="order",
                        entity_id=state.order_id,
                        kind="import.updated",
                        summary=f"{run.ctx.actor.label} imported changes to order {code}: "
                        + ", ".join(name for name, _, _ in diffs),
                        customer_id=state.customer_id,
                        order_id=state.order_id,
                        payload=run.payload(state.row, diffs),
                    )
        if updates:
            table = table_of(Order)
            run.session.execute(update(table).where(table.c.id == bindparam("b_id")), updates)
        if run.writing:
            self._received_dates()

    def _received_dates(self) -> None:
        """New orders were received on the day of their first event."""
        run = self.run
        new = [s.order_id for s in self.orders.values() if s.new and s.order_id is not None]
        if not new:
            return
        first = (
            select(Event.order_id, Event.at)
            .where(Event.kind == KIND)
            .order_by(Event.order_id, Event.at)
        )
        earliest: dict[int | None, datetime] = {}
        for start in range(0, len(new), CHUNK):
            for order_id, at in run.session.execute(
                first.where(Event.order_id.in_(new[start : start + CHUNK]))
            ):
                earliest.setdefault(order_id, at)
        table = table_of(Order)
        run.session.execute(
            update(table).where(table.c.id == bindparam("b_id")),
            [{"b_id": i, "received_on": at.astimezone().date()} for i, at in earliest.items()],
        )


def _summary(status: str | None, summary: str | None, order: str | None) -> str:
    if status and summary:
        return f"{status}: {summary}"
    if status or summary:
        return str(status or summary)
    return f"log entry of {order}" if order else "log entry"
