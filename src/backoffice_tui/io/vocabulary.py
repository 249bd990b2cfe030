"""The words people put in spreadsheets: header names and cell values, in
English and Japanese, recognised without a mapping file.

Names are compared after ``values.match_key`` (width, case, spaces and
punctuation ignored), so ``Customer Code``, ``customer_code`` and
``ＣＵＳＴＯＭＥＲ　ＣＯＤＥ`` are one name. The first name of each field is the
one exports write.
"""

from backoffice_tui.services.imports import RecordKind

HEADER_NAMES: dict[RecordKind, dict[str, tuple[str, ...]]] = {
    RecordKind.CUSTOMERS: {
        "code": (
            "code",
            "customer code",
            "customer id",
            "customer no",
            "顧客コード",
            "顧客番号",
            "顧客ID",
            "取引先コード",
            "取引先番号",
            "得意先コード",
            "コード",
        ),
        "name": (
            "name",
            "customer name",
            "customer",
            "company",
            "company name",
            "顧客名",
            "顧客名称",
            "顧客",
            "取引先名",
            "得意先名",
            "会社名",
            "名称",
        ),
        "reading": (
            "reading",
            "kana",
            "furigana",
            "よみ",
            "読み",
            "よみがな",
            "ふりがな",
            "フリガナ",
            "カナ",
            "顧客名カナ",
            "顧客名かな",
        ),
        "segment": ("segment", "customer segment", "区分", "顧客区分", "セグメント", "業種区分"),
        "notes": ("notes", "note", "remarks", "memo", "備考", "メモ", "特記事項"),
    },
    RecordKind.ORDERS: {
        "code": (
            "order",
            "order code",
            "order no",
            "order number",
            "code",
            "受注番号",
            "受注コード",
            "注文番号",
            "案件番号",
            "受注No",
        ),
        "customer": (
            "customer",
            "customer code",
            "顧客コード",
            "顧客番号",
            "取引先コード",
            "得意先コード",
        ),
        "customer_name": ("customer name", "顧客名", "取引先名", "得意先名", "会社名"),
        "services": (
            "services",
            "service",
            "service code",
            "サービス",
            "サービス名",
            "サービスコード",
            "商材",
            "商品",
        ),
        "received": (
            "received",
            "received on",
            "order date",
            "received date",
            "受注日",
            "受付日",
            "注文日",
        ),
        "requested": (
            "requested",
            "requested on",
            "requested date",
            "delivery date",
            "due",
            "納期",
            "希望納期",
            "納品希望日",
        ),
        "sales_owner": (
            "sales owner",
            "sales",
            "owner",
            "営業担当",
            "営業担当者",
            "担当営業",
            "担当者",
            "担当",
        ),
        "priority": ("priority", "優先度", "優先順位"),
    },
    RecordKind.WORK_ITEMS: {
        "id": ("id", "work item", "work item id", "item id", "作業ID", "ID", "項目ID"),
        "order": ("order", "order code", "order no", "受注番号", "受注コード", "注文番号"),
        "customer": ("customer", "customer code", "顧客", "顧客コード", "顧客番号"),
        "service": ("service", "サービス", "サービス名"),
        "step": ("step", "step name", "工程", "工程名", "作業", "作業名", "ステップ"),
        "status": ("status", "state", "状態", "ステータス", "進捗", "進捗状況"),
        "assignee": ("assignee", "assigned to", "担当者", "担当", "作業担当者"),
        "due": ("due", "due date", "due on", "納期", "期限", "期日", "完了予定日"),
        "priority": ("priority", "優先度", "優先順位"),
        "version": ("version", "版", "バージョン"),
        "reason": ("reason", "blocked reason", "理由", "保留理由", "停止理由"),
    },
}

# Columns an export writes that an import reads past without a word.
KNOWN_UNUSED: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.CUSTOMERS: (),
    RecordKind.ORDERS: (),
    RecordKind.WORK_ITEMS: ("customer name", "team", "顧客名", "チーム"),
}

# Cell words for a field, mapped to what the service takes.
STATUS_WORDS: dict[str, str] = {
    "待ち": "waiting",
    "待機": "waiting",
    "未着手": "ready",
    "着手可": "ready",
    "準備完了": "ready",
    "対応中": "in_progress",
    "作業中": "in_progress",
    "進行中": "in_progress",
    "着手": "in_progress",
    "保留": "blocked",
    "停止": "blocked",
    "停止中": "blocked",
    "ブロック": "blocked",
    "完了": "done",
    "済": "done",
    "済み": "done",
    "対応済": "done",
    "不要": "skipped",
    "スキップ": "skipped",
    "省略": "skipped",
}
PRIORITY_WORDS: dict[str, int] = {
    "urgent": 1,
    "緊急": 1,
    "至急": 1,
    "high": 2,
    "高": 2,
    "normal": 3,
    "中": 3,
    "普通": 3,
    "通常": 3,
    "low": 4,
    "低": 4,
}
BUILT_IN_WORDS: dict[str, dict[str, object]] = {
    "status": dict(STATUS_WORDS),
    "priority": dict(PRIORITY_WORDS),
}
