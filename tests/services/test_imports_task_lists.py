"""A task list (工程表, WBS) imported as work items becomes a new order whose
steps are its rows, on a template version recorded for it."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backoffice_tui.services.imports import ImportRejected, RecordKind
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, Order, ProcessTemplate, Service, User, WorkItem
from tests.io.files import PROCESS_CHART_TASKS_MAPPING, process_chart_workbook
from tests.io.test_mapping_options import mapping_file
from tests.services.test_imports import apply, check, counts


def test_a_process_chart_becomes_an_order_with_its_steps(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = process_chart_workbook(tmp_path / "工程表.xlsx", ghost_rows=200, gantt_days=60)
    mapping = mapping_file(tmp_path, PROCESS_CHART_TASKS_MAPPING)
    dry = check(admin, path, RecordKind.WORK_ITEMS, mapping)
    assert dry.ok and dry.created == 1 + 3  # the order and its three steps
    report = apply(admin, path, RecordKind.WORK_ITEMS, mapping)
    assert report.digest == dry.digest
    with demo_db.read() as session:
        order = session.scalar(select(Order).where(Order.code == "ORD-P1"))
        assert order is not None
        assert order.received_on == date(2026, 4, 1) and order.requested_on == date(2026, 5, 20)
        items = session.scalars(
            select(WorkItem).where(WorkItem.order_id == order.id).order_by(WorkItem.position)
        ).all()
        users = dict(session.execute(select(User.id, User.login)).all())
        assert [
            (i.step.name, i.status, users.get(i.assignee_id or 0), i.team.code) for i in items
        ] == [
            ("要件定義", "done", "kimura", "build"),
            ("基本設計", "in_progress", "yamamoto", "build"),  # tanaka is yamamoto ([users])
            ("環境構築", "waiting", "kimura", "build"),
        ]
        first = items[0]
        assert (
            first.planned_start_on,
            first.planned_finish_on,
            first.actual_start_on,
            first.actual_finish_on,
        ) == (date(2026, 4, 1), date(2026, 4, 10), date(2026, 4, 2), date(2026, 4, 9))
        assert items[1].actual_finish_on is None  # the cached #VALUE! is empty
        # the columns no field holds are kept; the Gantt block is dropped
        assert [i.attributes for i in items] == [
            {"区分": "設計", "NO": "１"},
            {"区分": "設計", "NO": "2"},
            {"区分": "構築", "NO": "1"},
        ]
        template = session.get(ProcessTemplate, items[0].order_line.template_id)
        assert template is not None
        service = session.get(Service, template.service_id)
        assert service is not None
        assert (service.code, template.version) == ("construction-project", 1)
        assert [s.name for s in template.steps] == ["要件定義", "基本設計", "環境構築"]
        assert "要件定義" in template.source_toml
        loaded = session.scalar(
            select(Event).where(Event.kind == "template.loaded").order_by(Event.id.desc()).limit(1)
        )
        assert loaded is not None and "construction-project version 1" in loaded.summary

    before = counts(demo_db)
    again = apply(admin, path, RecordKind.WORK_ITEMS, mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert counts(demo_db) == before


def test_a_task_list_step_whose_assignee_is_not_in_the_team_is_refused(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = process_chart_workbook(tmp_path / "工程表.xlsx")
    text = PROCESS_CHART_TASKS_MAPPING.replace('[users]\n"tanaka" = "yamamoto"\n', "")
    before = counts(demo_db)
    with pytest.raises(ImportRejected) as caught:
        apply(admin, path, RecordKind.WORK_ITEMS, mapping_file(tmp_path, text))
    (problem,) = caught.value.report.problems
    assert (problem.row, problem.column, problem.value) == (7, "担当", "tanaka")
    assert problem.reason == "tanaka is not in team build"
    assert counts(demo_db) == before


def test_only_admins_create_orders_from_a_task_list(as_user: Any, tmp_path: Path) -> None:
    lead = as_user("kimura")
    path = process_chart_workbook(tmp_path / "工程表.xlsx")
    mapping = mapping_file(tmp_path, PROCESS_CHART_TASKS_MAPPING)
    with pytest.raises(Exception, match="only an admin can import a task list"):
        check(lead, path, RecordKind.WORK_ITEMS, mapping)


def test_a_task_list_for_an_unknown_customer_is_refused_by_the_dry_run_too(
    as_user: Any, demo_db: Database, tmp_path: Path
) -> None:
    admin = as_user("admin-ito")
    path = process_chart_workbook(tmp_path / "工程表.xlsx")
    text = PROCESS_CHART_TASKS_MAPPING.replace('customer = "C0001"', 'customer = "NEW-1"')
    mapping = mapping_file(tmp_path, text)
    dry = check(admin, path, RecordKind.WORK_ITEMS, mapping)
    # every row of the order names the customer
    assert [(p.row, p.column) for p in dry.problems] == [
        (6, "customer"),
        (7, "customer"),
        (10, "customer"),
    ]
    assert all("no customer NEW-1 (create_customers = true" in p.reason for p in dry.problems)
    created = mapping_file(tmp_path, "create_customers = true\n" + text)
    report = apply(admin, path, RecordKind.WORK_ITEMS, created)
    assert report.created == 1 + 1 + 3  # the customer, the order and its three steps
    with demo_db.read() as session:
        order = session.scalar(select(Order).where(Order.code == "ORD-P1"))
        assert order is not None and order.customer.code == "NEW-1"
