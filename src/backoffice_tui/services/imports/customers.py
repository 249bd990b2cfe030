"""Importing customers."""

from collections.abc import Container, Iterator
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from backoffice_tui.domain.text import attribute_search_text
from backoffice_tui.services.imports.records import SourceRow
from backoffice_tui.services.imports.run import (
    Invalid,
    Pending,
    Run,
    attribute_changes,
    batches,
    check_rows,
    present_diffs,
    require_admin,
)
from backoffice_tui.store.base import table_of
from backoffice_tui.store.models import Customer

_CUSTOMER_FIELDS = ("name", "reading", "segment", "notes")


class CustomerImport:
    """Customers by code: new ones are created, known ones updated."""

    def __init__(self, run: Run) -> None:
        require_admin(run, "customers")
        self.run = run
        self.seen: set[str] = set()

    def chunks(self, rows: Iterator[SourceRow]) -> Iterator[list[SourceRow]]:
        return batches(rows)

    def process(self, chunk: list[SourceRow]) -> None:
        run = self.run
        rows = check_rows(run, chunk)
        codes = {r.values["code"] for r in rows if r.values.get("code")}
        existing = {
            c.code: c
            for c in run.session.execute(
                select(
                    Customer.id,
                    Customer.code,
                    Customer.name,
                    Customer.reading,
                    Customer.segment,
                    Customer.notes,
                    Customer.attributes,
                ).where(Customer.code.in_(codes))
            )
        }
        pending = []
        for row in rows:
            try:
                code = self._code(row)
                current = existing.get(code)
                if current is None:
                    pending.append(self._new(row, code))
                    continue
                for name in ("segment", "notes"):
                    if name in row.values and row.values[name] is None:
                        row.values[name] = ""
                if "name" in row.values and not row.values["name"]:
                    raise Invalid("name", "the name cannot be blank")
                diffs = present_diffs(row, current, _CUSTOMER_FIELDS)
                attributes, changed = attribute_changes(
                    run, row.attributes, current.attributes or {}
                )
                if not diffs and not changed:
                    run.report.unchanged += 1
                    continue
                values = {name: getattr(current, name) for name in ("code", *_CUSTOMER_FIELDS)}
                values.update({name: new for name, _, new in diffs})
                values["attributes"] = attributes
                diffs += changed
                run.updated(row.number, f"customer {code}", diffs)
                pending.append(Pending(row.number, code, values, current.id, diffs))
            except Invalid as error:
                run.invalid(row, error)
        if run.writing:
            self._write(pending)

    def _code(self, row: SourceRow) -> str:
        code = row.values.get("code")
        if not code:
            raise Invalid("code", "a customer code is required")
        if code in self.seen:
            raise Invalid("code", f"customer {code} is on more than one row")
        self.seen.add(code)
        return str(code)

    def _new(self, row: SourceRow, code: str) -> Pending:
        if self.run.options.update_only:
            raise Invalid("code", f"no customer {code} (--update-only never creates)")
        given = {k: v for k, v in row.values.items() if v is not None}
        values = {**self.run.source.defaults, **given}
        if not values.get("name"):
            raise Invalid("name", "a new customer needs a name")
        new = new_customer(code, values["name"], values, row.attributes)
        self.run.created(f"customer {code}", new)
        return Pending(row.number, code, new)

    def _write(self, pending: list[Pending]) -> None:
        run = self.run
        table = table_of(Customer)
        label = run.ctx.actor.label
        create_customers(run, [p for p in pending if p.record_id is None])
        updates = [p for p in pending if p.record_id is not None and p.diffs]
        if updates:
            run.session.execute(
                # a new version: an edit begun before the import is then refused as stale
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(version=table.c.version + 1),
                [
                    {
                        "b_id": p.record_id,
                        **{name: p.values[name] for name in (*_CUSTOMER_FIELDS, "attributes")},
                        "search_text": _search_text(p.key, p.values),
                    }
                    for p in updates
                ],
            )
        for p in updates:
            assert p.record_id is not None
            run.event(
                entity="customer",
                entity_id=p.record_id,
                kind="import.updated",
                summary=f"{label} imported changes to customer {p.key}: "
                + ", ".join(name for name, _, _ in p.diffs),
                customer_id=p.record_id,
                payload=run.payload(p.row, p.diffs),
            )

    def finish(self) -> None:
        pass


def new_customer(
    code: str,
    name: str,
    values: dict[str, Any] | None = None,
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A customer to create, as ``create_customers`` takes it."""
    values = values or {}
    return {
        "code": code,
        "name": name,
        "reading": values.get("reading"),
        "segment": values.get("segment") or "",
        "notes": values.get("notes") or "",
        "attributes": attributes or {},
    }


def _search_text(code: str, values: dict[str, Any]) -> str:
    return attribute_search_text(values["attributes"], code, values["name"], values["reading"])


def create_customers(run: Run, creates: list[Pending]) -> None:
    """Insert the customers of ``creates`` (values from ``new_customer``),
    each with its ``import.created`` event; sets each one's ``record_id``."""
    if not creates:
        return
    table = table_of(Customer)
    ids = run.session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [
            {
                **p.values,
                "search_text": _search_text(p.key, p.values),
                "created_at": run.now,
            }
            for p in creates
        ],
    ).scalars()
    label = run.ctx.actor.label
    for customer_id, p in zip(ids, creates, strict=True):
        p.record_id = customer_id
        run.event(
            entity="customer",
            entity_id=customer_id,
            kind="import.created",
            summary=f"{label} imported customer {p.key} {p.values['name']}",
            customer_id=customer_id,
            payload=run.payload(p.row),
        )


class NewCustomers:
    """The customers an import of orders, logs or task lists creates for the
    codes its rows name (``create_customers``), by code; each counted when
    first named, written before the records of its chunk."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.pending: dict[str, Pending] = {}

    def __contains__(self, code: object) -> bool:
        return code in self.pending

    def need(self, code: str, name: str, row: int, known: Container[str]) -> None:
        """A row names customer ``code``: one of ``known``, one this import
        creates already, or a new one if the mapping says so."""
        if code in known or code in self.pending:
            return
        if not self.run.source.create_customers:
            raise Invalid(
                "customer", f"no customer {code} (create_customers = true in a mapping creates it)"
            )
        created = Pending(row, code, new_customer(code, name))
        self.pending[code] = created
        self.run.created(f"customer {code}", created.values)

    def write(self) -> None:
        create_customers(self.run, [c for c in self.pending.values() if c.record_id is None])

    def id_of(self, code: str) -> int | None:
        """The id of a customer this import wrote (None: not written, or not new)."""
        created = self.pending.get(code)
        return None if created is None else created.record_id
