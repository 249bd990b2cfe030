"""Importing a log (``--as events``): a row per change becomes a timeline
event at its own time, by its own actor; the order's state is its last row;
importing the log again adds nothing."""

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.imports import ImportRejected, RecordKind
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Event, Order, User
from tests.io.files import INCIDENT_EVENTS_MAPPING, incident_events_csv, write_csv
from tests.io.test_mapping_options import mapping_file
from tests.services.test_imports import apply, check, counts


def test_a_ticket_log_becomes_the_customers_real_history(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = incident_events_csv(tmp_path / "incidents.csv")
    mapping = mapping_file(tmp_path, INCIDENT_EVENTS_MAPPING)
    dry = check(admin, path, RecordKind.EVENTS, mapping)
    before = counts(demo_db)
    # 4 events, 2 orders, 2 customers, 2 placeholder users (Resolver 7 is sato)
    assert dry.ok and dry.created == 4 + 2 + 2 + 2
    report = apply(admin, path, RecordKind.EVENTS, mapping)
    assert report.digest == dry.digest
    after = counts(demo_db)
    assert after["orders"] - before["orders"] == 2
    assert after["customers"] - before["customers"] == 2
    with demo_db.read() as session:
        order = session.scalar(select(Order).where(Order.code == "INC001"))
        assert order is not None
        # the last row is the order's state: its title and the columns no field holds
        assert order.title == "VPN drops daily"
        assert order.attributes == {
            "Priority": "1 - Critical",
            "Category": "Network",
            "Reassignments": "2",
        }
        assert order.received_on.isoformat() == "2026-04-03"  # its first event's day
        placeholders = session.scalars(
            select(User).where(User.placeholder.is_(True)).order_by(User.login)
        ).all()
        assert [(u.login, u.name, u.active) for u in placeholders] == [
            ("resolver-12", "Resolver 12", False),
            ("resolver-3", "Resolver 3", False),
        ]
        other = session.scalar(select(Order).where(Order.code == "INC002"))
        assert other is not None and other.attributes == {"Priority": "2 - Medium"}  # ? is empty
    timeline = customer_timeline(demo_db, "Caller 2403")
    logged = [e for e in timeline if e.kind == "log.entry"]
    # in the order they happened, at their own times, by their own people
    assert [(e.at.astimezone().replace(tzinfo=None), e.actor, e.summary) for e in logged] == [
        (datetime(2026, 4, 3, 9, 15), "resolver-12", "1 - New"),
        (datetime(2026, 4, 4, 10, 0), "resolver-12", "2 - Active"),
        (datetime(2026, 4, 5, 8, 5), "resolver-3", "6 - Resolved"),
    ]
    (by_sato,) = [e for e in customer_timeline(demo_db, "Caller 5110") if e.kind == "log.entry"]
    assert by_sato.actor == "sato"

    again = apply(admin, path, RecordKind.EVENTS, mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert counts(demo_db) == after


def test_a_later_export_of_the_log_adds_only_its_new_rows(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    mapping = mapping_file(tmp_path, INCIDENT_EVENTS_MAPPING)
    path = incident_events_csv(tmp_path / "incidents.csv")
    apply(admin, path, RecordKind.EVENTS, mapping)
    text = path.read_text(encoding="utf-8")
    longer = tmp_path / "incidents-later.csv"
    longer.write_text(
        text + "INC002,Caller 5110,7 - Closed,2 - Medium,Hardware,20/4/2026 12:00,sato,"
        "Printer offline,1\r\n",
        encoding="utf-8",
    )
    report = apply(admin, longer, RecordKind.EVENTS, mapping)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 4)
    with demo_db.read() as session:
        order = session.scalar(select(Order).where(Order.code == "INC002"))
        assert order is not None
        assert order.attributes == {
            "Priority": "2 - Medium",
            "Category": "Hardware",
            "Reassignments": "1",
        }
        change = session.scalar(
            select(Event.summary).where(Event.order_id == order.id, Event.kind == "import.updated")
        )
        assert change is not None and "order INC002 from a log" in change


def test_bad_rows_of_a_log_name_the_cell_and_write_nothing(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = write_csv(
        tmp_path / "log.csv",
        [
            ["Number", "Caller", "Updated", "Updated by"],
            ["INC9", "C0001", "3/4/2026 09:15", "nobody-at-all"],
            ["INC9", "C0002", "31/4/2026 09:15", "sato"],
        ],
    )
    mapping = mapping_file(
        tmp_path,
        'kind = "events"\ndates = "day-first"\n[columns]\norder = "Number"\n'
        'customer = "Caller"\nat = "Updated"\nactor = "Updated by"\n',
    )
    before = counts(demo_db)
    with pytest.raises(ImportRejected) as caught:
        apply(admin, path, RecordKind.EVENTS, mapping)
    problems = [(p.row, p.column, p.value, p.reason) for p in caught.value.report.problems]
    assert problems[0][:3] == (2, "Updated by", "nobody-at-all")
    assert "create_users" in problems[0][3]
    assert problems[1] == (3, "Updated", "31/4/2026 09:15", "no such day 2026-04-31")
    assert counts(demo_db) == before


def test_a_log_row_about_another_customers_order_is_refused(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    with demo_db.read() as session:
        order, owner = session.execute(
            select(Order.code, Customer.code).join(Customer).limit(1)
        ).one()
        other = session.scalar(select(Customer.code).where(Customer.code != owner).limit(1))
        events = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    path = write_csv(
        tmp_path / "log.csv",
        [["order", "customer", "at", "summary"], [order, other, "2026-04-01 10:00", "called"]],
    )
    with pytest.raises(ImportRejected) as caught:
        apply(admin, path, RecordKind.EVENTS)
    (problem,) = caught.value.report.problems
    assert problem.reason == f"order {order} is of customer {owner}, not {other}"
    with demo_db.read() as session:
        assert session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) == events


def test_a_log_longer_than_a_chunk_applies_what_its_dry_run_said(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    """An order's rows spread over chunks: its state is written chunk by
    chunk, and the dry run's digest still matches the import's."""
    admin = as_user("admin-ito")
    rows = [["Number", "Customer", "Updated", "State", "Priority"]]
    for n in range(2_500):
        order, change = n % 7, n // 7
        rows.append(
            [
                f"INC-{order}",
                "C0001",
                f"2026-04-01 10:{n // 60 % 60:02d}:{n % 60:02d}",
                f"state {change}",
                f"P{change % 4}",
            ]
        )
    path = write_csv(tmp_path / "long.csv", rows)
    dry = check(admin, path, RecordKind.EVENTS)
    report = apply(admin, path, RecordKind.EVENTS, expected_digest=dry.digest)
    assert report.created == 2_500 + 7
    with demo_db.read() as session:
        last = session.scalar(select(Order).where(Order.code == "INC-6"))
        assert last is not None
        # its last row is 2,497 (row 2,498 of the file, counting the header)
        assert last.attributes == {"Priority": f"P{(2_497 // 7) % 4}"}
        logged = session.scalars(
            select(Event.summary).where(Event.order_id == last.id, Event.kind == "log.entry")
        ).all()
        assert len(logged) == len(range(6, 2_500, 7))


def test_a_log_that_changes_an_order_gives_it_a_new_version(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    with demo_db.read() as session:
        order, owner, version = session.execute(
            select(Order.code, Customer.code, Order.version).join(Customer).limit(1)
        ).one()
    path = write_csv(
        tmp_path / "log.csv",
        [["order", "customer", "at", "Region"], [order, owner, "2026-04-01 10:00", "Kansai"]],
    )
    apply(as_user("admin-ito"), path, RecordKind.EVENTS)
    with demo_db.read() as session:
        changed = session.scalar(select(Order).where(Order.code == order))
        assert changed is not None
        assert changed.attributes == {"Region": "Kansai"} and changed.version == version + 1
