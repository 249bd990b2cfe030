"""Text being typed (a note, a checklist answer) kept on disk until it is
committed, so that a crash or a refused save loses nothing."""

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


class Drafts:
    """One small JSON file of ``key -> text`` in the user state directory."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "drafts.json"

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("drafts unreadable, starting afresh: %s", error)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, drafts: dict[str, str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".drafts-")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(drafts, stream, ensure_ascii=False)
            os.replace(temporary, self.path)
        except OSError as error:  # a read-only home must not stop the typing
            log.warning("cannot keep drafts in %s: %s", self.path, error)

    def get(self, key: str) -> str | None:
        return self._read().get(key)

    def put(self, key: str, text: str) -> None:
        drafts = self._read()
        if text.strip():
            drafts[key] = text
        else:
            drafts.pop(key, None)
        self._write(drafts)

    def discard(self, key: str) -> None:
        drafts = self._read()
        if drafts.pop(key, None) is not None:
            self._write(drafts)
