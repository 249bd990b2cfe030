"""Orders as everyday records: the proposed code, creating, cancelling."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from backoffice_tui.config import load_settings
from backoffice_tui.domain.errors import (
    ConfigError,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.domain.order_codes import parse_code_pattern
from backoffice_tui.services.approvals.actions import request_approval
from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.handoffs.read import handoff_of_work_item
from backoffice_tui.services.work.cancel import cancel_line, cancel_order
from backoffice_tui.services.work.order_codes import propose_order_code
from backoffice_tui.services.work.order_read import (
    OrderStatusFilter,
    list_orders,
    order_detail,
    service_choices,
)
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalRequest, Event, Handoff, User
from tests.helpers import stage

AsUser = Callable[[str], Context]
DAY = date(2026, 11, 23)
OPEN_STEP = {"waiting", "ready", "in_progress", "blocked"}


def kinds_of(db: Database, order_id: int) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Event.kind).where(Event.order_id == order_id)))


# --- the proposed code ------------------------------------------------------------


def test_the_proposal_follows_the_highest_code_of_its_prefix(as_user: AsUser) -> None:
    ctx = as_user("suzuki")
    # the demo orders are ORD-2026-0001 ... ORD-2026-00NN
    highest = max(r.code for r in list_orders(ctx.db, status=OrderStatusFilter.ALL, limit=1000))
    proposed = propose_order_code(ctx.db, "ORD-{yyyy}-{n:04}", "C0001", DAY)
    assert proposed == f"ORD-2026-{int(highest[-4:]) + 1:04}"
    create_order(ctx, NewOrder(proposed, "C0001", ("cloud",), DAY))
    assert propose_order_code(ctx.db, "ORD-{yyyy}-{n:04}", "C0001", DAY) == (
        f"ORD-2026-{int(highest[-4:]) + 2:04}"
    )


def test_a_customer_pattern_counts_per_customer_and_month(as_user: AsUser) -> None:
    ctx = as_user("suzuki")
    pattern = "{customer}-{yyyy}{mm}-{n:03}"
    assert propose_order_code(ctx.db, pattern, "C0001", DAY) == "C0001-202611-001"
    create_order(ctx, NewOrder("C0001-202611-009", "C0001", ("cloud",), DAY))
    create_order(ctx, NewOrder("C0001-202611-note", "C0001", ("cloud",), DAY))
    assert propose_order_code(ctx.db, pattern, "C0001", DAY) == "C0001-202611-010"
    assert propose_order_code(ctx.db, pattern, "C0002", DAY) == "C0002-202611-001"
    # an unpadded number that is taken is never proposed
    create_order(ctx, NewOrder("C0003-202611-1", "C0003", ("cloud",), DAY))
    assert propose_order_code(ctx.db, "{customer}-{yyyy}{mm}-{n}", "C0003", DAY) == (
        "C0003-202611-2"
    )


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("ORD-{yyyy}", "must end with the running number {n}"),
        ("ORD-{n}-{yyyy}", "must end with the running number {n}"),
        ("{shop}-{n}", "unknown {shop}"),
        ("ORD-{yyyy:04}-{n}", "only {n} takes a width"),
        ("ORD-{n:x9}", "is not a width"),
        ("ORD-{n", "malformed"),
    ],
)
def test_a_bad_pattern_is_one_line(pattern: str, says: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_code_pattern(pattern)
    assert says in str(error.value)
    assert "\n" not in str(error.value)


def test_a_customer_pattern_needs_the_customer(as_user: AsUser) -> None:
    with pytest.raises(InvalidInput, match="choose the customer first"):
        propose_order_code(as_user("suzuki").db, "{customer}-{n:03}", "", DAY)


def test_the_setting_is_declared_and_checked(tmp_path: Path) -> None:
    assert load_settings(config=tmp_path / "none.toml", environ={}).order_code_pattern == (
        "ORD-{yyyy}-{n:04}"
    )
    good = tmp_path / "good.toml"
    good.write_text('[orders]\ncode_pattern = "{customer}-{yy}-{n:02}"\n', encoding="utf-8")
    assert load_settings(config=good, environ={}).order_code_pattern == "{customer}-{yy}-{n:02}"
    bad = tmp_path / "bad.toml"
    bad.write_text('[orders]\ncode_pattern = "ORD-{yyyy}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"orders\.code_pattern .*must end with"):
        load_settings(config=bad, environ={})


# --- creating ------------------------------------------------------------------------


def test_an_order_with_two_lines_has_every_step(as_user: AsUser) -> None:
    ctx = as_user("suzuki")
    create_order(
        ctx,
        NewOrder(
            "ORD-NEW-1",
            "C0003",
            ("cloud", "network-line"),
            sales_owner="emily",
            requested_on=date(2099, 1, 1),
            title="Two sites",
        ),
    )
    detail = order_detail(ctx.db, "ORD-NEW-1")
    assert (detail.customer, detail.sales_owner, detail.status) == ("C0003", "emily", "open")
    assert detail.received_on == ctx.now().astimezone().date()  # the default
    versions = {c.code: c.version for c in service_choices(ctx.db)}
    assert [(line.service, line.template_version) for line in detail.lines] == [
        ("cloud", versions["cloud"]),
        ("network-line", versions["network-line"]),
    ]
    for line in detail.lines:
        assert len(line.steps) > 3
        assert [s.status for s in line.steps] == ["ready"] + ["waiting"] * (len(line.steps) - 1)
        dues = [s.due_on for s in line.steps]
        assert dues == sorted(dues)
    assert "order.created" in kinds_of(ctx.db, detail.id)


@pytest.mark.parametrize(
    ("change", "error", "says"),
    [
        ({"customer_code": "NOPE"}, NotFound, "no customer 'NOPE'"),
        ({"services": ("teleport",)}, NotFound, "no process template for service 'teleport'"),
        ({"services": ()}, InvalidInput, "at least one service"),
        ({"sales_owner": "nobody"}, NotFound, "no active user 'nobody'"),
        ({"priority": 7}, InvalidInput, "priority"),
        ({"code": " "}, InvalidInput, "needs a code"),
        ({"requested_on": date(2026, 11, 1)}, InvalidInput, "before the received date"),
        ({"code": "ORD-2026-0001"}, Conflict, "already exists"),
    ],
)
def test_a_bad_order_is_refused(
    as_user: AsUser, change: dict[str, object], error: type[Exception], says: str
) -> None:
    values: dict[str, object] = {
        "code": "ORD-BAD",
        "customer_code": "C0001",
        "services": ("cloud",),
        "received_on": DAY,
    } | change
    with pytest.raises(error, match=says):
        create_order(as_user("suzuki"), NewOrder(**values))  # type: ignore[arg-type]


def test_an_inactive_sales_owner_is_refused(as_user: AsUser) -> None:
    with as_user("suzuki").db.write() as session:
        session.scalars(select(User).where(User.login == "emily")).one().active = False
    with pytest.raises(NotFound, match="no active user 'emily'"):
        create_order(as_user("suzuki"), NewOrder("ORD-X", "C0001", ("cloud",), DAY, None, "emily"))


# --- cancelling ------------------------------------------------------------------------


def _handoff_line(db: Database) -> tuple[str, int, int]:
    """ORD-2026-0007's network line: its handoff step in progress, the
    handoff a draft. Returns the order code, the step and the handoff."""
    detail = order_detail(db, "ORD-2026-0007")
    step = next(s for s in detail.lines[0].steps if s.status == "in_progress")
    handoff = handoff_of_work_item(db, step.work_item_id)
    assert handoff is not None
    return detail.code, step.work_item_id, handoff


def test_cancelling_a_line_closes_its_requests_and_handoffs(as_user: AsUser) -> None:
    owner = as_user("tanaka")  # the order's sales owner
    db = owner.db
    code, step_id, handoff_id = _handoff_line(db)
    request_id = request_approval(
        as_user("kimura"), "handoff", handoff_id, [stage("Check", "sato")]
    )
    cancel_line(owner, code, 1, "  customer withdrew the site  ")

    detail = order_detail(db, code)
    line = detail.lines[0]
    assert (line.status, line.cancel_reason) == ("cancelled", "customer withdrew the site")
    assert not [s for s in line.steps if s.status in OPEN_STEP]
    skipped = [s for s in line.steps if s.status == "skipped"]
    assert skipped and all(s.skip_reason == "customer withdrew the site" for s in skipped)
    assert step_id in {s.work_item_id for s in skipped}
    # its only line: the order is cancelled too
    assert (detail.status, detail.cancel_reason) == ("cancelled", "customer withdrew the site")
    with db.read() as session:
        assert session.get_one(ApprovalRequest, request_id).state == "withdrawn"
        assert session.get_one(Handoff, handoff_id).state == "cancelled"
    kinds = kinds_of(db, detail.id)
    for kind in (
        "approval.withdrawn",
        "handoff.cancelled",
        "work_item.skipped",
        "order_line.cancelled",
        "order.cancelled",
    ):
        assert kind in kinds
    assert kinds.count("work_item.skipped") == len(skipped)
    timeline = [e.kind for e in customer_timeline(db, detail.customer)]
    assert "order.cancelled" in timeline and "order_line.cancelled" in timeline


def test_cancelling_one_line_of_two_keeps_the_order(as_user: AsUser) -> None:
    ctx = as_user("suzuki")
    create_order(ctx, NewOrder("ORD-TWO", "C0003", ("cloud", "network-line"), DAY))
    cancel_line(ctx, "ORD-TWO", 2, "one site only")
    detail = order_detail(ctx.db, "ORD-TWO")
    assert [line.status for line in detail.lines] == ["open", "cancelled"]
    assert detail.status == "open"
    assert detail.lines[0].steps[0].status == "ready"
    assert {s.status for s in detail.lines[1].steps} == {"skipped"}
    with pytest.raises(InvalidTransition, match="line 2 of ORD-TWO is already cancelled"):
        cancel_line(ctx, "ORD-TWO", 2, "again")
    with pytest.raises(NotFound, match="no line 3"):
        cancel_line(ctx, "ORD-TWO", 3, "again")
    cancel_line(ctx, "ORD-TWO", 1, "none at all")
    assert order_detail(ctx.db, "ORD-TWO").status == "cancelled"


def test_cancelling_twice_is_refused(as_user: AsUser) -> None:
    ctx = as_user("admin-ito")
    cancel_order(ctx, "ORD-2026-0001", "duplicate order")
    with pytest.raises(InvalidTransition, match="already cancelled: duplicate order"):
        cancel_order(ctx, "ORD-2026-0001", "again")
    with pytest.raises(InvalidTransition, match="already cancelled"):
        cancel_line(ctx, "ORD-2026-0001", 1, "again")
    cancelled = list_orders(ctx.db, status=OrderStatusFilter.CANCELLED)
    assert [r.code for r in cancelled] == ["ORD-2026-0001"]
    assert "ORD-2026-0001" not in {r.code for r in list_orders(ctx.db)}


def test_a_stale_version_is_refused(as_user: AsUser) -> None:
    ctx = as_user("suzuki")
    seen = order_detail(ctx.db, "ORD-2026-0001").version
    create_order(ctx, NewOrder("ORD-S", "C0001", ("cloud", "cloud"), DAY))
    cancel_line(ctx, "ORD-S", 1, "first")
    stale = order_detail(ctx.db, "ORD-S").version - 1
    with pytest.raises(Conflict, match="refresh and try again"):
        cancel_order(ctx, "ORD-S", "late", expected_version=stale)
    cancel_order(as_user("admin-ito"), "ORD-2026-0001", "fine", expected_version=seen)


def test_a_reason_is_required(as_user: AsUser) -> None:
    with pytest.raises(InvalidInput, match="a reason is required"):
        cancel_order(as_user("admin-ito"), "ORD-2026-0001", "  ")


def test_only_the_owner_an_admin_or_a_lead_of_its_teams_may_cancel(as_user: AsUser) -> None:
    with pytest.raises(PermissionDenied) as refused:
        cancel_order(as_user("yamamoto"), "ORD-2026-0007", "not mine")
    message = str(refused.value)
    assert "sales owner (tanaka)" in message and "build" in message and "yamamoto" in message
    with pytest.raises(PermissionDenied):
        cancel_line(as_user("mori"), "ORD-2026-0007", 1, "not mine")
    assert order_detail(as_user("mori").db, "ORD-2026-0007").status == "open"
    cancel_order(as_user("kimura"), "ORD-2026-0007", "build lead")  # a lead of its build steps
    assert order_detail(as_user("mori").db, "ORD-2026-0007").status == "cancelled"


def test_unknown_orders_are_not_found(as_user: AsUser) -> None:
    with pytest.raises(NotFound, match="no order 'ORD-NONE'"):
        cancel_order(as_user("admin-ito"), "ORD-NONE", "x")
    with pytest.raises(NotFound, match="no customer 'NOPE'"):
        list_orders(as_user("admin-ito").db, customer="NOPE")
