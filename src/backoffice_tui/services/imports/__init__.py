"""Importing customers, orders and work item changes from spreadsheets.

The file has already been read and its cells parsed (``io``): rows arrive
as ``SourceRow`` values keyed by field. This package checks every row
against the database and applies the result in one transaction; one module
per kind of record (``customers``, ``orders``, ``work_items``, and
``events`` for logs) on what they share (``run``).

- All or nothing: any bad row (a cell that does not parse, an unknown
  customer, a move a status cannot make, ...) and nothing is written. Every
  bad row is counted; the first ``ImportOptions.listed`` are kept for the
  report and every one goes to ``on_problem`` (the ``--errors`` file).
- Upsert by key: customer code, order code, work item id (or order code and
  step). A row equal to the database is unchanged, so re-importing the same
  file writes nothing and records no event. A column the file has is the
  truth (a blank cell clears an optional value); a column it lacks is left
  alone; mapping defaults fill in new records only.
- Customers and orders are imported by admins; work item changes by admins
  and by the leads of each item's team (rows that change nothing need no
  permission, so a lead may import a whole export back).
- Work items are only updated. A row whose item has another version than
  the file's ``version`` column, and whose values differ from the database,
  was changed since the export: it is refused, and the rest is applied only
  with ``skip_stale`` (the operator confirmed after seeing the refusals).
- The check (dry run) and the apply pass run the same code. The apply pass
  reads the file again, so nothing grows with the file but a bitmap of the
  ids seen; ``digest`` sums up every change (and the version of every
  record changed), so that an apply confirmed after a dry run is refused if
  the database moved in between.
"""

from collections.abc import Callable

from backoffice_tui.domain.errors import Conflict
from backoffice_tui.services.context import Context
from backoffice_tui.services.imports.customers import CustomerImport
from backoffice_tui.services.imports.events import EventImport
from backoffice_tui.services.imports.orders import OrderImport
from backoffice_tui.services.imports.records import (
    FIELDS,
    BadRow,
    Change,
    FieldSpec,
    ImportOptions,
    ImportRejected,
    ImportReport,
    ImportSource,
    RecordKind,
    SourceRow,
    ValueKind,
)
from backoffice_tui.services.imports.run import Importer, Run
from backoffice_tui.services.imports.work_items import WorkItemImport

__all__ = [
    "FIELDS",
    "BadRow",
    "Change",
    "FieldSpec",
    "ImportOptions",
    "ImportRejected",
    "ImportReport",
    "ImportSource",
    "RecordKind",
    "SourceRow",
    "ValueKind",
    "check_import",
    "run_import",
]

IMPORTERS: dict[RecordKind, Callable[[Run], Importer]] = {
    RecordKind.CUSTOMERS: CustomerImport,
    RecordKind.ORDERS: OrderImport,
    RecordKind.WORK_ITEMS: WorkItemImport,
    RecordKind.EVENTS: EventImport,
}


def check_import(
    ctx: Context, source: ImportSource, options: ImportOptions | None = None
) -> ImportReport:
    """The dry run: every row checked, the changes counted and listed, nothing written."""
    with ctx.db.read() as session:
        return Run(ctx, session, source, options or ImportOptions()).execute(
            IMPORTERS[source.kind], applying=False
        )


def run_import(
    ctx: Context, source: ImportSource, options: ImportOptions | None = None
) -> ImportReport:
    """Check and apply in one transaction: all of it, or nothing.

    Raises ``ImportRejected`` (with the report) when a row is bad, or when
    rows were refused as changed since the export and ``skip_stale`` is not
    set; ``Conflict`` when ``expected_digest`` (from the dry run the
    operator confirmed) no longer matches.
    """
    options = options or ImportOptions()
    with ctx.db.write() as session:
        report = Run(ctx, session, source, options).execute(IMPORTERS[source.kind], applying=True)
        if not report.ok:
            raise ImportRejected(
                report, f"{report.bad_rows} bad rows in {source.name}; nothing was written"
            )
        if report.refused and not options.skip_stale:
            raise ImportRejected(
                report,
                f"{report.refused} rows of {source.name} changed in the database since the "
                "export; nothing was written; confirm to apply the others, or export again",
            )
        if options.expected_digest is not None and report.digest != options.expected_digest:
            raise Conflict(
                "the database changed since the dry run; nothing was written; "
                "check the import again"
            )
        report.applied = True
        return report
