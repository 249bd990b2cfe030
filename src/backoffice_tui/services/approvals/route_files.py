"""Opening an approval from the command line: a route written in a TOML
file of ``[[stage]]`` tables, on a subject named the way people name it
(an order by its code, a handoff by its number)."""

import tomllib
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import is_role_key
from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.domain.templates import ApprovalStageSpec, parse_approval_stage
from backoffice_tui.services.approvals.actions import request_approval
from backoffice_tui.services.context import Context
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Handoff, Order, Team, User

SUBJECT_KINDS = ("order", "handoff")


def parse_route(data: Mapping[str, object], source: str) -> tuple[ApprovalStageSpec, ...]:
    """The stages of a parsed route document (``[[stage]]`` tables, in order)."""
    stages = data.get("stage")
    if not isinstance(stages, list) or not stages:
        found = ", ".join(sorted(data)) or "nothing"
        raise InvalidInput(
            f"{source}: a route needs at least one [[stage]] table with name and approvers "
            f"(found {found})"
        )
    specs = []
    for number, stage in enumerate(stages, start=1):
        where = f"{source} stage {number}"
        if not isinstance(stage, Mapping):
            raise InvalidInput(f"{where}: write each stage as a [[stage]] table")
        specs.append(parse_approval_stage(stage, where))
    return tuple(specs)


def read_route_file(path: Path) -> tuple[ApprovalStageSpec, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"no route file {path}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not a UTF-8 text file") from None
    except OSError as error:
        raise InvalidInput(f"cannot read route file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path} is not valid TOML: {error}") from None
    return parse_route(data, str(path))


def _check_approvers(session: Session, route: tuple[ApprovalStageSpec, ...], source: str) -> None:
    """Every login names an active user and every role@team a team, so that
    no stage waits for somebody who does not exist."""
    logins = set(session.scalars(select(User.login).where(User.active.is_(True))))
    teams = set(session.scalars(select(Team.code)))
    for number, stage in enumerate(route, start=1):
        for entry in stage.approvers:
            if is_role_key(entry):
                team = entry.split("@", 1)[1]
                if team not in teams:
                    raise InvalidInput(f"{source} stage {number}: no team {team!r} in {entry!r}")
            elif entry not in logins:
                raise InvalidInput(f"{source} stage {number}: no active user {entry!r}")


def subject_id_of(db: Database, subject_kind: str, ref: str) -> int:
    """The id of the order with code ``ref``, or of handoff number ``ref``."""
    with db.read() as session:
        if subject_kind == "order":
            order_id = session.scalar(select(Order.id).where(Order.code == ref.strip()))
            if order_id is None:
                raise NotFound(f"no order with code {ref!r}; `backoffice queue list` shows codes")
            return order_id
        if subject_kind == "handoff":
            if not ref.strip().isdigit():
                raise InvalidInput(f"give a handoff by its number, not {ref!r}")
            if session.get(Handoff, int(ref)) is None:
                raise NotFound(f"no handoff {ref}; `backoffice handoffs list --all` shows them")
            return int(ref)
    raise InvalidInput(
        f"cannot request approval on a {subject_kind}; choose {' or '.join(SUBJECT_KINDS)}"
    )


def request_from_file(
    ctx: Context, subject_kind: str, ref: str, route_path: Path, title: str | None = None
) -> int:
    """Open a request on ``ref`` along the route in ``route_path``; its id."""
    route = read_route_file(route_path)
    with ctx.db.read() as session:
        _check_approvers(session, route, str(route_path))
    subject_id = subject_id_of(ctx.db, subject_kind, ref)
    return request_approval(ctx, subject_kind, subject_id, route, title)
