"""Demo approval requests: ``sample_data/approvals.toml`` replayed through
the real approval services with the demo's simulated clock."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from backoffice_tui.demo.handoffs import DemoClock
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.templates import parse_approval_stage
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Order


def _order_id(db: Database, code: str, where: str) -> int:
    with db.read() as session:
        order_id = session.scalar(select(Order.id).where(Order.code == code))
    if order_id is None:
        raise InvalidInput(f"{where}: no order {code}")
    return order_id


def _replay_decision(
    db: Database, clock: DemoClock, actor: Actor, request_id: int, step: Mapping[str, Any]
) -> None:
    ctx = Context(db, actor, clock)
    action = str(step["action"])
    comment = str(step.get("comment", ""))
    to = step.get("to")
    if action == "comment":
        approvals.add_comment(ctx, request_id, comment)
    elif action == "hold":
        approvals.hold(ctx, request_id)
    else:
        approvals.decide(ctx, request_id, action, comment, str(to) if to is not None else None)


def load_demo_requests(
    db: Database,
    actors: dict[str, Actor],
    data: Mapping[str, Any],
    clock: DemoClock,
    now: datetime,
) -> int:
    """Open and decide the requests of ``data``; returns how many."""
    requests = data.get("requests", [])
    for n, spec in enumerate(requests, start=1):
        where = f"approvals.toml request {n}"
        route = [
            parse_approval_stage(stage, f"{where} stage {position}")
            for position, stage in enumerate(spec["route"], start=1)
        ]
        clock.move_to(now - timedelta(hours=spec["requested_hours_ago"]))
        requester = Context(db, actors[spec["requester"]], clock)
        request_id = approvals.request_approval(
            requester, "order", _order_id(db, spec["order"], where), route, spec["title"]
        )
        for step in spec.get("decisions", []):
            clock.move_to(clock.at + timedelta(hours=step.get("after_hours", 1)))
            _replay_decision(db, clock, actors[step["actor"]], request_id, step)
    return len(requests)
