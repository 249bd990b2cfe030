"""Worker failures reach the app's one handler from wherever the worker ran.

Textual's worker state messages do not bubble, so a worker started by a
screen or a widget would fail silently; this mixin passes its failures on.
"""

from textual.worker import Worker, WorkerState


class ReportsWorkerFailures:
    """Mix into a screen or widget that runs workers."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(Worker.StateChanged(event.worker, event.state))  # type: ignore[attr-defined]
