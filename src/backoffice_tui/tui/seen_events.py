"""The last event the operator has looked at in their notifications, kept
per login in a small JSON file next to the drafts, one id per database."""

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


class LastSeen:
    def __init__(self, folder: Path, database: str) -> None:
        self.path = folder / "notifications.json"
        self.database = database

    def _read(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("notifications state unreadable, starting afresh: %s", error)
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, int)}

    def get(self) -> int | None:
        """The last event id seen on this database; None the first time."""
        return self._read().get(self.database)

    def put(self, event_id: int) -> None:
        data = self._read()
        data[self.database] = event_id
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".notifications-")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream)
            os.replace(temporary, self.path)
        except OSError as error:  # a read-only home must not stop the console
            log.warning("cannot keep the notifications state in %s: %s", self.path, error)
