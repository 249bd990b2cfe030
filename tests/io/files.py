"""Spreadsheet files as people make them, written for the tests."""

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> Path:
    """Rows as CSV text in ``encoding`` (``utf-8-sig`` writes a BOM), CRLF as Excel does."""
    lines = [",".join("" if cell is None else str(cell) for cell in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def japanese_customers_cp932(path: Path) -> Path:
    """A Shift_JIS (CP932) customer list with a title, Japanese headers,
    full-width codes and spaces around values; no BOM."""
    return write_csv(
        path,
        [
            ["顧客一覧（２０２６年４月）", "", "", "", ""],
            ["", "", "", "", ""],
            ["顧客コード", "顧客名", "フリガナ", "区分", "備考"],
            ["Ｋ００１", "株式会社みなと商事", "ﾐﾅﾄｼｮｳｼﾞ", "enterprise", " 本社は横浜 "],
            ["K002", " 合同会社さくら ", "さくら", "small-business", ""],
            ["", "", "", "", ""],
            ["K003", "東邦電機株式会社", "トウホウデンキ", "mid-market", "①号館"],
        ],
        "cp932",
    )


def orders_workbook(path: Path, customer: str) -> Path:
    """An order list as a sales team keeps it: a merged title above the
    header, a header merged over two rows, the order code and customer
    merged down the rows of a multi-service order, real date cells, Excel
    serial numbers, written dates and full-width digits."""
    book = Workbook()
    sheet = book.active
    sheet.title = "受注一覧"
    sheet["A1"] = "2026年度 受注一覧"
    sheet.merge_cells("A1:G1")
    sheet.append([])  # row 2 blank
    sheet.append(["受注番号", "顧客", None, "サービス", "日付", None, "優先度"])  # row 3
    sheet.append([None, "コード", "名前", None, "受注日", "納期", None])  # row 4
    for column in ("A", "D", "G"):
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("B3:C3")
    sheet.merge_cells("E3:F3")
    rows = [
        ["ＯＲＤ－１", customer, "みなと", "cloud", datetime(2026, 4, 1), 46_143, "２"],
        [None, None, None, "network-line", None, None, None],
        ["ORD-2", customer, "みなと", "Managed security", 46_114, "2026年5月20日", 3],
        ["ORD-3", customer, "みなと", "cloud", "2026/4/3", date(2026, 6, 1), "高"],
    ]
    for row in rows:
        sheet.append(row)
    # ORD-1 spans rows 5 and 6: its code and customer are merged down
    for column in ("A", "B", "C", "E", "F", "G"):
        sheet.merge_cells(f"{column}5:{column}6")
    sheet["E7"].number_format = "General"  # a serial number that is not shown as a date
    book.save(path)
    return path


def incident_log_csv(path: Path, customer: str) -> Path:
    """An event log as a ticketing system exports it: one row per change of
    an order, day-first times, ``?`` for nothing, labelled priorities, and a
    column no mapping names."""
    return write_csv(
        path,
        [
            ["Number", "Customer", "Service", "Opened", "Due", "Priority", "Assigned to"],
            ["ORD-L1", customer, "cloud", "3/4/2026 09:15", "?", "3 - Low", "Caller 2403"],
            ["ORD-L2", customer, "network-line", "13/4/2026 17:40", "30/4/2026 00:00", "?", "?"],
            ["ORD-L1", customer, "cloud", "3/4/2026 09:15", "20/4/2026 12:00", "2 - Medium", "?"],
            ["ORD-L1", customer, "cloud", "3/4/2026 09:15", "21/4/2026 08:05", "1 - Critical", ""],
        ],
    )


INCIDENT_LOG_MAPPING = """\
kind = "orders"
dates = "day-first"
empty = ["?"]
repeated = "last"

[columns]
code = "Number"
customer = "Customer"
services = "Service"
received = "Opened"
requested = "Due"
priority = "Priority"

[values.priority]
"1 - Critical" = 1
"2 - Medium" = 2
"3 - Low" = 4
"""


def incident_events_csv(path: Path) -> Path:
    """A ticketing system's event log whole: one row per change of an
    incident (its number repeats), the caller as the customer, day-first
    times, ``?`` for nothing, labelled values (``2 - Medium``), people who
    are not users, and columns no field holds."""
    header = ["Number", "Caller", "State", "Priority", "Category", "Updated", "Updated by"]
    return write_csv(
        path,
        [
            [*header, "Short description", "Reassignments"],
            [
                "INC001",
                "Caller 2403",
                "1 - New",
                "3 - Low",
                "Network",
                "3/4/2026 09:15",
                "Resolver 12",
                "VPN drops",
                "0",
            ],
            [
                "INC002",
                "Caller 5110",
                "1 - New",
                "2 - Medium",
                "?",
                "13/4/2026 17:40",
                "Resolver 7",
                "Printer offline",
                "?",
            ],
            [
                "INC001",
                "Caller 2403",
                "2 - Active",
                "2 - Medium",
                "Network",
                "4/4/2026 10:00",
                "Resolver 12",
                "VPN drops",
                "1",
            ],
            [
                "INC001",
                "Caller 2403",
                "6 - Resolved",
                "1 - Critical",
                "Network",
                "5/4/2026 08:05",
                "Resolver 3",
                "VPN drops daily",
                "2",
            ],
        ],
    )


INCIDENT_EVENTS_MAPPING = """\
kind = "events"
dates = "day-first"
empty = ["?"]
create_customers = true
create_users = true

[columns]
order = "Number"
customer = "Caller"
status = "State"
at = "Updated"
actor = "Updated by"
title = "Short description"

[users]
"Resolver 7" = "sato"
"""


def us_orders_csv(path: Path, customer: str) -> Path:
    """A US export: month-first dates with AM/PM times, blanks and ``Unspecified``."""
    return write_csv(
        path,
        [
            ["Order", "Account", "Service", "Created", "Needed by", "Owner"],
            ["US-1", customer, "cloud", "11/20/2026 09:15:00 AM", "", "Unspecified"],
            ["US-2", customer, "cloud", "02/03/2026 11:59:59 PM", "12/01/2026 12:00:00 PM", ""],
        ],
    )


US_ORDERS_MAPPING = """\
dates = { all = "month-first", requested = "%m/%d/%Y %I:%M:%S %p" }
empty = { sales_owner = ["Unspecified"] }

[columns]
code = "Order"
customer = "Account"
services = "Service"
received = "Created"
requested = "Needed by"
sales_owner = "Owner"
"""


def process_chart_workbook(path: Path, ghost_rows: int = 0, gantt_days: int = 0) -> Path:
    """A 工程表 as project teams keep it: a title, a two-row header whose
    予定 and 実績 groups each repeat 開始日 and 終了日, the project code merged
    down, section rows, 'NO' restarting in each section (one in full-width
    digits), a hidden row, a cached #VALUE!, ``ghost_rows`` rows at the
    end that hold only formulas with their cached results, and a Gantt block
    of ``gantt_days`` day columns (from J) marked ■ where work is planned."""
    book = Workbook()
    sheet = book.active
    sheet.title = "工程表"
    sheet["A1"] = "工程表 2026年度"
    sheet.merge_cells("A1:I1")
    sheet.append([])
    sheet.append(["案件", "区分", "NO", "作業名", "担当", "予定", None, "実績", None])  # row 3
    sheet.append([None, None, None, None, None, "開始日", "終了日", "開始日", "終了日"])  # row 4
    for column in "ABCDE":
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("F3:G3")
    sheet.merge_cells("H3:I3")
    rows = [
        ["ORD-P1", "設計", None, None, None, None, None, None, None],  # row 5: a section
        [None, None, "１", "要件定義", "kimura", "2026/4/1", "2026/4/10", "2026/4/2", "2026/4/9"],
        [None, None, 2, "基本設計", "tanaka", "2026/4/11", "2026/4/30", "2026/4/13", "#VALUE!"],
        [None, None, 3, "旧作業", "kimura", "2026/4/1", "2026/4/2", None, None],  # row 8, hidden
        [None, "構築", None, None, None, None, None, None, None],  # row 9: a section
        [None, None, 1, "環境構築", "kimura", "2026/5/1", "2026/5/20", None, None],  # row 10
    ]
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A5:A10")
    sheet.row_dimensions[8].hidden = True
    for offset in range(gantt_days):
        column = 10 + offset
        sheet.cell(3, column, "2026年4月" if offset == 0 else None)
        sheet.cell(4, column, date(2026, 4, 1 + offset % 30))
        for number in (6, 7, 10):
            sheet.cell(number, column, "■" if offset % 3 == number % 3 else None)
    for number in range(11, 11 + ghost_rows):
        sheet[f"C{number}"] = f"=C{number - 1}+1"
        sheet[f"D{number}"] = f'=IF(E{number}="","",E{number})'
    book.save(path)
    if ghost_rows:
        _cache_formula_results(path)
    return path


PROCESS_CHART_TASKS_MAPPING = """\
kind = "work-items"
create_steps = true
fill_down = ["区分"]
empty = ["#VALUE!"]
drop = [{ letters = "J:ZZ" }]   # the Gantt block

[columns]
order = "案件"
step = "作業名"
assignee = "担当"
planned_start = "予定/開始日"
planned_finish = "予定/終了日"
actual_start = "実績/開始日"
actual_finish = "実績/終了日"

[defaults]
customer = "C0001"
team = "build"
service = "Construction project"

[users]
"tanaka" = "yamamoto"

[skip]
hidden = true
formula_only = true
where = [{ column = "NO", blank = true }]
"""


def _cache_formula_results(path: Path) -> None:
    """Give every formula the cached result a spreadsheet program would have
    saved (openpyxl writes formulas without one): a number for C, "" for D."""
    import re
    import zipfile

    name = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as book:
        parts = {item: book.read(item) for item in book.namelist()}
    xml = parts[name].decode()
    xml = re.sub(r'<c r="(C\d+)"><f>', r'<c r="\1" t="n"><f>', xml)
    xml = re.sub(r'<c r="(D\d+)"><f>', r'<c r="\1" t="str"><f>', xml)
    xml = re.sub(
        r'(<c r="([CD])\d+" t="\w+"><f>[^<]*</f>)<v />',
        lambda m: m.group(1) + ("<v>7</v>" if m.group(2) == "C" else "<v></v>"),
        xml,
    )
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for item, data in parts.items():
            book.writestr(item, data)


PROCESS_CHART_MAPPING = """\
kind = "work-items"
fill_down = ["区分"]
empty = { due = ["#VALUE!"] }

[columns]
order = "案件"
assignee = "担当"
due = "実績/終了日"
reason = "予定/終了日"

[combine]
step = { columns = ["区分", "NO"], separator = "-" }

[skip]
hidden = true
formula_only = true
where = [{ column = "NO", blank = true }]
"""
