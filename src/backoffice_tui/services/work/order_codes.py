"""The code proposed for a new order, from the ``orders.code_pattern`` setting."""

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.order_codes import parse_code_pattern
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Order

# Codes with the prefix read to find the highest number: the longest come
# first, so only codes that are not a number after the prefix could crowd
# the highest one out.
_CANDIDATES = 50
_DIGITS = re.compile(r"[0-9]+")


def propose_order_code(db: Database, pattern: str, customer_code: str, day: date) -> str:
    """The next free code of ``pattern`` for this customer and day: one
    more than the highest number already used after the same prefix."""
    parsed = parse_code_pattern(pattern)
    if parsed.uses_customer and not customer_code.strip():
        raise InvalidInput("choose the customer first: the order code pattern names it")
    prefix = parsed.prefix(customer_code.strip(), day)
    with db.read() as session:
        number = _highest_number(session, prefix) + 1
        while _exists(session, parsed.code(prefix, number)):
            number += 1  # a padded and an unpadded code of the same number
        return parsed.code(prefix, number)


def _highest_number(session: Session, prefix: str) -> int:
    codes = session.scalars(
        select(Order.code)
        .where(Order.code.startswith(prefix, autoescape=True))
        .order_by(func.length(Order.code).desc(), Order.code.desc())
        .limit(_CANDIDATES)
    )
    numbers = [int(code[len(prefix) :]) for code in codes if _DIGITS.fullmatch(code[len(prefix) :])]
    return max(numbers, default=0)


def _exists(session: Session, code: str) -> bool:
    return session.scalar(select(Order.id).where(Order.code == code)) is not None
