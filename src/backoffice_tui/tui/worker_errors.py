"""Worker failures reach the app's one handler from wherever the worker ran.

Textual's worker state messages do not bubble, so a worker started by a
screen or a widget would fail silently; screens pass their failures on
through their base (``screens/base.py``), widgets through this mixin.
"""

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState


def pass_failure_on(node: DOMNode, event: Worker.StateChanged) -> bool:
    """Hand a failed worker of ``node`` to the app's handler; True if it failed."""
    if event.state != WorkerState.ERROR:
        return False
    node.app.post_message(Worker.StateChanged(event.worker, event.state))
    return True


class ReportsWorkerFailures:
    """Mix into a widget that runs workers."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if isinstance(self, DOMNode):
            pass_failure_on(self, event)
