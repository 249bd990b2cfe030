"""Completing a file path as it is typed (right arrow takes the suggestion)."""

import os
from pathlib import Path

from textual.suggester import Suggester

MAX_ENTRIES = 2000  # a folder larger than this is not listed for a suggestion


class PathSuggester(Suggester):
    """Suggests the first entry of the typed folder that starts with what
    follows the last ``/``; a folder is suggested with its ``/``. Only names
    ending in ``suffixes`` (and folders) are offered when given."""

    def __init__(self, suffixes: tuple[str, ...] = ()) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.suffixes = suffixes

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        folder_text, _, prefix = value.rpartition("/")
        folder = Path(
            os.path.expanduser(folder_text + "/" if folder_text or value[0] == "/" else ".")
        )
        try:
            with os.scandir(folder) as entries:
                names = []
                for count, entry in enumerate(entries):
                    if count >= MAX_ENTRIES:
                        return None
                    if entry.name.startswith(prefix) and not entry.name.startswith("."):
                        is_dir = entry.is_dir()
                        if (
                            is_dir
                            or not self.suffixes
                            or entry.name.lower().endswith(self.suffixes)
                        ):
                            names.append(entry.name + ("/" if is_dir else ""))
        except OSError:
            return None
        if not names or (prefix and min(names) == prefix):
            return None
        return value[: len(value) - len(prefix)] + min(names)
