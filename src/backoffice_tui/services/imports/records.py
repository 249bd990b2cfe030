"""What an import takes in and gives back: kinds of record, their fields,
the rows of a file, the options and the report."""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from backoffice_tui.domain.errors import InvalidInput

CHUNK = 1000


class RecordKind(StrEnum):
    CUSTOMERS = "customers"
    ORDERS = "orders"
    WORK_ITEMS = "work-items"
    EVENTS = "events"


class ValueKind(StrEnum):
    TEXT = "text"  # kept as typed, trimmed
    CODE = "code"  # identifiers and words: folded to half-width
    DATE = "date"
    MOMENT = "datetime"  # a date and a time of day
    INT = "int"
    LIST = "list"  # several codes in one cell


@dataclass(frozen=True)
class FieldSpec:
    name: str
    value: ValueKind
    help: str
    key: bool = False
    required: bool = False  # to create a record


FIELDS: dict[RecordKind, tuple[FieldSpec, ...]] = {
    RecordKind.CUSTOMERS: (
        FieldSpec("code", ValueKind.CODE, "customer code; the key", key=True),
        FieldSpec("name", ValueKind.TEXT, "customer name", required=True),
        FieldSpec("reading", ValueKind.CODE, "reading of the name in kana"),
        FieldSpec("segment", ValueKind.CODE, "enterprise, mid-market, small-business, ..."),
        FieldSpec("notes", ValueKind.TEXT, "notes"),
    ),
    RecordKind.ORDERS: (
        FieldSpec("code", ValueKind.CODE, "order code; the key", key=True),
        FieldSpec("title", ValueKind.TEXT, "what the order is, in a few words"),
        FieldSpec("customer", ValueKind.CODE, "customer code", required=True),
        FieldSpec("customer_name", ValueKind.TEXT, "customer name, for customers it creates"),
        FieldSpec(
            "services", ValueKind.LIST, "service codes or names, comma separated", required=True
        ),
        FieldSpec("received", ValueKind.DATE, "date the order was received", required=True),
        FieldSpec("requested", ValueKind.DATE, "requested delivery date"),
        FieldSpec("sales_owner", ValueKind.CODE, "sales owner: login or name"),
        FieldSpec("priority", ValueKind.INT, "1 urgent, 2 high, 3 normal, 4 low"),
    ),
    RecordKind.WORK_ITEMS: (
        FieldSpec("id", ValueKind.INT, "work item id (from an export); the key", key=True),
        FieldSpec("order", ValueKind.CODE, "order code; with step, the key when there is no id"),
        FieldSpec("customer", ValueKind.CODE, "customer code; the item must be this customer's"),
        FieldSpec("service", ValueKind.TEXT, "service; tells apart two lines with the same step"),
        FieldSpec("step", ValueKind.TEXT, "step name; with order, the key when there is no id"),
        FieldSpec("status", ValueKind.CODE, "waiting, ready, in progress, blocked, done, skipped"),
        FieldSpec("assignee", ValueKind.CODE, "login or name; blank for nobody"),
        FieldSpec("due", ValueKind.DATE, "due date"),
        FieldSpec("planned_start", ValueKind.DATE, "planned start date"),
        FieldSpec("planned_finish", ValueKind.DATE, "planned finish date"),
        FieldSpec("actual_start", ValueKind.DATE, "actual start date"),
        FieldSpec("actual_finish", ValueKind.DATE, "actual finish date"),
        FieldSpec("priority", ValueKind.INT, "1 urgent, 2 high, 3 normal, 4 low"),
        FieldSpec("team", ValueKind.CODE, "team code, for the steps a task list creates"),
        FieldSpec("version", ValueKind.INT, "version at export; refuses rows changed since"),
        FieldSpec("reason", ValueKind.TEXT, "why, when the status becomes blocked or skipped"),
    ),
    RecordKind.EVENTS: (
        FieldSpec("at", ValueKind.MOMENT, "when it happened (date and time)", required=True),
        FieldSpec("customer", ValueKind.CODE, "customer code", required=True),
        FieldSpec("customer_name", ValueKind.TEXT, "customer name, for customers it creates"),
        FieldSpec("order", ValueKind.CODE, "order code (a case, a ticket) the row is about"),
        FieldSpec("title", ValueKind.TEXT, "the order's title, for orders it creates"),
        FieldSpec("actor", ValueKind.CODE, "who did it: login or name"),
        FieldSpec("status", ValueKind.TEXT, "the state the row records"),
        FieldSpec("summary", ValueKind.TEXT, "what happened, in words"),
        FieldSpec("key", ValueKind.CODE, "the log's own id of the row; rows are told apart by it"),
    ),
}


@dataclass(frozen=True)
class BadRow:
    row: int  # as the spreadsheet shows it
    column: str
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceRow:
    number: int
    values: dict[str, Any]  # field -> parsed value, None for a blank cell
    problems: tuple[BadRow, ...] = ()  # cells that did not parse
    # the cells of the columns no field maps: header -> text, blank cells left out
    attributes: dict[str, str] | None = None


@dataclass(frozen=True)
class ImportSource:
    kind: RecordKind
    name: str
    columns: Mapping[str, str]  # field -> the file's header, for reports
    rows: Callable[[], Iterator[SourceRow]]  # a fresh pass over the file
    defaults: Mapping[str, Any] = field(default_factory=dict)  # for new records
    create_customers: bool = False  # orders, events: an unknown customer code is a new customer
    # the columns kept as attributes: a record's attribute of one of these
    # that is blank in its row is removed; the others are left alone
    attributes: tuple[str, ...] = ()
    users: Mapping[str, str] = field(default_factory=dict)  # name in the file -> login
    create_users: bool = False  # an unknown name becomes an inactive placeholder user
    create_steps: bool = False  # work items: rows of an unknown order become its steps


@dataclass(frozen=True)
class ImportOptions:
    update_only: bool = False
    skip_stale: bool = False
    expected_digest: str | None = None
    listed: int = 1000
    on_problem: Callable[[BadRow], None] | None = None


@dataclass(frozen=True)
class Change:
    row: int
    item: str
    field: str
    old: str
    new: str


@dataclass
class ImportReport:
    kind: str
    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    bad_rows: int = 0
    next_ready: int = 0
    applied: bool = False
    problems: list[BadRow] = field(default_factory=list)
    problems_total: int = 0
    refusals: list[BadRow] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    changes_total: int = 0
    created_keys: list[str] = field(default_factory=list)
    digest: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_rows == 0

    def summary(self) -> str:
        verb = "" if self.applied else "would be "
        text = (
            f"{self.created} {verb}created, {self.updated} {verb}updated, "
            f"{self.unchanged} unchanged"
        )
        if self.refused:
            text += f", {self.refused} refused (changed since the export)"
        if self.bad_rows:
            text += f", {self.bad_rows} bad"
        if self.next_ready:
            text += f"; {self.next_ready} next steps {'became' if self.applied else 'become'} ready"
        return text


class ImportRejected(InvalidInput):
    """Bad rows (or refused ones, unconfirmed): nothing was written."""

    def __init__(self, report: ImportReport, message: str) -> None:
        super().__init__(message)
        self.report = report
