"""Dates as people write them: 2026-04-01, 2026/4/1, 2026.4.1, 2026年4月1日,
令和8年4月1日 (or R8.4.1), 20260401. One rule for the console's fields, the
command line, application forms and imported files."""

import re
import unicodedata
from datetime import date

WRITTEN_FORMS = "2026-04-01, 2026/4/1, 2026年4月1日, 令和8年4月1日 or 20260401"

_ISO_LIKE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_KANJI_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ERA_DATE = re.compile(
    r"(令和|平成|昭和|大正|R|H|S|T)(元|\d{1,2})[年./-](\d{1,2})[月./-](\d{1,2})日?", re.IGNORECASE
)
# Japanese eras: first day, and the era that follows (the last day is the day before).
_ERAS = {
    "令和": date(2019, 5, 1),
    "平成": date(1989, 1, 8),
    "昭和": date(1926, 12, 25),
    "大正": date(1912, 7, 30),
}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正"}
_NEXT_ERA = {"大正": "昭和", "昭和": "平成", "平成": "令和"}


class NoSuchDay(ValueError):
    """Written as a date, but no day of the calendar (2026-02-30, 令和1年1月1日)."""


def _ymd(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise NoSuchDay(f"no such day {year}-{month:02d}-{day:02d}") from None


def _era_date(era: str, year_text: str, month: str, day: str) -> date:
    name = _ERA_LETTERS.get(era.upper(), era)
    first = _ERAS[name]
    year = 1 if year_text == "元" else int(year_text)
    if year < 1:
        raise NoSuchDay(f"{name} has no year {year}")
    result = _ymd(first.year + year - 1, int(month), int(day))
    following = _NEXT_ERA.get(name)
    if result < first or (following is not None and result >= _ERAS[following]):
        raise NoSuchDay(f"{result.isoformat()} is not in the {name} era")
    return result


def written_date(text: str) -> date | None:
    """The day ``text`` writes in one of the forms (full-width digits too),
    None if it is in none of them; NoSuchDay if it names no real day. Text
    after an ISO-like date (a time) is ignored."""
    text = unicodedata.normalize("NFKC", text).strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    compact = text.replace(" ", "")
    match = _ISO_LIKE.fullmatch(text) or _KANJI_DATE.fullmatch(compact)
    if match:
        return _ymd(*(int(part) for part in match.groups()[:3]))
    match = _ERA_DATE.fullmatch(compact)
    if match:
        return _era_date(*match.groups())
    match = _COMPACT.fullmatch(text)
    if match:
        return _ymd(*(int(part) for part in match.groups()))
    return None
