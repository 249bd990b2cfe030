"""Time arithmetic in SQL that reads the same on SQLite and PostgreSQL.

Times are stored as UTC (naive text on SQLite, ``timestamptz`` on
PostgreSQL); every expression here works in UTC days:

- ``seconds_between(a, b)``: how many seconds ``b`` is after ``a``;
- ``day_number(t)``: the UTC day of ``t`` as days since Sunday 1970-01-04,
  which makes working days (Monday to Friday) a closed form:
  ``working_day_count(n)`` is how many working days lie in ``(epoch, n]``,
  so the working days after ``a`` up to ``b`` are the difference of the two;
- ``period_start(t, by)``: the first day of ``t``'s ISO week (a Monday) or
  month, as ``YYYY-MM-DD`` text.
"""

from datetime import date
from typing import Any

from sqlalchemy import Float, Integer, String, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

PERIODS = ("week", "month")
DAY_ZERO = date(1970, 1, 4)  # the Sunday ``day_number`` counts from


class _SecondsBetween(FunctionElement[float]):
    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(_SecondsBetween, "sqlite")
def _seconds_sqlite(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) * 86400.0)"
    )


@compiles(_SecondsBetween, "postgresql")
def _seconds_postgresql(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"CAST(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
        f"{compiler.process(start, **kw)})) AS DOUBLE PRECISION)"
    )


class _DayNumber(FunctionElement[int]):
    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(_DayNumber, "sqlite")
def _day_sqlite(element: _DayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    return (
        f"CAST(julianday(date({compiler.process(moment, **kw)})) - "
        "julianday('1970-01-04') AS INTEGER)"
    )


@compiles(_DayNumber, "postgresql")
def _day_postgresql(element: _DayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    return (
        f"(CAST(({compiler.process(moment, **kw)}) AT TIME ZONE 'UTC' AS DATE) - DATE '1970-01-04')"
    )


class _MillisecondDayNumber(FunctionElement[int]):
    type = Integer()
    inherit_cache = True
    name = "millisecond_day_number"


@compiles(_MillisecondDayNumber, "sqlite")
def _ms_day_sqlite(element: _MillisecondDayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    # julianday() is of the time rounded to the millisecond; 2440591 is the
    # Julian day number of 1970-01-04
    return f"(CAST(julianday({compiler.process(moment, **kw)}) + 0.5 AS INTEGER) - 2440591)"


@compiles(_MillisecondDayNumber, "postgresql")
def _ms_day_postgresql(element: _MillisecondDayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    return _day_postgresql(element, compiler, **kw)  # type: ignore[arg-type]


class _WeekStart(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "week_start"


class _MonthStart(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "month_start"


@compiles(_WeekStart, "sqlite")
def _week_sqlite(element: _WeekStart, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    # to the next Sunday (or the day itself if it is one), then six days back
    return f"date({compiler.process(moment, **kw)}, 'weekday 0', '-6 days')"


@compiles(_MonthStart, "sqlite")
def _month_sqlite(element: _MonthStart, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    return f"strftime('%Y-%m-01', {compiler.process(moment, **kw)})"


def _truncated_postgresql(
    unit: str, element: FunctionElement[str], compiler: SQLCompiler, **kw: Any
) -> str:
    (moment,) = list(element.clauses)
    return (
        f"to_char(date_trunc('{unit}', ({compiler.process(moment, **kw)}) "
        "AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    )


@compiles(_WeekStart, "postgresql")
def _week_postgresql(element: _WeekStart, compiler: SQLCompiler, **kw: Any) -> str:
    return _truncated_postgresql("week", element, compiler, **kw)


@compiles(_MonthStart, "postgresql")
def _month_postgresql(element: _MonthStart, compiler: SQLCompiler, **kw: Any) -> str:
    return _truncated_postgresql("month", element, compiler, **kw)


def seconds_between(start: Any, end: Any) -> ColumnElement[float]:
    return _SecondsBetween(start, end)


def day_number(moment: Any) -> ColumnElement[int]:
    return _DayNumber(moment)


def period_start(moment: Any, by: str) -> ColumnElement[str]:
    if by not in PERIODS:
        raise ValueError(f"period {by!r} is none of {', '.join(PERIODS)}")
    if by == "month":
        return _MonthStart(moment)
    return _WeekStart(moment)


def period_day(moment: Any, by: str) -> ColumnElement[int]:
    """The ``day_number`` of the day ``period_start(moment, by)`` counts
    ``moment`` in. SQLite reads a time moved by a date modifier (the week's
    ``weekday 0``) rounded to the millisecond, but a plain date (the
    month's) as written: in the last half millisecond of a Sunday the two
    differ, and the week is the next one."""
    if by not in PERIODS:
        raise ValueError(f"period {by!r} is none of {', '.join(PERIODS)}")
    if by == "month":
        return _DayNumber(moment)
    return _MillisecondDayNumber(moment)


def working_day_count(day: ColumnElement[int]) -> ColumnElement[int]:
    """Working days in ``(epoch, day]`` (the epoch being a Sunday)."""
    weeks = day // 7
    rest = day % 7
    return weeks * 5 + case((rest > 5, 5), else_=rest)


def working_days_after(start: Any, end: Any) -> ColumnElement[int]:
    """How many working days after ``start``'s day ``end``'s day is
    (``domain.working_days.working_days_between`` in SQL; 0 if not after)."""
    return working_days_after_day(day_number(start), day_number(end))


def working_days_after_day(start_day: Any, end_day: Any) -> ColumnElement[int]:
    """``working_days_after`` of two ``day_number``s (each is written several
    times: columns, so that no day is worked out twice)."""
    count = working_day_count(end_day) - working_day_count(start_day)
    return case((count > 0, count), else_=0)
