"""Running one statement for many rows, fast.

At 100,000 rows SQLAlchemy's per-row parameter handling costs more than
the database's own work. A ``BulkStatement`` compiles its statement once
for the session's dialect, converts the values of typed columns (times,
dates, JSON) with the column types' own converters, and hands the rows to
the driver's ``executemany``, so what is stored is exactly what SQLAlchemy
would have stored.
"""

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

_NOTHING = object()


class BulkStatement:
    def __init__(
        self,
        session: Session,
        statement: Executable,
        columns: Mapping[str, Column[Any]],
        *,
        keys: list[str] | None = None,
    ) -> None:
        """``columns``: parameter name -> the column its value goes to;
        ``keys``: the parameters of an INSERT (its columns)."""
        self._connection = session.connection()
        dialect = self._connection.dialect
        compiled = statement.compile(dialect=dialect, column_keys=keys)  # type: ignore[attr-defined]
        self._sql = compiled.string
        self._order = list(compiled.positiontup) if compiled.positional else None
        # values fixed in the statement itself, such as the 1 of "version + 1"
        self._fixed = {
            name: bind.value for name, bind in compiled.binds.items() if not bind.required
        }
        self._converters: dict[str, Callable[[Any], Any]] = {}
        for name, column in columns.items():
            converter = column.type.dialect_impl(dialect).bind_processor(dialect)
            if converter is not None:
                self._converters[name] = converter

    def execute(self, rows: list[dict[str, Any]]) -> int:
        """Run the statement for every row (converting their values in place);
        returns how many rows it matched."""
        for name, converter in self._converters.items():
            last: Any = _NOTHING
            converted: Any = None
            for row in rows:
                if name in row:
                    value = row[name]
                    if value is not last:  # a time shared by every row is converted once
                        last, converted = value, converter(value)
                    row[name] = converted
        fixed = self._fixed
        params: list[Any] = [{**fixed, **row} for row in rows] if fixed else rows
        if self._order is not None:
            order = self._order
            params = [tuple(row[key] for key in order) for row in params]
        return int(self._connection.exec_driver_sql(self._sql, params).rowcount)
