"""Writing a process log as CSV or as XES (IEEE 1849, the XML that
process-mining tools open).

In XES each case is a trace of events with the standard extensions'
attributes: ``concept:name`` (the activity), ``time:timestamp``,
``org:resource`` and ``lifecycle:transition``; the other columns are kept
as plain attributes. Rows must come case by case (as the service gives
them); each trace is written as soon as it is complete, so that a log of
millions of events never sits in memory. Text is written as it is, with
control characters made visible (XML cannot hold them).
"""

import contextlib
import csv
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.text import visible_text

_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
)
# the columns every process log starts with, and their XES keys
_STANDARD = {
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "resource": "org:resource",
    "lifecycle": "lifecycle:transition",
}


class LogFormat(StrEnum):
    CSV = "csv"
    XES = "xes"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _attribute(parent: ET.Element, key: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        ET.SubElement(parent, "date", key=key, value=_timestamp(value))
    elif isinstance(value, bool):
        ET.SubElement(parent, "boolean", key=key, value=str(value).lower())
    elif isinstance(value, int):
        ET.SubElement(parent, "int", key=key, value=str(value))
    else:
        ET.SubElement(parent, "string", key=key, value=visible_text(value))


def write_xes(stream: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Rows whose first column is the case id, case by case."""
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(
        '<log xes.version="1.0" xes.features="nested-attributes" '
        'xmlns="http://www.xes-standard.org/">\n'
    )
    for name, prefix, uri in _EXTENSIONS:
        stream.write(
            "  "
            + ET.tostring(
                ET.Element("extension", name=name, prefix=prefix, uri=uri), encoding="unicode"
            )
            + "\n"
        )
    classifier = ET.Element("classifier", name="Activity", keys="concept:name lifecycle:transition")
    stream.write("  " + ET.tostring(classifier, encoding="unicode") + "\n")
    keys = [_STANDARD.get(column, column) for column in columns]
    count = 0
    trace: ET.Element | None = None
    case: Any = object()

    def flush() -> None:
        if trace is not None:
            ET.indent(trace, space="  ", level=1)
            stream.write("  " + ET.tostring(trace, encoding="unicode") + "\n")

    for row in rows:
        if row[0] != case:
            flush()
            case = row[0]
            trace = ET.Element("trace")
            _attribute(trace, "concept:name", case)
        assert trace is not None
        event = ET.SubElement(trace, "event")
        for key, value in zip(keys[1:], row[1:], strict=True):
            _attribute(event, key, value)
        count += 1
    flush()
    stream.write("</log>\n")
    return count


def write_log_csv(stream: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """CSV with times in UTC ISO 8601, the form mining tools parse unasked."""
    writer = csv.writer(stream)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(
            [
                _timestamp(v) if isinstance(v, datetime) else "" if v is None else visible_text(v)
                for v in row
            ]
        )
        count += 1
    return count


def write_log(
    stream: IO[str], fmt: LogFormat, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    write = write_xes if fmt == LogFormat.XES else write_log_csv
    return write(stream, columns, rows)


def write_log_file(
    path: Path,
    fmt: LogFormat,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    force: bool = False,
) -> int:
    """Write the log to ``path`` (not replacing a file unless ``force``);
    a failed write leaves no partial file."""
    if path.exists() and not force:
        raise InvalidInput(f"{path} exists; use --force to replace it")
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: there is no folder {path.parent}")
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            count = write_log(stream, fmt, columns, rows)
        partial.replace(path)
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return count
