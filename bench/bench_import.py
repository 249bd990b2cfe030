"""Import benchmark: work item changes from CSV and XLSX, speed and memory.

Run from the project root with the project's Python::

    python bench/bench_import.py [--work-items 100000] [--keep DIR]

In one run, on SQLite:

1. ``backoffice demo generate`` makes a database of about N work items;
2. ``backoffice export queue --status all`` writes every item to CSV and to
   XLSX (timed, for information);
3. every row of both files gets a new priority, the files streamed row by
   row (never loaded whole); the first 100 and 10,000 rows are also
   written as small files;
4. ``backoffice import FILE --as work-items --update-only --yes`` runs as
   a subprocess on a fresh copy of the database for each file: 100 rows
   (the baseline: start-up and set-up), 10,000 rows and all N rows, CSV
   and XLSX. Each run reports wall time, rows per second and the peak
   resident memory of that process (``ru_maxrss`` from ``wait4``);
5. the database after the big CSV import is checked: every item changed,
   one event per item;
6. an event log of 50,000 rows (and of 100, the baseline) as a ticketing
   system exports it, five changes per order interleaved, day-first
   times, ``?`` for nothing, people who are not users, is imported
   ``--as events`` with a mapping: one event per row at its own time, one
   order per key (its state the last row's), a placeholder per person;
   then imported again, which adds nothing.

CPU seconds (of the import process) are shown next to the wall time:
on a shared machine they tell load from other work apart from the import's own.

Targets: >= 10,000 rows/s from CSV and >= 3,000 rows/s from XLSX for N
rows, whole command included; peak memory of the N-row CSV import within
25% of the 100-row one (memory does not grow with the file); the event log
>= 10,000 rows/s and within 1.2x the memory of its 100-row file. An XLSX
saved by Excel keeps its shared-string table in memory (openpyxl reads it
whole; this program's exports have none), so XLSX memory is reported, not
judged. The last line is JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from report import table

EVENT_LOG_MAPPING = """\
kind = "events"
dates = "day-first"
empty = ["?"]
create_users = true

[columns]
order = "Number"
customer = "Customer"
at = "Updated"
actor = "Updated by"
status = "State"
"""
RESOLVERS = 40  # people in the log, none of them a user

CSV_TARGET = 10_000
XLSX_TARGET = 3_000
MEMORY_GROWTH_LIMIT = 1.25
EVENT_LOG_GROWTH_LIMIT = 1.2
ADMIN = "admin-ito"


def backoffice(*args: str) -> list[str]:
    return [sys.executable, "-m", "backoffice_tui.cli.main", *args]


@dataclass
class Run:
    label: str
    rows: int
    seconds: float
    peak_mib: float
    output: str
    cpu_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def timed(command: list[str], env: dict[str, str], folder: Path) -> tuple[float, float, str, float]:
    """Run a command; returns (wall seconds, peak RSS in MiB of that process,
    stdout, CPU seconds of that process)."""
    out_path, err_path = folder / "command.out", folder / "command.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        # wait4 gives this child's own resource usage, peak memory included
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"command failed ({code}): {' '.join(command)}")
        print(out_path.read_text()[-2000:])
        print(err_path.read_text()[-2000:])
        raise SystemExit(2)
    return elapsed, usage.ru_maxrss / 1024, out_path.read_text(), usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------
# Editing the exported files by streaming


def new_priority(old: object) -> int:
    return int(old) % 4 + 1  # type: ignore[call-overload]


def edit_csv(source: Path, targets: dict[int | None, Path]) -> int:
    """Write copies of ``source`` with every priority changed: one per row
    limit (None = every row). Returns the number of data rows."""
    streams = {
        limit: path.open("w", encoding="utf-8-sig", newline="") for limit, path in targets.items()
    }
    writers = {limit: csv.writer(stream) for limit, stream in streams.items()}
    count = 0
    with source.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        column = header.index("priority")
        for writer in writers.values():
            writer.writerow(header)
        for row in reader:
            row[column] = str(new_priority(row[column]))
            count += 1
            for limit, writer in writers.items():
                if limit is None or count <= limit:
                    writer.writerow(row)
    for stream in streams.values():
        stream.close()
    return count


def edit_xlsx(source: Path, targets: dict[int | None, Path]) -> None:
    book = load_workbook(source, read_only=True)
    sheet = book.active
    outputs = {}
    for limit, path in targets.items():
        out = Workbook(write_only=True)
        outputs[limit] = (out, out.create_sheet(sheet.title), path)
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    column = header.index("priority")
    for _, out_sheet, _ in outputs.values():
        out_sheet.append(header)
    for count, row in enumerate(rows, 1):
        values = list(row)
        values[column] = new_priority(values[column])
        for limit, (_, out_sheet, _) in outputs.items():
            if limit is None or count <= limit:
                out_sheet.append(values)
    book.close()
    for out, _, path in outputs.values():
        out.save(path)


# --------------------------------------------------------------------------


EVENT_LOG_ROWS = 50_000
CHANGES_PER_ORDER = 5
_PRIORITIES = ("1 - Critical", "2 - Medium", "3 - Low")
_STATES = ("1 - New", "2 - Active", "3 - Awaiting user", "6 - Resolved", "7 - Closed")


def write_event_log(path: Path, rows: int, customers: list[str]) -> int:
    """A ticketing system's event log: one row per change, the orders'
    changes interleaved in time, day-first dates, ``?`` for nothing; the
    number of orders (distinct keys)."""
    orders = max(rows // CHANGES_PER_ORDER, 1)
    with path.open("w", newline="", encoding="utf-8") as stream:
        out = csv.writer(stream)
        out.writerow(
            [
                *("Number", "Customer", "Service", "Opened", "Due", "Priority", "Caller"),
                *("Updated", "Updated by", "State"),
            ]
        )
        for n in range(rows):
            order, change = n % orders, n // orders
            day = 1 + order % 28
            due = "?" if change == 0 else f"{day}/12/2026 1{change}:00"
            out.writerow(
                [
                    f"EL-{order:06d}",
                    customers[order % len(customers)],
                    "cloud",
                    f"{day}/11/2026 09:{order % 60:02d}",
                    due,
                    _PRIORITIES[(order + change) % len(_PRIORITIES)],
                    f"Caller {order % 997}",
                    f"{day}/11/2026 1{change}:{order % 60:02d}:{n % 60:02d}",
                    f"Resolver {(order + change) % RESOLVERS}",
                    _STATES[change % len(_STATES)],
                ]
            )
    return orders


def fresh_copy(base: Path, folder: Path) -> Path:
    """A copy of the generated database for one run, with no WAL of an earlier one."""
    copy = folder / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, copy)
    return copy


def check_database(path: Path, rows: int) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        changed = conn.execute("SELECT count(*) FROM work_items WHERE version > 1").fetchone()[0]
        events = conn.execute(
            "SELECT count(*) FROM events WHERE kind = 'import.updated'"
        ).fetchone()[0]
    return int(changed), int(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-items", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="Work in this directory and keep it.")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["XDG_STATE_HOME"] = str(folder / "state")
    env["XDG_CONFIG_HOME"] = str(folder / "config")
    print(
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} cpus, folder {folder}"
    )

    base = folder / "base.db"
    if not base.exists():
        url = f"sqlite:///{base}"
        subprocess.run(
            backoffice("--database", url, "db", "upgrade"), env=env, check=True, capture_output=True
        )
        seconds, _, _, _ = timed(
            backoffice(
                "--database",
                url,
                "demo",
                "generate",
                "--customers",
                str(args.customers),
                "--work-items",
                str(args.work_items),
            ),
            env,
            folder,
        )
        print(f"generated {args.work_items:,} work items in {seconds:.1f} s")
        with sqlite3.connect(base) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    url = f"sqlite:///{base}"
    exports = []
    for fmt in ("csv", "xlsx"):
        path = folder / f"queue.{fmt}"
        path.unlink(missing_ok=True)
        seconds, peak, _, _ = timed(
            backoffice(
                "--database",
                url,
                "--user",
                ADMIN,
                "export",
                "queue",
                "--status",
                "all",
                "--output",
                str(path),
            ),
            env,
            folder,
        )
        exports.append((fmt, seconds, peak, path.stat().st_size / 2**20))
    print("\n== export queue (every status) ==")
    table(
        ("format", "seconds", "peak MiB", "file MiB"),
        [(f, f"{s:.1f}", f"{p:.0f}", f"{m:.1f}") for f, s, p, m in exports],
    )

    sizes = {100: "100", 10_000: "10k", None: "all"}
    csv_files = {limit: folder / f"edited-{name}.csv" for limit, name in sizes.items()}
    xlsx_files = {limit: folder / f"edited-{name}.xlsx" for limit, name in sizes.items()}
    started = time.perf_counter()
    total = edit_csv(folder / "queue.csv", csv_files)
    edit_xlsx(folder / "queue.xlsx", xlsx_files)
    print(
        f"\nedited {total:,} rows (priority) in both files in {time.perf_counter() - started:.1f} s"
    )

    load = os.getloadavg()[0]
    runs: list[Run] = []
    for fmt, files in (("csv", csv_files), ("xlsx", xlsx_files)):
        for limit, path in files.items():
            rows = limit or total
            copy = fresh_copy(base, folder)
            seconds, peak, out, cpu = timed(
                backoffice(
                    "--database",
                    f"sqlite:///{copy}",
                    "--user",
                    ADMIN,
                    "import",
                    str(path),
                    "--as",
                    "work-items",
                    "--update-only",
                    "--yes",
                ),
                env,
                folder,
            )
            summary = out.strip().splitlines()[-1]
            expected = f"0 created, {rows} updated, 0 unchanged"
            if expected not in summary:
                print(f"unexpected result for {path.name}: {summary}")
                raise SystemExit(2)
            runs.append(Run(f"{fmt} {sizes[limit]}", rows, seconds, peak, summary, cpu))
            if fmt == "csv" and limit is None:
                changed, events = check_database(copy, rows)
                print(
                    f"after the {rows:,}-row CSV import: {changed:,} items changed, "
                    f"{events:,} import events"
                )
                assert changed == rows and events == rows

    with sqlite3.connect(base) as conn:
        customers = [code for (code,) in conn.execute("SELECT code FROM customers LIMIT 1000")]
    mapping = folder / "event-log.toml"
    mapping.write_text(EVENT_LOG_MAPPING, encoding="utf-8")
    for rows in (100, EVENT_LOG_ROWS):
        path = folder / f"event-log-{rows}.csv"
        orders = write_event_log(path, rows, customers)
        copy = fresh_copy(base, folder)
        command = backoffice(
            *("--database", f"sqlite:///{copy}", "--user", ADMIN, "import", str(path)),
            *("--as", "events", "--mapping", str(mapping), "--yes"),
        )
        label = "event log 100" if rows == 100 else "event log all"
        people = len({(n % orders + n // orders) % RESOLVERS for n in range(rows)})
        for again, expected in (
            (False, f"{rows + orders + people} created, 0 updated, 0 unchanged"),
            (True, f"0 created, 0 updated, {rows} unchanged"),
        ):
            seconds, peak, out, cpu = timed(command, env, folder)
            summary = out.strip().splitlines()[-1]
            if expected not in summary:
                print(f"unexpected result for {path.name}: {summary} (expected {expected})")
                raise SystemExit(2)
            runs.append(Run(label + (" again" if again else ""), rows, seconds, peak, summary, cpu))

    print(
        "\n== imports (subprocess, fresh database copy): work items --update-only --yes; "
        "the event log --as events with a mapping, --yes, then again =="
    )
    table(
        ("file", "rows", "seconds", "rows/s", "CPU s", "peak MiB"),
        [
            (
                r.label,
                f"{r.rows:,}",
                f"{r.seconds:.2f}",
                f"{r.rows_per_second:,.0f}",
                f"{r.cpu_seconds:.2f}",
                f"{r.peak_mib:.0f}",
            )
            for r in runs
        ],
    )
    by = {r.label: r for r in runs}
    csv_big, xlsx_big = by["csv all"], by["xlsx all"]
    csv_small, xlsx_small = by["csv 100"], by["xlsx 100"]
    growth = csv_big.peak_mib / csv_small.peak_mib
    log_big, log_small = by["event log all"], by["event log 100"]
    log_growth = log_big.peak_mib / log_small.peak_mib
    checks = {
        f"event log {log_big.rows:,} rows (events) >= {CSV_TARGET:,} rows/s": (
            log_big.rows_per_second >= CSV_TARGET
        ),
        f"event log peak memory <= {EVENT_LOG_GROWTH_LIMIT}x 100 rows": (
            log_growth <= EVENT_LOG_GROWTH_LIMIT
        ),
        f"CSV {total:,} rows >= {CSV_TARGET:,} rows/s": csv_big.rows_per_second >= CSV_TARGET,
        f"XLSX {total:,} rows >= {XLSX_TARGET:,} rows/s": xlsx_big.rows_per_second >= XLSX_TARGET,
        f"CSV peak memory {total:,} rows <= {MEMORY_GROWTH_LIMIT}x 100 rows": growth
        <= MEMORY_GROWTH_LIMIT,
    }
    print(f"\nload average before the imports: {load:.2f} ({os.cpu_count()} cpus)")
    print(
        f"baseline (100 rows, start-up and set-up): CSV {csv_small.seconds:.2f} s, "
        f"XLSX {xlsx_small.seconds:.2f} s"
    )
    print(
        f"net of the baseline: CSV {(total - 100) / (csv_big.seconds - csv_small.seconds):,.0f} "
        f"rows/s, XLSX {(total - 100) / (xlsx_big.seconds - xlsx_small.seconds):,.0f} rows/s"
    )
    print(
        f"peak memory, all rows / 100 rows: CSV {growth:.2f}x, "
        f"XLSX {xlsx_big.peak_mib / xlsx_small.peak_mib:.2f}x (openpyxl's reader), "
        f"event log {log_growth:.2f}x"
    )
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    print(
        json.dumps(
            {
                "work_items": total,
                "runs": [{**asdict(r), "rows_per_second": round(r.rows_per_second)} for r in runs],
                "csv_rows_per_second": round(csv_big.rows_per_second),
                "xlsx_rows_per_second": round(xlsx_big.rows_per_second),
                "csv_memory_growth": round(growth, 3),
                "event_log_rows_per_second": round(log_big.rows_per_second),
                "event_log_memory_growth": round(log_growth, 3),
                "load_average": round(load, 2),
                "pass": all(checks.values()),
            },
            ensure_ascii=False,
        )
    )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
