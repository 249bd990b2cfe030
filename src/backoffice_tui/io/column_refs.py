"""Finding the column a mapping names outside ``[columns]`` (in
``combine``, ``fill_down`` and ``skip.where``): by its header, its
``group/name`` path under a two-row header, or its letter."""

import difflib

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.io.headers import Header
from backoffice_tui.io.mapping import ColumnRef, Letter, name_key
from backoffice_tui.io.values import match_key

CANDIDATES = 3  # close names offered when a column is not found


def column_index(ref: ColumnRef, header: Header, where: str) -> int:
    """The 0-based index of the column ``ref`` names, or one line saying
    which names come close."""
    if isinstance(ref, Letter):
        return ref.index
    wanted = name_key(ref)
    for texts in (header.names, header.paths):
        for index, text in enumerate(texts):
            if text and match_key(text) == wanted:
                return index
    shown = [n for n in header.names if n]
    close = difflib.get_close_matches(ref, shown, n=CANDIDATES, cutoff=0.4)
    hint = f"; close: {', '.join(close)}" if close else ""
    raise InvalidInput(
        f"{where}: no column {ref!r} in the header (row {header.last_row}){hint}; "
        'name it as the header shows it, or by letter: { letter = "F" }'
    )
