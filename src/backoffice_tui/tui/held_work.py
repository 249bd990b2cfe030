"""Bulk actions on tagged work items, held for a short undo window.

Finishing or releasing the tagged items of the queue is not committed at
once: like an approval (``pending_decisions.py``), the batch waits
``approvals.undo_seconds`` and ``u`` takes it back. Then each item is
committed on its own, with a result per item: a refusal (someone else's
item, one already finished) is listed and never stops the others.

One batch is held at a time, in memory only: leaving the queue or quitting
commits it at once, but a console that dies in the window loses it (the
items stay as they were).
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.domain.text import counted
from backoffice_tui.services.context import Context
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.bulk import ItemOutcome, release_items
from backoffice_tui.services.work.queue import QueueRow

DONE, RELEASE = "done", "release"
# verb -> (title of the results, what the window says will happen)
VERBS = {
    DONE: ("Finish tagged", "finished"),
    RELEASE: ("Release tagged", "released"),
}


@dataclass(frozen=True)
class HeldBatch:
    verb: str  # DONE or RELEASE
    rows: tuple[QueueRow, ...]
    due: float = 0.0  # time.monotonic() at which it is committed

    @property
    def title(self) -> str:
        return VERBS[self.verb][0]

    def waiting(self, seconds: int) -> str:
        """What the status line says while it is held."""
        return f"{counted(len(self.rows), 'item')} to be {VERBS[self.verb][1]} in {seconds}s"


def commit_batch(ctx: Context, batch: HeldBatch) -> list[ItemOutcome]:
    """Commit a batch: a result per item, in the order tagged."""
    targets = [(row.id, row.version) for row in batch.rows]
    if batch.verb == RELEASE:
        return release_items(ctx, targets)
    outcomes: list[ItemOutcome] = []
    for item_id, version in targets:  # each in its own transaction
        try:
            lifecycle.done(ctx, item_id, version)
        except BackofficeError as error:
            outcomes.append(ItemOutcome(item_id, str(error)))
        else:
            outcomes.append(ItemOutcome(item_id))
    return outcomes


class HeldWork:
    """The batch in its undo window; safe to use from the UI loop and workers.

    ``take`` and ``undo`` hand the batch out once: a batch taken to be
    committed can no longer be undone, and is never committed twice.
    """

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = max(0.0, delay)
        self._clock = clock
        self._held: HeldBatch | None = None
        self._lock = threading.Lock()

    @property
    def held(self) -> HeldBatch | None:
        with self._lock:
            return self._held

    def hold(self, verb: str, rows: list[QueueRow]) -> HeldBatch:
        """Hold a new batch; the caller commits any batch held before (``take``)."""
        if verb not in VERBS:
            raise ValueError(f"no held batch for {verb!r}")
        batch = HeldBatch(verb, tuple(rows))
        with self._lock:
            self._held = replace(batch, due=self._clock() + self.delay)
            return self._held

    def take(self) -> HeldBatch | None:
        """The batch, to be committed now."""
        with self._lock:
            batch, self._held = self._held, None
            return batch

    undo = take  # the same hand-over: whoever gets it decides its fate

    def seconds_left(self) -> int:
        with self._lock:
            if self._held is None:
                return 0
            return max(0, math.ceil(self._held.due - self._clock()))
