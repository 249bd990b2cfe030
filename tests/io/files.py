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
