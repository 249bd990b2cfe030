"""What the tests of automation rules share: loading a rule, finding a demo
step, one pass of a runner, and a demo database with only the rules a test
names (the demo loads its own rules, which would fire too)."""

from collections.abc import Callable, Collection

from sqlalchemy import delete, func, select

from backoffice_tui.services.context import Context
from backoffice_tui.services.rules.definitions import live_rules, load_rule_text
from backoffice_tui.services.rules.feed import RuleFeed
from backoffice_tui.services.rules.runner import Firing, handle_events
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Event,
    Rule,
    RuleCausedEvent,
    RuleFiring,
    RuleVersion,
    Team,
    TeamMembership,
    WorkItem,
)

MakeContext = Callable[[str], Context]


def load(db: Database, source: str) -> None:
    with db.write() as session:
        load_rule_text(session, "demo", source, "test.toml")


def keep_demo_rules(db: Database, keep: Collection[str] = ()) -> None:
    """Take out the demo's rules but those named ``keep`` (their users stay,
    without their roles, as a removed rule's would)."""
    with db.write() as session:
        gone = session.execute(select(Rule.id, Rule.user_id).where(Rule.name.not_in(keep))).all()
        rule_ids = [rule_id for rule_id, _ in gone]
        session.execute(delete(RuleVersion).where(RuleVersion.rule_id.in_(rule_ids)))
        session.execute(
            delete(TeamMembership).where(TeamMembership.user_id.in_([u for _, u in gone]))
        )
        session.execute(delete(Rule).where(Rule.id.in_(rule_ids)))


def open_item(db: Database, team: str, status: str = "ready") -> int:
    with db.read() as session:
        item_id = session.scalar(
            select(WorkItem.id)
            .join(Team, Team.id == WorkItem.team_id)
            .where(Team.code == team, WorkItem.status == status)
            .order_by(WorkItem.id)
            .limit(1)
        )
        assert item_id is not None
        return item_id


def item_of(db: Database, item_id: int) -> WorkItem:
    with db.read() as session:
        return session.get_one(WorkItem, item_id)


def serve_pass(db: Database, name: str = "serve") -> list[Firing]:
    """One pass of a runner over the new events, with its cursor saved."""
    feed = RuleFeed(db, name)
    feed.resume()
    firings = handle_events(db, live_rules(db), feed.read())
    feed.save()
    return firings


def serve_once(db: Database, name: str = "serve") -> list[str]:
    """What one pass of a runner over the new events fires (the outcomes)."""
    return [f.outcome for f in serve_pass(db, name)]


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def events_by(db: Database, actor: str, kind: str | None = None) -> list[Event]:
    """The events ``actor`` wrote (of one ``kind``), oldest first."""
    with db.read() as session:
        query = select(Event).where(Event.actor_name == actor)
        if kind is not None:
            query = query.where(Event.kind == kind)
        return list(session.scalars(query.order_by(Event.id)))


def made_by(db: Database, event_id: int) -> tuple[str, int]:
    """The rule and its version whose firing wrote an event."""
    with db.read() as session:
        rule, version = session.execute(
            select(Rule.name, RuleFiring.rule_version)
            .join(RuleFiring, RuleFiring.rule_id == Rule.id)
            .join(RuleCausedEvent, RuleCausedEvent.firing_id == RuleFiring.id)
            .where(RuleCausedEvent.event_id == event_id)
        ).one()
        return rule, version


def design_items(db: Database, status: str = "ready", n: int = 1) -> list[int]:
    with db.read() as session:
        found = list(
            session.scalars(
                select(WorkItem.id)
                .join(Team, Team.id == WorkItem.team_id)
                .where(Team.code == "design", WorkItem.status == status)
                .order_by(WorkItem.id)
                .limit(n)
            )
        )
    assert len(found) == n
    return found
