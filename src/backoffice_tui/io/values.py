"""Cell values as spreadsheets hold them, turned into plain Python values.

Cells arrive as text (CSV) or as numbers, dates and text (XLSX). Text is
trimmed; identifiers, numbers and dates are also folded with NFKC, so that
full-width digits and letters (２０２６, ＡＢＣ) read as their half-width forms.
Free text such as a customer's name is kept as typed, only trimmed.
"""

import functools
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.written_dates import WRITTEN_FORMS, NoSuchDay, written_date

# Excel's calendar ends on 9999-12-31, serial 2958465.
_LAST_SERIAL = 2_958_465
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")

DATE_FORMS = WRITTEN_FORMS.replace(" or ", ", ") + " or an Excel date"
# How a file orders day and month in dates such as 3/4/2026: ``dates`` in a mapping.
DATE_ORDERS = ("year-first", "day-first", "month-first")
_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AP]\.?M\.?)?)?"
_NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME, re.IGNORECASE)
_CLOCK = re.compile(
    r"[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:([AP])\.?M\.?)?$", re.IGNORECASE
)
# What a spreadsheet caches in a cell whose formula failed.
SPREADSHEET_ERRORS = frozenset(
    {"#VALUE!", "#DIV/0!", "#N/A", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


class CellError(ValueError):
    """A cell that cannot be read as the field's kind of value; the message is the reason."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def fold(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms) and trimmed."""
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


@functools.lru_cache(maxsize=1024)
def match_key(text: str) -> str:
    """How header names and value-map words are compared: folded, case-
    insensitive, without spaces, underscores, hyphens or dots. Cached: a
    file repeats the same few words (statuses, ``?``) on every row."""
    folded = fold(text).casefold()
    return re.sub(r"[\s_\-.・:：()（）*＊]+", "", folded)


def as_text(value: object) -> str | None:
    """Trimmed text of a cell, or None when it is blank. Whole numbers lose
    the ``.0`` a spreadsheet adds (a code typed as 1001 stays ``1001``)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_code(value: object) -> str | None:
    """An identifier (code, login, status word): text folded with NFKC."""
    text = as_text(value)
    return None if text is None else fold(text)


def as_int(value: object) -> int:
    if isinstance(value, bool):
        raise CellError("not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError("not a whole number")
    text = as_code(value)
    if text is None:
        raise CellError("blank")
    try:
        return int(text.replace(",", ""))
    except ValueError:
        raise CellError("not a whole number") from None


def _from_serial(serial: float) -> date:
    if not 1 <= serial <= _LAST_SERIAL:
        raise CellError(f"not a date (use {DATE_FORMS})")
    from openpyxl.utils.datetime import from_excel  # openpyxl loads only when a workbook is used

    moment = from_excel(serial)
    return moment.date() if isinstance(moment, datetime) else moment


def _ymd(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(f"no such day {year}-{month:02d}-{day:02d}") from None


def as_date(value: object) -> date:
    """A date from a date cell, an Excel serial number or the usual written forms."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError(f"not a date (use {DATE_FORMS})")
    if isinstance(value, int | float):
        if isinstance(value, int) and 19_000_101 <= value <= 99_991_231:
            return as_date(str(value))
        return _from_serial(float(value))
    text = as_code(value)
    if text is None:
        raise CellError("blank")
    try:
        written = written_date(text)
    except NoSuchDay as error:
        raise CellError(str(error)) from None
    if written is not None:
        return written
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text))
    if _NUMERIC_DATE.fullmatch(text):
        raise CellError(
            "not a date: day or month first? say which with "
            'dates = "day-first" or "month-first" in a mapping file'
        )
    raise CellError(f"not a date (use {DATE_FORMS})")


def typed_date(text: str, what: str) -> date:
    """A date a person typed (2026-12-14, 2026/12/14, 令和8年12月14日,
    20261214), never a bare number, which a file would mean as an Excel
    serial; otherwise InvalidInput naming ``what`` and the text."""
    text = text.strip()
    try:
        if text.isdigit() and len(text) != 8:
            raise CellError(f"not a date (use {DATE_FORMS.split(' or ')[0]})")
        return as_date(text)
    except CellError as error:
        raise InvalidInput(f"{what} {text!r}: {error}") from None


def _clock(text: str) -> time:
    """The time written after a date (``10:05``, ``9:05:30 PM``), or midnight."""
    match = _CLOCK.search(text)
    if match is None:
        return time()
    hour, minute, second, half = match.groups()
    hours = int(hour)
    if half is not None:
        if not 1 <= hours <= 12:
            raise CellError(f"no hour {hours} {half.upper()}M")
        hours = hours % 12 + (12 if half.upper() == "P" else 0)
    try:
        return time(hours, int(minute), int(second or 0))
    except ValueError:
        raise CellError(f"no such time {match.group(0).strip()}") from None


def _with_time(read_date: Callable[[object], date]) -> Callable[[object], datetime]:
    """A reader of date and time from a reader of dates: a date cell or an
    Excel serial keeps its time; written text keeps the time after its date."""

    def parse(value: object) -> datetime:
        if isinstance(value, datetime):
            return value
        if isinstance(value, float) and not isinstance(value, bool):
            from openpyxl.utils.datetime import from_excel

            moment = from_excel(value) if 1 <= value <= _LAST_SERIAL else None
            if isinstance(moment, datetime):
                return moment
        if isinstance(value, str):
            text = as_code(value)
            if text and len(text) > 10 and text[4] == "-" and text[10] in " T":
                try:
                    return datetime.fromisoformat(text)
                except ValueError:
                    pass
        day = read_date(value)
        return datetime.combine(
            day, _clock(as_code(value) or "") if isinstance(value, str) else time()
        )

    return parse


def _ordered_date(day_first: bool) -> Callable[[object], date]:
    def parse(value: object) -> date:
        text = as_code(value) if isinstance(value, str) else None
        match = _NUMERIC_DATE.fullmatch(text) if text else None
        if match is None:
            return as_date(value)
        first, second, year = (int(part) for part in match.groups())
        day, month = (first, second) if day_first else (second, first)
        return _ymd(year, month, day)

    return parse


def _formatted_date(form: str) -> Callable[[object], date]:
    def parse(value: object) -> date:
        if not isinstance(value, str):
            return as_date(value)
        text = as_code(value)
        if text is None:
            raise CellError("blank")
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            raise CellError(f"not a date in the form {form}") from None

    return parse


def date_parser(form: str | None) -> Callable[[object], date]:
    """The date reader for a mapping's ``dates``: a day order (``day-first``
    reads 3/4/2026 as 3 April, ``month-first`` as 4 March; a time after the
    date, with or without AM/PM, is ignored) or a form such as
    ``%m/%d/%Y %I:%M:%S %p``. Date cells, Excel serials and the usual forms
    (2026-04-01, 2026年4月1日, ...) read as always. None: the usual forms."""
    if form is None or form == "year-first":
        return as_date
    if form in DATE_ORDERS:
        return _ordered_date(form == "day-first")
    if "%" not in form:
        raise ValueError(f"{form!r} is not {', '.join(DATE_ORDERS)} nor a form such as %d/%m/%Y")
    try:
        datetime(2026, 12, 31, 13, 5, 9).strftime(form)
    except ValueError as error:
        raise ValueError(f"{form!r} is not a date form: {error}") from None
    return _formatted_date(form)


def moment_parser(form: str | None) -> Callable[[object], datetime]:
    """The reader of a date and time (a log's timestamps) for a mapping's
    ``dates``, as ``date_parser`` reads dates: the time after the date is
    kept (midnight when there is none). A form with ``%`` is read whole."""
    if form is not None and "%" in form:
        date_parser(form)  # the same checks

        def formatted(value: object) -> datetime:
            if not isinstance(value, str):
                return _with_time(as_date)(value)
            text = as_code(value)
            if text is None:
                raise CellError("blank")
            try:
                return datetime.strptime(text, form)
            except ValueError:
                raise CellError(f"not a date and time in the form {form}") from None

        return formatted
    return _with_time(date_parser(form))


as_moment = moment_parser(None)


def split_list(value: object) -> tuple[str, ...]:
    """A list typed in one cell: comma, Japanese comma, semicolon, slash or newline."""
    text = as_code(value)
    if text is None:
        return ()
    return tuple(part.strip() for part in re.split(r"[,、;/\n]+", text) if part.strip())
