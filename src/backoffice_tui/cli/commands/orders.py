"""``backoffice orders``: create, show, list and cancel orders."""

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_facts, print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.io.values import typed_date
from backoffice_tui.services.work.cancel import cancel_line, cancel_order
from backoffice_tui.services.work.order_codes import propose_order_code
from backoffice_tui.services.work.order_read import (
    OrderDetail,
    list_orders,
    order_detail,
    parse_status_filter,
)
from backoffice_tui.services.work.orders import NewOrder, create_order


@click.group()
def orders() -> None:
    """Customer orders: create, show, list, cancel."""


@orders.command("create")
@click.option("--customer", required=True, help="The customer's code.")
@click.option(
    "--service", "services", multiple=True, required=True, help="A service code (repeatable)."
)
@click.option("--code", help="The order code (default: the next of orders.code_pattern).")
@click.option("--received", help="The day it was received (default: today).")
@click.option("--requested", help="The requested delivery date.")
@click.option("--owner", help="The sales owner's login (default: you).")
@click.option("--title", default="", help="A short title.")
@click.option(
    "--priority", default=3, show_default=True, type=click.IntRange(1, 4), help="1 urgent, 4 low."
)
@json_option
@pass_state
def create_command(
    state: CliState,
    customer: str,
    services: tuple[str, ...],
    code: str | None,
    received: str | None,
    requested: str | None,
    owner: str | None,
    title: str,
    priority: int,
    as_json: bool,
) -> None:
    """Create an order: one line per service, each line's first step ready."""
    ctx = state.context()
    received_on = typed_date(received, "--received") if received else ctx.today()
    requested_on = typed_date(requested, "--requested") if requested else None
    if code is None:
        code = propose_order_code(ctx.db, state.settings.order_code_pattern, customer, received_on)
    create_order(
        ctx,
        NewOrder(
            code=code,
            customer_code=customer,
            services=services,
            received_on=received_on,
            requested_on=requested_on,
            sales_owner=owner or ctx.actor.login,
            priority=priority,
            title=title,
        ),
    )
    detail = order_detail(ctx.db, code)
    if as_json:
        print_json(detail)
    else:
        say(f"order {detail.code} (id {detail.id}) created with {len(detail.lines)} lines")


@orders.command("show")
@click.argument("code")
@json_option
@pass_state
def show_command(state: CliState, code: str, as_json: bool) -> None:
    """Show an order: its facts, and each line with its steps."""
    detail = order_detail(state.database(), code)
    if as_json:
        print_json(detail)
    else:
        _print_detail(detail)


def _print_detail(detail: OrderDetail) -> None:
    status = detail.status + (f": {detail.cancel_reason}" if detail.cancel_reason else "")
    print_facts(
        [
            ("id", detail.id),
            ("code", detail.code),
            ("customer", f"{detail.customer} {detail.customer_name}"),
            ("title", detail.title or None),
            ("received", detail.received_on),
            ("requested", detail.requested_on),
            ("sales owner", detail.sales_owner),
            ("priority", detail.priority),
            ("status", status),
        ]
    )
    for line in detail.lines:
        cancelled = f": {line.cancel_reason}" if line.cancel_reason else ""
        click.echo("")
        say(
            f"line {line.position}: {line.service_name} ({line.service}, template "
            f"v{line.template_version}) {line.status}{cancelled}"
        )
        print_table(
            ("ITEM", "#", "STEP", "TEAM", "STATUS", "ASSIGNEE", "DUE"),
            (
                (s.work_item_id, s.position, s.step, s.team, s.status, s.assignee, s.due_on)
                for s in line.steps
            ),
        )


@orders.command("list")
@click.option("--customer", help="Only this customer's orders (customer code).")
@click.option(
    "--status", "status_text", default="open", show_default=True, help="open, cancelled or all."
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@pass_state
def list_command(
    state: CliState, customer: str | None, status_text: str, limit: int, as_json: bool
) -> None:
    """List orders, newest received first."""
    rows = list_orders(state.database(), customer, parse_status_filter(status_text), limit)
    if as_json:
        print_json(rows)
        return
    print_table(
        ("ID", "CODE", "CUSTOMER", "RECEIVED", "REQUESTED", "OWNER", "LINES", "STATUS", "TITLE"),
        (
            (
                r.id,
                r.code,
                r.customer,
                r.received_on,
                r.requested_on,
                r.sales_owner,
                r.lines,
                r.status,
                r.title,
            )
            for r in rows
        ),
    )


@orders.command("cancel")
@click.argument("code")
@click.option("--line", "position", type=click.IntRange(1), help="Only this line (its number).")
@click.option("--reason", required=True, help="Why (required; kept on the order and its steps).")
@json_option
@pass_state
def cancel_command(
    state: CliState, code: str, position: int | None, reason: str, as_json: bool
) -> None:
    """Cancel an order, or one line of it: its open steps are skipped."""
    ctx = state.context()
    if position is None:
        cancel_order(ctx, code, reason)
    else:
        cancel_line(ctx, code, position, reason)
    detail = order_detail(ctx.db, code)
    if as_json:
        print_json(detail)
    elif position is None:
        say(f"order {detail.code} cancelled")
    else:
        still = "" if detail.status == "cancelled" else "; the order stays open"
        say(f"line {position} of {detail.code} cancelled" + (still or "; so is the order"))
