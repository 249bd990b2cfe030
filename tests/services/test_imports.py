"""Imports on SQLite and PostgreSQL: all or nothing, idempotent, versions checked."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from backoffice_tui.domain.errors import Conflict, PermissionDenied
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.domain.working_days import add_working_days
from backoffice_tui.io.importing import prepare_import
from backoffice_tui.io.writers import ExportFormat, write_file
from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.exports.rows import export_queue
from backoffice_tui.services.imports import (
    ImportOptions,
    ImportRejected,
    ImportReport,
    RecordKind,
    check_import,
    run_import,
)
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work.queue import QueueFilter, get_queue_row
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Event, Order, OrderLine, WorkItem
from tests.io.files import japanese_customers_cp932, orders_workbook, write_csv


def apply(
    ctx: Context, path: Path, kind: RecordKind, mapping: Path | None = None, **options: Any
) -> ImportReport:
    with prepare_import(path, kind, mapping_path=mapping) as prepared:
        return run_import(ctx, prepared.source(), ImportOptions(**options))


def check(
    ctx: Context, path: Path, kind: RecordKind, mapping: Path | None = None, **options: Any
) -> ImportReport:
    with prepare_import(path, kind, mapping_path=mapping) as prepared:
        return check_import(ctx, prepared.source(), ImportOptions(**options))


def counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Customer, Order, OrderLine, WorkItem, Event)
        }


def last_event_id(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.max(Event.id))) or 0


# --- customers -----------------------------------------------------------------------------


def test_customers_from_shift_jis_then_the_same_file_changes_nothing(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = japanese_customers_cp932(tmp_path / "顧客.csv")
    report = apply(admin, path, RecordKind.CUSTOMERS)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.summary() == "3 created, 0 updated, 0 unchanged"
    with demo_db.read() as session:
        customer = session.scalar(select(Customer).where(Customer.code == "K001"))
        assert customer is not None
        assert (customer.name, customer.reading, customer.notes) == (
            "株式会社みなと商事",
            "ミナトショウジ",
            "本社は横浜",
        )
    (entry,) = customer_timeline(demo_db, "K001")
    assert (entry.kind, entry.actor) == ("import.created", "admin-ito")

    before = last_event_id(demo_db)
    again = apply(admin, path, RecordKind.CUSTOMERS)
    assert again.summary() == "0 created, 0 updated, 3 unchanged"
    assert last_event_id(demo_db) == before


def test_a_changed_customer_is_updated_with_an_event(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = write_csv(tmp_path / "c.csv", [["code", "notes"], ["C0002", "new notes"]])
    report = check(admin, path, RecordKind.CUSTOMERS)
    assert [(c.item, c.field, c.new) for c in report.changes] == [
        ("customer C0002", "notes", "new notes")
    ]
    apply(admin, path, RecordKind.CUSTOMERS)
    kinds = [e.kind for e in customer_timeline(demo_db, "C0002")]
    assert kinds[-1] == "import.updated"


def test_update_only_never_creates(as_user: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["code", "name"], ["NEW1", "x"]])
    report = check(as_user("admin-ito"), path, RecordKind.CUSTOMERS, update_only=True)
    assert [p.reason for p in report.problems] == ["no customer NEW1 (--update-only never creates)"]


def test_only_admins_import_customers_and_orders(as_user: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["code", "name"], ["NEW1", "x"]])
    with pytest.raises(PermissionDenied, match="only an admin can import customers"):
        check(as_user("kimura"), path, RecordKind.CUSTOMERS)


# --- orders ----------------------------------------------------------------------------------


def test_orders_from_a_workbook_get_lines_and_work_items(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = orders_workbook(tmp_path / "受注.xlsx", "C0003")
    report = apply(admin, path, RecordKind.ORDERS)
    assert (report.created, report.rows) == (3, 4)
    with demo_db.read() as session:
        order = session.scalar(select(Order).where(Order.code == "ORD-1"))
        assert order is not None
        assert (order.received_on, order.requested_on, order.priority) == (
            date(2026, 4, 1),
            date(2026, 5, 1),
            2,
        )
        assert [line.service.code for line in order.lines] == ["cloud", "network-line"]
        items = order.lines[0].work_items
        assert [i.status for i in items[:2]] == ["ready", "waiting"]
        first_step = items[0].step
        assert items[0].due_on == add_working_days(date(2026, 4, 1), first_step.sla_days)
        security = session.scalar(select(Order).where(Order.code == "ORD-2"))
        assert security is not None and security.lines[0].service.code == "managed-security"
    kinds = [e.kind for e in customer_timeline(demo_db, "C0003")]
    assert kinds.count("import.created") == 3

    again = apply(admin, path, RecordKind.ORDERS)
    assert again.summary() == "0 created, 0 updated, 3 unchanged"


def test_three_bad_rows_among_a_thousand_are_all_reported_and_nothing_is_written(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    rows: list[list[object]] = [["受注番号", "顧客コード", "サービス", "受注日", "納期"]]
    for n in range(1, 1001):
        rows.append([f"BULK-{n:04d}", "C0001", "cloud", "2026/4/1", "2026年5月1日"])
    rows[120 - 1][1] = "C9999"
    rows[500 - 1][3] = "2026/2/30"
    rows[990 - 1][2] = "teleportation"
    path = write_csv(tmp_path / "orders.csv", rows, "cp932")
    before = counts(demo_db)
    problems: list[Any] = []
    with pytest.raises(
        ImportRejected, match=r"3 bad rows in orders.csv; nothing was written"
    ) as caught:
        apply(as_user("admin-ito"), path, RecordKind.ORDERS, on_problem=problems.append)
    report = caught.value.report
    expected = [
        (
            120,
            "顧客コード",
            "C9999",
            "no customer C9999 (create_customers = true in a mapping creates it)",
        ),
        (500, "受注日", "2026/2/30", "no such day 2026-02-30"),
        (990, "サービス", "teleportation", "no service teleportation"),
    ]
    assert [(p.row, p.column, p.value, p.reason) for p in report.problems] == expected
    assert problems == report.problems
    assert (report.bad_rows, report.rows) == (3, 1000)
    assert counts(demo_db) == before


# --- work items ------------------------------------------------------------------------------


def export_build_queue(ctx: Context, path: Path) -> Path:
    table = export_queue(
        ctx.db, ctx.actor, QueueFilter(team="build", statuses=tuple(WorkStatus)), today=date.today()
    )
    write_file(
        path, ExportFormat.from_path(path) or ExportFormat.CSV, "queue", table.columns, table.rows
    )
    return path


def edit_workbook(path: Path, edits: dict[int, dict[str, object]]) -> None:
    """Change cells of the rows whose id is a key, like someone in a spreadsheet."""
    book = load_workbook(path)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        changes = edits.get(row[0].value)  # type: ignore[arg-type]
        for name, value in (changes or {}).items():
            row[header.index(name)].value = value
    book.save(path)


def items_of(db: Database, status: str, team: str = "build") -> list[Any]:
    from backoffice_tui.services.work.queue import list_queue

    return list_queue(
        db,
        None,
        QueueFilter(team=team, statuses=(WorkStatus(status),)),
        today=date.today(),
        limit=100,
    )


def test_round_trip_export_edit_dry_run_then_apply(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    kimura = as_user("kimura")  # lead of build
    first = next(i for i in items_of(demo_db, "in_progress") if i.priority != 1)
    second = items_of(demo_db, "ready")[0]
    path = export_build_queue(kimura, tmp_path / "queue.xlsx")
    edit_workbook(
        path,
        {
            first.id: {"priority": 1, "due": date(2026, 12, 24)},
            second.id: {"status": "対応中", "assignee": "kimura"},
        },
    )
    before = counts(demo_db)
    dry = check(kimura, path, RecordKind.WORK_ITEMS)
    assert counts(demo_db) == before
    assert dry.ok and (dry.updated, dry.changes_total) == (2, 4)
    diff = {(c.item.split()[0], c.field, c.old, c.new) for c in dry.changes}
    assert (f"#{first.id}", "priority", str(first.priority), "1") in diff
    assert (f"#{first.id}", "due", first.due.isoformat(), "2026-12-24") in diff
    assert (f"#{second.id}", "status", "ready", "in_progress") in diff
    assert (f"#{second.id}", "assignee", "", "kimura") in diff

    done = apply(kimura, path, RecordKind.WORK_ITEMS, expected_digest=dry.digest)
    assert done.applied and done.updated == 2
    row = get_queue_row(demo_db, second.id)
    assert (row.status, row.assignee, row.version) == ("in_progress", "kimura", second.version + 1)
    assert get_queue_row(demo_db, first.id).due == date(2026, 12, 24)
    timeline = customer_timeline(demo_db, first.customer_code)
    assert any(e.kind == "import.updated" and e.actor == "kimura" for e in timeline)
    with demo_db.read() as session:
        event = session.scalar(
            select(Event).where(Event.entity_id == first.id, Event.kind == "import.updated")
        )
        assert event is not None and event.at.tzinfo is not None
        assert event.payload == {
            "source": "queue.xlsx",
            "row": event.payload["row"],
            "changes": {
                "due": [first.due.isoformat(), "2026-12-24"],
                "priority": [str(first.priority), "1"],
            },
        }

    before = last_event_id(demo_db)
    again = apply(kimura, path, RecordKind.WORK_ITEMS)
    assert (again.updated, again.refused) == (0, 0)  # stale versions, but nothing differs
    assert last_event_id(demo_db) == before


def test_rows_changed_since_the_export_are_refused(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    kimura = as_user("kimura")
    ready = [i for i in items_of(demo_db, "in_progress") if i.priority != 1]
    path = export_build_queue(kimura, tmp_path / "queue.csv")
    edit_workbook_csv(path, {ready[0].id: {"priority": "1"}, ready[1].id: {"priority": "1"}})
    work_items.block(kimura, ready[0].id, "no cable")  # someone changes the first meanwhile
    before = counts(demo_db)
    with pytest.raises(
        ImportRejected, match=r"1 rows of queue.csv changed in the database"
    ) as caught:
        apply(kimura, path, RecordKind.WORK_ITEMS)
    (refusal,) = caught.value.report.refusals
    version = ready[0].version
    assert refusal.column == "version"
    assert refusal.reason == (
        f"changed in the database since the export (version {version + 1}, file has {version})"
    )
    assert counts(demo_db) == before

    report = apply(kimura, path, RecordKind.WORK_ITEMS, skip_stale=True)
    assert (report.updated, report.refused) == (1, 1)
    assert get_queue_row(demo_db, ready[0].id).priority == ready[0].priority
    assert get_queue_row(demo_db, ready[1].id).priority == 1


def edit_workbook_csv(path: Path, edits: dict[int, dict[str, str]]) -> None:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    header = rows[0]
    for row in rows[1:]:
        for name, value in edits.get(int(row[0]), {}).items():
            row[header.index(name)] = value
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        csv.writer(stream).writerows(rows)


def plain_and_handoff_steps(db: Database, rows: list[Any]) -> tuple[Any, Any]:
    """Of ``rows``, one whose step ends in a handoff and one whose step does not."""
    with db.read() as session:
        handoff = {
            row.id: session.get(WorkItem, row.id).step.handoff  # type: ignore[union-attr]
            for row in rows
        }
    return next(r for r in rows if not handoff[r.id]), next(r for r in rows if handoff[r.id])


def test_status_moves_follow_the_process(as_user: Any, demo_db: Database, tmp_path: Path) -> None:
    kimura = as_user("kimura")
    doing, handoff = plain_and_handoff_steps(demo_db, items_of(demo_db, "in_progress"))
    done = items_of(demo_db, "done")[0]
    ready = items_of(demo_db, "ready")[0]
    path = write_csv(
        tmp_path / "w.csv",
        [
            ["id", "status", "reason"],
            [done.id, "ready", ""],  # a closed item does not reopen
            [ready.id, "blocked", ""],  # blocking needs a reason
            [handoff.id, "done", ""],  # accepting its handoff finishes it
        ],
    )
    report = check(kimura, path, RecordKind.WORK_ITEMS)
    assert [p.reason for p in report.problems] == [
        "cannot change done to ready by import; it is closed",
        "blocked needs a reason (add a reason column)",
        "this step ends in a handoff; it is done when the handoff is accepted",
    ]

    with demo_db.read() as session:
        item = session.get(WorkItem, doing.id)
        assert item is not None
        following = session.scalar(
            select(WorkItem).where(
                WorkItem.order_line_id == item.order_line_id,
                WorkItem.position == item.position + 1,
            )
        )
    path = write_csv(
        tmp_path / "w2.csv",
        [["id", "状態", "理由"], [doing.id, "完了", ""], [ready.id, "保留", "部材待ち"]],
    )
    report = apply(kimura, path, RecordKind.WORK_ITEMS)
    assert report.updated == 2
    with demo_db.read() as session:
        finished = session.get(WorkItem, doing.id)
        blocked = session.get(WorkItem, ready.id)
        assert finished is not None and blocked is not None
        assert finished.status == "done" and finished.finished_at is not None
        assert (blocked.status, blocked.blocked_reason, blocked.status_before_block) == (
            "blocked",
            "部材待ち",
            "ready",
        )
        if following is not None and following.status == "waiting":
            assert session.get(WorkItem, following.id).status == "ready"  # type: ignore[union-attr]
            assert report.next_ready >= 1


def test_leads_change_only_their_teams_work(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    design = items_of(demo_db, "ready", team="design")[0]
    build = items_of(demo_db, "ready", team="build")[0]
    path = write_csv(
        tmp_path / "w.csv", [["id", "priority"], [design.id, 1], [build.id, build.priority]]
    )
    report = check(as_user("kimura"), path, RecordKind.WORK_ITEMS)
    assert [(p.row, p.reason) for p in report.problems] == [
        (2, "only a lead of team design or an admin can change its work")
    ]
    assert report.unchanged == 1  # an unchanged row of another team is no problem
    with pytest.raises(PermissionDenied, match="tanaka leads no team"):
        check(as_user("tanaka"), path, RecordKind.WORK_ITEMS)


def test_items_found_by_order_and_step(as_user: Any, demo_db: Database, tmp_path: Path) -> None:
    ready = items_of(demo_db, "ready")[0]
    path = write_csv(
        tmp_path / "w.csv",
        [["受注番号", "工程", "優先度"], [ready.order_code, ready.step, "緊急"], ["NOPE", "x", 1]],
    )
    report = check(as_user("admin-ito"), path, RecordKind.WORK_ITEMS)
    assert [c.field for c in report.changes] == (["priority"] if ready.priority != 1 else [])
    assert [p.reason for p in report.problems] == ["order NOPE has no step 'x'"]


def test_a_work_item_row_naming_another_customer_is_refused(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    ready = items_of(demo_db, "ready")[0]
    with demo_db.read() as session:
        own = session.scalar(
            select(Customer.code)
            .join(Order, Order.customer_id == Customer.id)
            .where(Order.code == ready.order_code)
        )
        other = session.scalar(select(Customer.code).where(Customer.code != own).limit(1))
    path = write_csv(
        tmp_path / "w.csv",
        [
            ["顧客コード", "受注番号", "工程", "優先度"],
            [other, ready.order_code, ready.step, "1"],
            [own, ready.order_code, ready.step, "1"],
        ],
    )
    report = check(as_user("admin-ito"), path, RecordKind.WORK_ITEMS)
    (problem,) = report.problems
    assert (problem.row, problem.column, problem.value) == (2, "顧客コード", other)
    assert f"is of customer {own}, not {other}" in problem.reason
    assert [c.row for c in report.changes] == ([3] if ready.priority != 1 else [])


def test_the_database_moving_after_the_dry_run_is_caught(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    ready = [i for i in items_of(demo_db, "in_progress") if i.priority != 1]
    path = write_csv(tmp_path / "w.csv", [["id", "priority"], [ready[0].id, 1], [ready[1].id, 1]])
    dry = check(admin, path, RecordKind.WORK_ITEMS)
    work_items.block(as_user("kimura"), ready[0].id, "no cable")
    before = counts(demo_db)
    with pytest.raises(Conflict, match="the database changed since the dry run"):
        apply(admin, path, RecordKind.WORK_ITEMS, expected_digest=dry.digest)
    assert counts(demo_db) == before


def test_problems_beyond_the_listed_ones_are_counted(as_user: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", [["id", "priority"], [1, 9], [2, 9], [3, 9]])
    seen: list[Any] = []
    report = check(
        as_user("admin-ito"), path, RecordKind.WORK_ITEMS, listed=2, on_problem=seen.append
    )
    assert (report.bad_rows, report.problems_total, len(report.problems), len(seen)) == (3, 3, 2, 3)


def test_a_known_order_changes_only_what_may_change(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["order", "customer", "requested", "sales owner", "priority"],
            ["ORD-2026-0001", "C0001", "2027/1/15", "田中 花子", "1"],
            ["ORD-2026-0002", "C0001", "", "", ""],
        ],
    )
    report = check(admin, path, RecordKind.ORDERS)
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (3, "customer", "order ORD-2026-0002 is of customer C0002")
    ]
    path = write_csv(
        tmp_path / "o2.csv",
        [
            ["order", "requested", "sales owner", "priority"],
            ["ORD-2026-0001", "2027/1/15", "田中 花子", "1"],
        ],
    )
    report = apply(admin, path, RecordKind.ORDERS)
    assert {(c.field, c.new) for c in report.changes} == {
        ("requested", "2027-01-15"),
        ("sales_owner", "tanaka"),
        ("priority", "1"),
    }
    with demo_db.read() as session:
        order = session.scalar(select(Order).where(Order.code == "ORD-2026-0001"))
        assert order is not None
        assert (order.requested_on, order.priority) == (date(2027, 1, 15), 1)
    assert customer_timeline(demo_db, "C0001")[-1].kind == "import.updated"


def test_orders_create_the_customers_they_name_when_the_mapping_says_so(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = write_csv(
        tmp_path / "log.csv",
        [
            ["Number", "Account", "Account name", "Service", "Opened"],
            ["NEW-1", "ACME", "Acme Corp", "cloud", "2026-04-01"],
            ["NEW-2", "ACME", "Acme Corp", "cloud", "2026-04-02"],
            ["NEW-3", "C0001", "", "cloud", "2026-04-03"],
            ["NEW-4", "BETA", "", "cloud", "2026-04-04"],
        ],
    )
    mapping = tmp_path / "m.toml"
    columns = (
        '[columns]\ncode = "Number"\ncustomer = "Account"\ncustomer_name = "Account name"\n'
        'services = "Service"\nreceived = "Opened"\n'
    )
    mapping.write_text(columns, encoding="utf-8")
    refused = check(admin, path, RecordKind.ORDERS, mapping)
    assert [(p.row, p.reason) for p in refused.problems] == [
        (2, "no customer ACME (create_customers = true in a mapping creates it)"),
        (3, "no customer ACME (create_customers = true in a mapping creates it)"),
        (5, "no customer BETA (create_customers = true in a mapping creates it)"),
    ]
    mapping.write_text("create_customers = true\n" + columns, encoding="utf-8")
    before = counts(demo_db)
    dry = check(admin, path, RecordKind.ORDERS, mapping)
    assert dry.created_keys == [
        "customer ACME", "order NEW-1", "order NEW-2", "order NEW-3",
        "customer BETA", "order NEW-4",
    ]  # fmt: skip
    assert counts(demo_db) == before
    report = apply(admin, path, RecordKind.ORDERS, mapping)
    assert report.created == 6
    after = counts(demo_db)
    assert (after["customers"] - before["customers"], after["orders"] - before["orders"]) == (2, 4)
    with demo_db.read() as session:
        names = dict(
            session.execute(
                select(Customer.code, Customer.name).where(Customer.code.in_(["ACME", "BETA"]))
            ).all()
        )
    assert names == {"ACME": "Acme Corp", "BETA": "BETA"}  # no name: its code
    history = customer_timeline(demo_db, "ACME")
    assert [e.kind for e in history].count("import.created") == 3  # the customer, two orders
    again = check(admin, path, RecordKind.ORDERS, mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
