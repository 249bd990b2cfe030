"""Decisions held for a short undo window, then committed in the order made.

Approve, reject, send back and forward are not committed at once: the
operator has ``approvals.undo_seconds`` to take the latest one back. The
decisions live on the app, not on a screen, so that leaving the approvals
screen or quitting commits what is pending instead of dropping it.
"""

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from textual.app import App
from textual.timer import Timer

from backoffice_tui.domain.approvals import PAST_TENSE, Action
from backoffice_tui.domain.errors import BackofficeError, DatabaseUnavailable
from backoffice_tui.domain.text import visible_text
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Context
from backoffice_tui.tui.drafts import Drafts

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # the database was unreachable: try again after this


@dataclass(frozen=True)
class PendingDecision:
    request_id: int
    action: Action
    title: str  # the request's title, for messages
    comment: str = ""
    to: str | None = None  # send back: "requester" or a stage; forward: a login
    stage: int | None = None  # the stage the operator saw
    draft_key: str | None = None  # the comment's draft, discarded once committed
    due: float = 0.0  # time.monotonic() at which it is committed
    tries: int = 0

    @property
    def verb(self) -> str:
        return self.action.value.replace("_", " ")

    @property
    def done(self) -> str:
        return PAST_TENSE[self.action]

    def describe(self) -> str:
        target = f" to {self.to}" if self.to else ""
        return visible_text(f"{self.verb} '{self.title}'{target} (approval {self.request_id})")


@dataclass(frozen=True)
class Outcome:
    decision: PendingDecision
    error: str | None = None  # one line; None once committed
    kept: bool = False  # not committed yet (database unreachable); tried again later


def commit_decision(ctx: Context, decision: PendingDecision) -> None:
    approvals.decide(
        ctx,
        decision.request_id,
        decision.action,
        decision.comment,
        to=decision.to,
        stage=decision.stage,
    )


class DecisionQueue:
    """The held decisions, safe to use from the UI loop and from workers.

    One commit runs at a time, oldest first; a decision being committed can
    no longer be undone.
    """

    def __init__(
        self,
        delay: float,
        commit: Callable[[PendingDecision], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.delay = max(0.0, delay)
        self._commit = commit
        self._clock = clock
        self._held: list[PendingDecision] = []
        self._lock = threading.Lock()  # guards _held
        self._committing = threading.Lock()  # one commit at a time, in order

    def hold(self, decision: PendingDecision) -> PendingDecision:
        held = replace(decision, due=self._clock() + self.delay)
        with self._lock:
            self._held.append(held)
        return held

    def undo_last(self) -> PendingDecision | None:
        with self._lock:
            return self._held.pop() if self._held else None

    def pending(self) -> list[PendingDecision]:
        with self._lock:
            return list(self._held)

    def for_request(self, request_id: int) -> PendingDecision | None:
        with self._lock:
            return next((d for d in self._held if d.request_id == request_id), None)

    def seconds_left(self, decision: PendingDecision) -> int:
        return max(0, math.ceil(decision.due - self._clock()))

    def next_due_in(self) -> float | None:
        with self._lock:
            if not self._held:
                return None
            return max(0.0, self._held[0].due - self._clock())

    def commit_due(self, everything: bool = False) -> list[Outcome]:
        """Commit the decisions whose window has ended (all of them with
        ``everything``), oldest first. A failure never stops the others; an
        unreachable database stops the round and keeps the rest pending."""
        outcomes: list[Outcome] = []
        with self._committing:
            while (decision := self._take(everything)) is not None:
                try:
                    self._commit(decision)
                except DatabaseUnavailable as error:
                    if everything:
                        with self._lock:
                            left, self._held = [decision, *self._held], []
                        outcomes.extend(Outcome(d, str(error)) for d in left)
                        break
                    retry = replace(
                        decision, due=self._clock() + RETRY_SECONDS, tries=decision.tries + 1
                    )
                    with self._lock:
                        self._held.insert(0, retry)
                    outcomes.append(Outcome(retry, str(error), kept=True))
                    break
                except BackofficeError as error:
                    outcomes.append(Outcome(decision, str(error)))
                except Exception as error:  # one bad commit must not stop the rest
                    log.exception("committing %s failed", decision.describe())
                    outcomes.append(
                        Outcome(decision, f"unexpected error: {type(error).__name__}: {error}")
                    )
                else:
                    outcomes.append(Outcome(decision))
        return outcomes

    def _take(self, everything: bool) -> PendingDecision | None:
        with self._lock:
            if not self._held or (not everything and self._held[0].due > self._clock()):
                return None
            return self._held.pop(0)


Listener = Callable[[list[Outcome]], None]


class PendingDecisions:
    """The app's held decisions: a timer commits each when its window ends,
    in a worker; screens listen to redraw and refresh."""

    def __init__(
        self, app: App[Any], delay: float, context: Callable[[], Context], drafts: Drafts
    ) -> None:
        self.app = app
        self.drafts = drafts
        self._context = context
        self.queue = DecisionQueue(delay, self._commit)
        self._listeners: list[Listener] = []
        self._timer: Timer | None = None
        self._working = False

    def _commit(self, decision: PendingDecision) -> None:
        commit_decision(self._context(), decision)

    # --- what screens use -------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def hold(self, decision: PendingDecision) -> PendingDecision:
        held = self.queue.hold(decision)
        self._changed([])
        self._schedule()
        return held

    def undo_last(self) -> PendingDecision | None:
        undone = self.queue.undo_last()
        if undone is not None:
            self._changed([])
            self._schedule()
        return undone

    def for_request(self, request_id: int) -> PendingDecision | None:
        return self.queue.for_request(request_id)

    def pending(self) -> list[PendingDecision]:
        return self.queue.pending()

    def label(self, decision: PendingDecision) -> str:
        """How a held decision shows on its row: "approve in 4s"."""
        return f"{decision.verb} in {self.queue.seconds_left(decision)}s"

    def commit_all(self) -> list[str]:
        """Commit everything still held, now (quitting); blocks, so call it
        from a thread or after the app has ended. Returns one line per
        decision that was not committed."""
        outcomes = self.queue.commit_due(everything=True)
        for outcome in outcomes:
            if outcome.error is None and outcome.decision.draft_key:
                self.drafts.discard(outcome.decision.draft_key)
        return [f"not committed: {o.decision.describe()}: {o.error}" for o in outcomes if o.error]

    # --- the clock ------------------------------------------------------------------

    def _schedule(self) -> None:
        """One timer, for the oldest held decision; none while nothing is held."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._working:
            return  # the running commit schedules the next one when it ends
        wait = self.queue.next_due_in()
        if wait is None:
            return
        if wait <= 0:
            self._start()
        else:
            self._timer = self.app.set_timer(wait, self._start, name="pending-decisions")

    def _start(self) -> None:
        self._timer = None
        if self._working:
            return
        self._working = True
        self.app.run_worker(
            self._commit_in_thread, thread=True, group="pending-decisions", exit_on_error=False
        )

    def _commit_in_thread(self) -> None:
        outcomes = self.queue.commit_due()
        with contextlib.suppress(RuntimeError):  # the app has ended: the commits stand
            self.app.call_from_thread(self._committed, outcomes)

    def _committed(self, outcomes: list[Outcome]) -> None:
        self._working = False
        for outcome in outcomes:
            decision = outcome.decision
            if outcome.kept:
                if decision.tries == 1:
                    self.app.notify(
                        visible_text(
                            f"{decision.verb} kept pending, the database is unreachable; "
                            f"trying again every {RETRY_SECONDS:.0f} s: {outcome.error}"
                        ),
                        severity="warning",
                        markup=False,
                    )
            elif outcome.error:
                self.app.notify(
                    visible_text(f"{decision.verb} not committed: {outcome.error}"),
                    severity="error",
                    markup=False,
                )
            elif decision.draft_key:
                self.drafts.discard(decision.draft_key)
        self._changed(outcomes)
        self._schedule()

    def _changed(self, outcomes: list[Outcome]) -> None:
        for listener in list(self._listeners):
            listener(outcomes)
