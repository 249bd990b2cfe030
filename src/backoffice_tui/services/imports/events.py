"""Importing a log: one row per change, each an event on the timeline.

Each row becomes an event at its own time, by its own actor, on its
customer and (when the row names one) its order; the other columns of the
row go with the event. An event keeps a key made from its row (the log's
own id when there is a ``key`` column, else the row's values), so that
importing the same log again, or a later export that repeats its rows,
adds only what is new. Orders and customers the log names but the
database lacks are created (customers with ``create_customers``); an
order's title and attributes are those of its last row new to the
database: each chunk writes those of its last row of each order, and only
a digest of what was written is kept, so memory does not grow with the
attributes of the log.
"""

import bisect
import hashlib
import itertools
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from backoffice_tui.domain.text import attribute_search_text
from backoffice_tui.services.imports.bulk import BulkStatement
from backoffice_tui.services.imports.customers import NewCustomers
from backoffice_tui.services.imports.records import SourceRow
from backoffice_tui.services.imports.run import (
    Invalid,
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
# rows checked and written at a time: each event carries its row's other columns,
# so a chunk of them weighs more than one of other records
_CHUNK = 500


def source_key(row: SourceRow) -> str:
    """What tells this row's event apart from every other: the log's own id
    (with its customer and order), else all the row holds."""
    values = row.values
    key = values.get("key")
    if key is not None:
        parts = ["key", shown(values.get("customer")), shown(values.get("order")), str(key)]
    else:
        parts = [shown(values[name]) for name in sorted(values)]
        for name, text in sorted((row.attributes or {}).items()):
            parts += [name, text]
    text = "\x1f".join(parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(slots=True)
class _OrderState:
    """An order the log names: its id (None until written), its customer,
    and a digest of its title and attributes as last written (or read)."""

    order_id: int | None
    customer_id: int | None
    customer: str
    new: bool
    row: int
    state: int
    received: date | None = None  # a new order's: the day of its first event
    received_written: date | None = None


class _Seen:
    """The events of this file so far, by the first 8 bytes of their keys,
    kept sorted in an array (8 bytes each) plus the current chunk's set."""

    def __init__(self) -> None:
        self._sorted = array("Q")
        self._chunk: set[int] = set()

    def __contains__(self, number: int) -> bool:
        if number in self._chunk:
            return True
        index = bisect.bisect_left(self._sorted, number)
        return index < len(self._sorted) and self._sorted[index] == number

    def add(self, number: int) -> None:
        self._chunk.add(number)

    def settle(self) -> None:
        """Move the chunk's into the array (two sorted runs: a quick sort)."""
        if self._chunk:
            self._sorted = array("Q", sorted(itertools.chain(self._sorted, self._chunk)))
            self._chunk.clear()


def _state(title: str, attributes: dict[str, str]) -> int:
    text = "\x1f".join([title, *(f"{k}\x1e{v}" for k, v in sorted(attributes.items()))])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest())


_NOTHING = _state("", {})
# an order whose state a chunk changes: (code, order, title, attributes, diffs)
_Change = tuple[str, _OrderState, str, dict[str, str], list[tuple[str, Any, Any]]]


class EventImport:
    def __init__(self, run: Run) -> None:
        require_admin(run, "logs")
        self.run = run
        self.people = People(run.session, run.source.users, run.source.create_users)
        self.actors: dict[str, int] = {}
        self.seen = _Seen()
        self.orders: dict[str, _OrderState] = {}
        self.updated: set[str] = set()
        self.to_create: list[tuple[str, _OrderState]] = []  # new orders not written yet
        self._update_state: BulkStatement | None = None
        self.customers: dict[str, int] = {}
        self.new_customers = NewCustomers(run)
        self.default_actor: tuple[int | None, str] = (run.ctx.actor.user_id, run.ctx.actor.login)

    def chunks(self, rows: Iterator[SourceRow]) -> Iterator[list[SourceRow]]:
        return batches(rows, _CHUNK)

    def process(self, chunk: list[SourceRow]) -> None:
        run = self.run
        rows = check_rows(run, chunk)
        keys = [source_key(row) for row in rows]
        stored = set(
            run.session.scalars(select(Event.source_key).where(Event.source_key.in_(keys)))
        )
        stored_orders = self._look_up(rows)
        pending: list[tuple[SourceRow, str]] = []
        # each order's last new row in the chunk: rows imported before have
        # had their say, so importing a log again changes nothing
        last: dict[str, SourceRow] = {}
        for row, key in zip(rows, keys, strict=True):
            number = int(key[:16], 16)
            if key in stored or number in self.seen:
                run.report.unchanged += 1
                continue
            try:
                self._check(row)
            except Invalid as error:
                run.invalid(row, error)
                continue
            self.seen.add(number)
            pending.append((row, key))
            run.created(f"event of row {row.number}", {"key": key}, listed=False)
            order = row.values.get("order")
            if order is not None:
                last[order] = row
                state = self.orders[order]
                if state.new:
                    day = row.values["at"].astimezone().date()
                    if state.received is None or day < state.received:
                        state.received = day
        self.seen.settle()
        changes = [self._state_change(code, row, stored_orders) for code, row in last.items()]
        if run.writing:
            self._write(pending)
            self._write_states([c for c in changes if c is not None])

    def _look_up(self, rows: list[SourceRow]) -> dict[str, tuple[str, dict[str, str]]]:
        """Load the customers and orders of these rows not met before; the
        title and attributes of each of their orders in the database."""
        run = self.run
        defaults = run.source.defaults
        codes = {r.values.get("customer") or defaults.get("customer") for r in rows}
        wanted = codes - set(self.customers) - set(self.new_customers.pending) - {None}
        if wanted:
            for code, customer_id in run.session.execute(
                select(Customer.code, Customer.id).where(Customer.code.in_(wanted))
            ):
                self.customers[code] = customer_id
        # an order this import created holds only what its rows gave: its
        # state is known, and is not read back
        orders = {
            r.values["order"]
            for r in rows
            if r.values.get("order") is not None
            and ((met := self.orders.get(r.values["order"])) is None or not met.new)
        }
        stored: dict[str, tuple[str, dict[str, str]]] = {}
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
                stored[code] = (title, attributes or {})
                if code not in self.orders:
                    state = _state(title, attributes or {})
                    self.orders[code] = _OrderState(
                        order_id, customer_id, sys.intern(customer), False, 0, state
                    )
        return stored

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
        self.new_customers.need(
            code, row.values.get("customer_name") or code, row.number, self.customers
        )
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
            state = _OrderState(
                None,
                self.customers.get(customer),
                sys.intern(customer),  # the same few customers for many orders
                True,
                row.number,
                _NOTHING,
            )
            self.orders[order] = state
            self.to_create.append((order, state))
            self.run.created(f"order {order}", {"customer": customer, "row": row.number})

    def _state_change(
        self, code: str, row: SourceRow, stored: dict[str, tuple[str, dict[str, str]]]
    ) -> _Change | None:
        """The order's title and attributes after its last row of the chunk,
        if they differ from those last written. Rows of later chunks win, so
        the last row of the log is the order's state."""
        state = self.orders.get(code)
        if state is None:  # a bad row's order
            return None
        old_title, old_attributes = stored.get(code, ("", {}))
        title = (row.values["title"] or "") if "title" in row.values else old_title
        attributes, diffs = attribute_changes(self.run, row.attributes, old_attributes)
        digest = _state(title, attributes)
        if digest == state.state:
            return None
        state.state = digest
        if title != old_title:
            diffs.insert(0, ("title", old_title, title))
        if state.new or code in self.updated:
            # what it changes from differs between a dry run and the real
            # import (which wrote the previous chunk's state): only the new state counts
            self.run.note(f"order {code}\x1f{digest:x}")
        else:
            self.updated.add(code)
            self.run.updated(row.number, f"order {code}", diffs)
        return code, state, title, attributes, diffs

    def _write_states(self, changes: list[_Change]) -> None:
        run = self.run
        if not changes:
            return
        if self._update_state is None:
            table = table_of(Order)
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    title=bindparam("v_title"),
                    attributes=bindparam("v_attributes"),
                    search_text=bindparam("v_search_text"),
                    version=table.c.version + 1,
                )
            )
            self._update_state = BulkStatement(
                run.session, statement, {"v_attributes": table.c.attributes}
            )
        self._update_state.execute(
            [
                {
                    "b_id": state.order_id,
                    "v_title": title,
                    "v_attributes": attributes,
                    "v_search_text": attribute_search_text(attributes, title),
                }
                for _, state, title, attributes, _ in changes
            ]
        )
        label = run.ctx.actor.label
        for code, state, _, _, diffs in changes:
            if state.new:
                continue
            assert state.order_id is not None
            run.event(
                entity="order",
                entity_id=state.order_id,
                kind="import.updated",
                summary=f"{label} imported changes to order {code} from a log: "
                + ", ".join(name for name, _, _ in diffs),
                customer_id=state.customer_id,
                order_id=state.order_id,
                payload=run.payload(state.row, diffs),
            )

    def _write(self, pending: list[tuple[SourceRow, str]]) -> None:
        run = self.run
        self.new_customers.write()
        for code, created in self.new_customers.pending.items():
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
        new, self.to_create = self.to_create, []
        if not new:
            return
        table = table_of(Order)
        for _, state in new:
            if state.customer_id is None:
                state.customer_id = self.customers[state.customer]
        # inserted without RETURNING, which SQLite would make one statement
        # per row to keep their order, and their ids read by code
        run.session.execute(
            insert(table),
            [
                {
                    "code": code,
                    "customer_id": state.customer_id,
                    "received_on": state.received,
                    "priority": 3,
                    "title": "",
                    "attributes": {},
                    "search_text": "",
                    "created_at": run.now,
                }
                for code, state in new
            ],
        )
        ids = {
            code: order_id
            for code, order_id in run.session.execute(
                select(table.c.code, table.c.id).where(table.c.code.in_([c for c, _ in new]))
            )
        }
        label = run.ctx.actor.label
        for code, state in new:
            order_id = state.order_id = ids[code]
            state.received_written = state.received
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
        if self.run.writing:
            self._received_dates()

    def _received_dates(self) -> None:
        """New orders were received on the day of their first event (a row
        of a later chunk may be earlier than those the order was made with)."""
        moved = [
            {"b_id": s.order_id, "received_on": s.received}
            for s in self.orders.values()
            if s.new and s.received != s.received_written
        ]
        if moved:
            table = table_of(Order)
            self.run.session.execute(update(table).where(table.c.id == bindparam("b_id")), moved)


def _summary(status: str | None, summary: str | None, order: str | None) -> str:
    if status and summary:
        return f"{status}: {summary}"
    if status or summary:
        return str(status or summary)
    return f"log entry of {order}" if order else "log entry"
