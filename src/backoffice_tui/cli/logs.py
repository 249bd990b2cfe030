"""Where unexpected errors are written: a log file in the user log directory."""

import logging
from pathlib import Path

from backoffice_tui.config.paths import log_dir

log = logging.getLogger("backoffice_tui")


def log_file() -> Path | None:
    """Send this package's log records to the log file; None if it cannot be opened."""
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "backoffice.log"
        if not any(isinstance(h, logging.FileHandler) for h in log.handlers):
            handler = logging.FileHandler(path, encoding="utf-8", delay=True)
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            log.addHandler(handler)
        return path
    except OSError:
        return None
