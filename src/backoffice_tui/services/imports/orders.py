"""Importing orders."""

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import bindparam, select, update

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.text import attribute_search_text
from backoffice_tui.services.imports.customers import NewCustomers
from backoffice_tui.services.imports.records import CHUNK, SourceRow
from backoffice_tui.services.imports.run import (
    Invalid,
    Pending,
    People,
    Run,
    attribute_changes,
    check_rows,
    name_key,
    require_admin,
    shown,
)
from backoffice_tui.services.work.orders import NewOrder, add_order
from backoffice_tui.services.work.templates import latest_template
from backoffice_tui.store.base import table_of
from backoffice_tui.store.models import Customer, Order, OrderLine, ProcessTemplate, Service


class OrderImport:
    """Orders by code. Consecutive rows with the same code are one order,
    one service (or a comma-separated list) per row. New orders get their
    lines and work items as if received by hand; known ones may change their
    requested date, sales owner and priority."""

    def __init__(self, run: Run) -> None:
        require_admin(run, "orders")
        self.run = run
        self.seen: set[str] = set()
        self.people = People(run.session, run.source.users, run.source.create_users)
        self.services: dict[str, str] = {}
        for code, name in run.session.execute(select(Service.code, Service.name)):
            self.services[name_key(name)] = code
            self.services[code.casefold()] = code
        self.templates: dict[str, ProcessTemplate | None] = {}
        self.new_customers = NewCustomers(run)

    def chunks(self, rows: Iterator[SourceRow]) -> Iterator[list[list[SourceRow]]]:
        groups = (
            list(g) for _, g in itertools.groupby(rows, lambda r: r.values.get("code") or r.number)
        )
        chunk: list[list[SourceRow]] = []
        size = 0
        for group in groups:
            chunk.append(group)
            size += len(group)
            if size >= CHUNK:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    def _template(self, service_code: str) -> ProcessTemplate | None:
        if service_code not in self.templates:
            try:
                self.templates[service_code] = latest_template(self.run.session, service_code)
            except NotFound:
                self.templates[service_code] = None
        return self.templates[service_code]

    def process(self, groups: list[list[SourceRow]]) -> None:
        run = self.run
        good = []
        for group in groups:
            if len(check_rows(run, group)) == len(group):
                good.append(group)
        codes = {g[0].values["code"] for g in good if g[0].values.get("code")}
        existing = {
            o.code: o
            for o in run.session.execute(
                select(
                    Order.id,
                    Order.code,
                    Order.customer_id,
                    Customer.code.label("customer"),
                    Order.received_on,
                    Order.requested_on,
                    Order.sales_owner_id,
                    Order.priority,
                    Order.title,
                    Order.attributes,
                )
                .join(Customer, Customer.id == Order.customer_id)
                .where(Order.code.in_(codes))
            )
        }
        services: dict[int, list[str]] = {}
        for order_id, code in run.session.execute(
            select(OrderLine.order_id, Service.code)
            .join(Service, Service.id == OrderLine.service_id)
            .where(OrderLine.order_id.in_([o.id for o in existing.values()]))
            .order_by(OrderLine.order_id, OrderLine.position)
        ):
            services.setdefault(order_id, []).append(code)
        wanted = {r.values.get("customer") for g in good for r in g} | {
            run.source.defaults.get("customer")
        }
        customers = dict(
            run.session.execute(
                select(Customer.code, Customer.id).where(Customer.code.in_(wanted - {None}))
            ).all()
        )
        pending = []
        for group in good:
            try:
                values, service_codes = self._merge(group)
                code = str(values.get("code") or "")
                if not code:
                    raise Invalid("code", "an order code is required")
                if code in self.seen:
                    raise Invalid("code", f"order {code} is on rows apart; keep its rows together")
                self.seen.add(code)
                current = existing.get(code)
                if current is None:
                    pending.append(self._new(group[0], values, service_codes, customers))
                else:
                    change = self._update(group[0], values, service_codes, current, services)
                    if change is not None:
                        pending.append(change)
            except Invalid as error:
                run.invalid(group[0], error)
        if run.writing:
            self._write(pending)

    def _merge(self, group: list[SourceRow]) -> tuple[dict[str, Any], tuple[str, ...] | None]:
        """One order's values from its rows: later rows may leave cells blank
        but may not contradict the first; services add up. Its attributes
        (``values["attributes"]``) are each the first row's that has one."""
        attributes: dict[str, str] = {}
        for row in group:
            for name, text in (row.attributes or {}).items():
                attributes.setdefault(name, text)
        values: dict[str, Any] = dict.fromkeys(group[0].values)
        first: dict[str, int] = {}
        services: list[str] = []
        for row in group:
            for name, value in row.values.items():
                if name == "services":
                    services.extend(value or ())
                elif value is not None:
                    if values[name] is not None and values[name] != value:
                        raise Invalid(name, f"differs from row {first[name]} of this order", row)
                    values[name] = value
                    first.setdefault(name, row.number)
        values["attributes"] = attributes
        if "services" not in values:
            return values, None
        return values, self._service_codes(services)

    def _service_codes(self, texts: Iterable[str]) -> tuple[str, ...]:
        """Service codes from codes or names as typed."""
        codes = []
        for text in texts:
            service_code = self.services.get(text.casefold()) or self.services.get(name_key(text))
            if service_code is None:
                raise Invalid("services", f"no service {text}")
            codes.append(service_code)
        return tuple(codes)

    def _owner(self, values: Mapping[str, Any]) -> int | None:
        owner = values.get("sales_owner")
        return None if owner is None else self.people.find(owner, "sales_owner", self.run)

    def _priority(self, values: Mapping[str, Any]) -> int | None:
        priority = values.get("priority")
        if priority is not None and not 1 <= priority <= 4:
            raise Invalid("priority", "priority must be 1 (urgent) to 4 (low)")
        return priority

    def _new(
        self,
        row: SourceRow,
        values: dict[str, Any],
        service_codes: tuple[str, ...] | None,
        customers: Mapping[str, int],
    ) -> Pending:
        run = self.run
        code = values["code"]
        if run.options.update_only:
            raise Invalid("code", f"no order {code} (--update-only never creates)")
        values = {**run.source.defaults, **{k: v for k, v in values.items() if v is not None}}
        customer = values.get("customer")
        if customer is None:
            raise Invalid("customer", "a new order needs a customer code")
        self.new_customers.need(
            customer, values.get("customer_name") or customer, row.number, customers
        )
        if not service_codes and run.source.defaults.get("services"):
            service_codes = self._service_codes(run.source.defaults["services"])
        if not service_codes:
            raise Invalid("services", "a new order needs at least one service")
        for service_code in service_codes:
            if self._template(service_code) is None:
                raise Invalid("services", f"no process template for service {service_code}")
        if values.get("received") is None:
            raise Invalid("received", "a new order needs the date it was received")
        owner_id = self._owner(values)
        new = NewOrder(
            code=code,
            customer_code=customer,
            services=service_codes,
            received_on=values["received"],
            requested_on=values.get("requested"),
            sales_owner=self.people.login(owner_id),
            priority=self._priority(values) or 3,
            title=values.get("title") or "",
            attributes=values["attributes"],
        )
        run.created(f"order {code}", vars(new))
        return Pending(
            row.number,
            code,
            {"new": new, "customer_id": customers.get(customer), "owner": owner_id},
        )

    def _update(
        self,
        row: SourceRow,
        values: dict[str, Any],
        service_codes: tuple[str, ...] | None,
        current: Any,
        services: Mapping[int, list[str]],
    ) -> Pending | None:
        customer = values.get("customer")
        if customer is not None and customer != current.customer:
            raise Invalid("customer", f"order {current.code} is of customer {current.customer}")
        had = tuple(services.get(current.id, ()))
        if service_codes is not None and service_codes != had:
            raise Invalid(
                "services", f"the services of an order cannot change (it has {', '.join(had)})"
            )
        received = values.get("received")
        if received is not None and received != current.received_on:
            raise Invalid(
                "received", f"the received date cannot change (it is {current.received_on})"
            )
        diffs = []
        if "requested" in values and values["requested"] != current.requested_on:
            diffs.append(("requested", current.requested_on, values["requested"]))
        owner_id = self._owner(values) if "sales_owner" in values else current.sales_owner_id
        if owner_id != current.sales_owner_id:
            old = self.people.login(current.sales_owner_id)
            diffs.append(("sales_owner", old, self.people.login(owner_id)))
        priority = self._priority(values)
        if priority is not None and priority != current.priority:
            diffs.append(("priority", current.priority, priority))
        title = values.get("title") or "" if "title" in values else current.title
        if title != current.title:
            diffs.append(("title", current.title, title))
        attributes, changed = attribute_changes(
            self.run, values["attributes"], current.attributes or {}
        )
        diffs += changed
        if not diffs:
            self.run.report.unchanged += 1
            return None
        self.run.updated(row.number, f"order {current.code}", diffs)
        new = {
            "requested_on": values.get("requested", current.requested_on),
            "sales_owner_id": owner_id,
            "priority": priority or current.priority,
            "title": title,
            "attributes": attributes,
            "search_text": attribute_search_text(attributes, title),
            "customer_id": current.customer_id,
        }
        return Pending(row.number, current.code, new, current.id, diffs)

    def _write(self, pending: list[Pending]) -> None:
        run = self.run
        label = run.ctx.actor.label
        self.new_customers.write()
        self.people.write(run)
        updates = []
        for p in pending:
            if p.record_id is None:
                new: NewOrder = p.values["new"]
                customer_id = p.values["customer_id"]
                if customer_id is None:
                    customer_id = self.new_customers.id_of(new.customer_code)
                add_order(
                    run.session,
                    run.ctx.actor,
                    run.now,
                    new,
                    customer_id=customer_id,
                    sales_owner_id=self.people.real(p.values["owner"]),
                    template_for=lambda code: self._template(code),  # type: ignore[arg-type, return-value]
                    event_kind="import.created",
                    summary=f"{label} imported order {new.code}: {', '.join(new.services)}",
                    payload=run.payload(p.row),
                )
                continue
            owner_id = self.people.real(p.values["sales_owner_id"])
            updates.append({"b_id": p.record_id, **p.values, "sales_owner_id": owner_id})
            run.event(
                entity="order",
                entity_id=p.record_id,
                kind="import.updated",
                summary=f"{label} imported changes to order {p.key}: "
                + ", ".join(f"{name} {shown(old)} → {shown(new)}" for name, old, new in p.diffs),
                customer_id=p.values["customer_id"],
                order_id=p.record_id,
                payload=run.payload(p.row, p.diffs),
            )
        if updates:
            table = table_of(Order)
            run.session.execute(
                # a new version: a cancel begun before the import is then refused as stale
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(version=table.c.version + 1),
                [{k: v for k, v in u.items() if k != "customer_id"} for u in updates],
            )

    def finish(self) -> None:
        pass
