"""Going anywhere: the record an operator names by its id or code.

What may be typed (``GO_ANYWHERE_SYNTAX``): a work item by its id
(``352`` or ``#352``), an approval request as ``a`` and its id (``a12``), a
handoff as ``h`` and its id (``h6``), an order by its code
(``ORD-2026-0040``) and a customer by its code (``C0001``). Codes are
matched exactly first, then regardless of case. When ``a12`` or ``h6`` (or
a number) names no such record, a customer or order with that very code
is looked for before giving up, so that no code is out of reach.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalRequest, Customer, Handoff, Order, WorkItem

GO_ANYWHERE_SYNTAX = "352 item, a12 approval, h6 handoff, ORD-2026-0040 order, C0001 customer"


class RecordKind(StrEnum):
    WORK_ITEM = "work item"
    APPROVAL = "approval"
    HANDOFF = "handoff"
    ORDER = "order"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class FoundRecord:
    """Where to go: the record's kind, its id, and the customer code its
    screen opens on (orders and customers)."""

    kind: RecordKind
    id: int
    customer_code: str = ""
    code: str = ""  # an order's or customer's code


_NUMBERED = re.compile(r"(?P<prefix>[#ah]?)(?P<number>[0-9]{1,18})", re.IGNORECASE)
_PREFIXES = {"": RecordKind.WORK_ITEM, "#": RecordKind.WORK_ITEM}
_PREFIXES |= {"a": RecordKind.APPROVAL, "h": RecordKind.HANDOFF}
_MODELS = {
    RecordKind.WORK_ITEM: WorkItem,
    RecordKind.APPROVAL: ApprovalRequest,
    RecordKind.HANDOFF: Handoff,
}


def _by_code(session: Session, text: str) -> FoundRecord | None:
    for exact in (True, False):
        order_code = Order.code == text if exact else func.upper(Order.code) == text.upper()
        order = session.execute(
            select(Order.id, Order.code, Customer.code)
            .join(Customer, Customer.id == Order.customer_id)
            .where(order_code)
            .limit(1)
        ).first()
        if order is not None:
            return FoundRecord(RecordKind.ORDER, order[0], customer_code=order[2], code=order[1])
        customer_code = (
            Customer.code == text if exact else func.upper(Customer.code) == text.upper()
        )
        customer = session.execute(
            select(Customer.id, Customer.code).where(customer_code).limit(1)
        ).first()
        if customer is not None:
            return FoundRecord(
                RecordKind.CUSTOMER, customer[0], customer_code=customer[1], code=customer[1]
            )
    return None


def find_record(db: Database, typed: str) -> FoundRecord:
    """The record ``typed`` names; NotFound (one line) when there is none."""
    text = typed.strip()
    if not text:
        raise InvalidInput(f"type an id or a code: {GO_ANYWHERE_SYNTAX}")
    numbered = _NUMBERED.fullmatch(text)
    with db.read() as session:
        if numbered is not None:
            kind = _PREFIXES[numbered["prefix"].lower()]
            record_id = int(numbered["number"])
            if session.get(_MODELS[kind], record_id) is not None:
                return FoundRecord(kind, record_id)
        found = _by_code(session, text)
    if found is not None:
        return found
    if numbered is not None:
        kind = _PREFIXES[numbered["prefix"].lower()]
        raise NotFound(f"no {kind} {int(numbered['number'])}, and no order or customer {text!r}")
    raise NotFound(f"no order or customer {text!r} (try {GO_ANYWHERE_SYNTAX})")
