"""Decisions held for a short undo window, then committed in the order made.

Approve, reject, send back and forward are not committed at once: the
operator has ``approvals.undo_seconds`` to take the latest one back. The
decisions live on the app, not on a screen, so that leaving the approvals
screen or quitting commits what is pending instead of dropping it.

Each is written to the journal of held decisions (``decision_journal.py``)
before it is shown as held, and so are bulk approvals before the first is
committed: what a console held when it died (kill -9, a lost connection, a
reboot) is offered at the next start, to commit or discard.
"""

import contextlib
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from textual.app import App
from textual.timer import Timer

from backoffice_tui.domain.approvals import PAST_TENSE, Action
from backoffice_tui.domain.errors import (
    BackofficeError,
    Conflict,
    DatabaseUnavailable,
    InvalidTransition,
)
from backoffice_tui.domain.text import visible_text
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Context
from backoffice_tui.tui.decision_journal import DecisionJournal, Record, Stopped
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
    key: str = ""  # its entry in the journal of held decisions
    held_at: datetime | None = None  # when it was made

    @property
    def verb(self) -> str:
        return self.action.value.replace("_", " ")

    @property
    def done(self) -> str:
        return PAST_TENSE[self.action]

    def describe(self) -> str:
        target = f" to {self.to}" if self.to else ""
        return visible_text(f"{self.verb} '{self.title}'{target} (approval {self.request_id})")

    def held_line(self) -> str:
        """The decision as offered after a crash: what, when it was made, and why."""
        when = f", held at {self.held_at.astimezone():%H:%M}" if self.held_at else ""
        why = f": {self.comment}" if self.comment else ""
        return visible_text(self.describe() + when + why)


# the decisions that are held (and journaled); the others are committed at once
HELD_ACTIONS = frozenset({Action.APPROVE, Action.REJECT, Action.SEND_BACK, Action.FORWARD})


def to_record(decision: PendingDecision) -> Record:
    """A held decision as its journal entry."""
    return {
        "key": decision.key,
        "request_id": decision.request_id,
        "action": decision.action.value,
        "title": decision.title,
        "comment": decision.comment,
        "to": decision.to,
        "stage": decision.stage,
        "draft_key": decision.draft_key,
        "held_at": decision.held_at.isoformat() if decision.held_at else None,
    }


def _field(record: Record, name: str, kind: type, optional: bool = False) -> Any:
    value = record[name]
    if (value is None and optional) or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    raise TypeError(f"{name} is {value!r}")


def from_record(record: Record) -> PendingDecision:
    """A journal entry as the decision it holds; ``KeyError``, ``TypeError``
    or ``ValueError`` when it is not one."""
    action = Action(_field(record, "action", str))
    if action not in HELD_ACTIONS:
        raise ValueError(f"{action.value} is never held")
    held_at = _field(record, "held_at", str, optional=True)
    return PendingDecision(
        _field(record, "request_id", int),
        action,
        _field(record, "title", str),
        _field(record, "comment", str),
        _field(record, "to", str, optional=True),
        _field(record, "stage", int, optional=True),
        _field(record, "draft_key", str, optional=True),
        key=_field(record, "key", str),
        held_at=datetime.fromisoformat(held_at) if held_at else None,
    )


@dataclass(frozen=True)
class Outcome:
    decision: PendingDecision
    error: str | None = None  # one line; None once committed
    kept: bool = False  # not committed yet (database unreachable); tried again later
    stale: bool = False  # refused because it was decided meanwhile (by someone else)


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
COMMIT, DISCARD = "commit", "discard"
# shows the lines of the decisions held when a console stopped, then calls
# back with COMMIT, DISCARD or None (decide at the next start)
AskAboutHeld = Callable[[list[str], Callable[[str | None], None]], object]
Severity = Literal["information", "warning", "error"]


def count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


class PendingDecisions:
    """The app's held decisions: a timer commits each when its window ends,
    in a worker; screens listen to redraw and refresh."""

    def __init__(
        self,
        app: App[Any],
        delay: float,
        context: Callable[[], Context],
        drafts: Drafts,
        journal: DecisionJournal | None = None,
    ) -> None:
        self.app = app
        self.drafts = drafts
        self._context = context
        if journal is None:
            ctx = context()
            journal = DecisionJournal.for_login(ctx.actor.login, ctx.db.description)
        self.journal = journal
        self.queue = DecisionQueue(delay, self._commit)
        self._listeners: list[Listener] = []
        self._timer: Timer | None = None
        self._working = False
        self._ui_thread = threading.get_ident()
        self._journal_failed = False  # said once: held decisions are not on disk

    def _commit(self, decision: PendingDecision) -> None:
        """Commit, then take the entry out of the journal. A refusal is said
        and the entry goes too; an unreachable database (still held) or an
        unexpected error leave it there, to be offered at the next start."""
        try:
            commit_decision(self._context(), decision)
        except DatabaseUnavailable:
            raise
        except BackofficeError:
            self.journal.remove([decision.key])
            raise
        self.journal.remove([decision.key])

    # --- the journal ------------------------------------------------------------------

    def _journaled(self, decisions: list[PendingDecision]) -> list[PendingDecision]:
        """The decisions with their journal keys, on disk before this returns.
        A journal that cannot be written is said once; the decisions are
        then held in memory only."""
        now = datetime.now(UTC)
        keyed = [replace(d, key=secrets.token_hex(8), held_at=d.held_at or now) for d in decisions]
        try:
            self.journal.add(to_record(d) for d in keyed)
        except OSError as error:
            log.warning("held decisions not journaled in %s: %s", self.journal.folder, error)
            if not self._journal_failed:
                self._journal_failed = True
                self._say(
                    f"held decisions are not kept on disk (cannot write {self.journal.folder}: "
                    f"{error.strerror or error}); a crash in the undo window would lose them",
                    "warning",
                )
        return keyed

    def record(self, decisions: list[PendingDecision]) -> list[PendingDecision]:
        """Decisions committed at once, one after another (the tagged
        requests approved in bulk): journaled first, so that what a crash
        stops is offered again. Call ``settled`` as each is committed."""
        return self._journaled(decisions)

    def settled(self, decision: PendingDecision) -> None:
        """A recorded decision is committed or refused: out of the journal."""
        self.journal.remove([decision.key])

    def close(self) -> None:
        """The console ends: what is still held stays in the journal."""
        self.journal.close()

    def _say(self, text: str, severity: Severity = "information") -> None:
        """A notification, from the UI loop or from a worker."""
        line = visible_text(text)
        if threading.get_ident() == self._ui_thread:
            self.app.notify(line, severity=severity, markup=False)
        else:
            with contextlib.suppress(RuntimeError):  # the app has ended
                self.app.call_from_thread(self.app.notify, line, severity=severity, markup=False)

    # --- what screens use -------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def hold(self, decision: PendingDecision) -> PendingDecision:
        """Journal the decision, then hold it for the undo window."""
        held = self.queue.hold(self._journaled([decision])[0])
        self._changed([])
        self._schedule()
        return held

    def undo_last(self) -> PendingDecision | None:
        undone = self.queue.undo_last()
        if undone is not None:
            self.journal.remove([undone.key])
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
        problems: list[str] = []
        for outcome in outcomes:
            decision = outcome.decision
            if outcome.error is None:
                if decision.draft_key:
                    self.drafts.discard(decision.draft_key)
                continue
            again = "; offered again at the next start" if self.journal.holds(decision.key) else ""
            problems.append(f"not committed: {decision.describe()}: {outcome.error}{again}")
        return problems

    # --- what consoles of this login held when they stopped ---------------------------

    def offer_stopped(self, ask: AskAboutHeld) -> None:
        """Offer the decisions that consoles of this login held when they
        stopped (they are this console's until it commits, discards or
        leaves them for the next start). Nothing is asked when there are none."""
        found = self.journal.stopped(from_record)
        for problem in found.problems:
            self._say(problem, "warning")
        if not found.decisions:
            found.release()
            return

        def answered(answer: str | None) -> None:
            held = count(len(found.decisions), "held decision")
            if answer == COMMIT:
                self.app.run_worker(
                    partial(self._commit_stopped, found),
                    thread=True,
                    group="held-decisions",
                    exit_on_error=False,
                )
            elif answer == DISCARD:
                problems = found.discard()
                self._say(f"discarded {held}")
                for problem in problems:
                    self._say(problem, "warning")
            else:
                found.release()
                self._say(f"{held} kept: offered again at the next start")

        ask([d.held_line() for d in found.decisions], answered)

    def _commit_stopped(self, found: Stopped[PendingDecision]) -> None:
        """In a worker: commit them in the order made. A decision taken
        meanwhile (by someone else, or by this login elsewhere) is reported
        and dropped; an unreachable database keeps the rest for the next start."""
        ctx = self._context()
        outcomes: list[Outcome] = []
        decisions = list(found.decisions)
        for index, decision in enumerate(decisions):
            try:
                commit_decision(ctx, decision)
            except DatabaseUnavailable as error:
                outcomes += [Outcome(d, str(error), kept=True) for d in decisions[index:]]
                break
            except (Conflict, InvalidTransition) as error:
                found.settled(decision.key)
                outcomes.append(Outcome(decision, str(error), stale=True))
            except BackofficeError as error:
                found.settled(decision.key)
                outcomes.append(Outcome(decision, str(error)))
            except Exception as error:  # kept: offered again, never lost
                log.exception("committing %s failed", decision.describe())
                outcomes.append(
                    Outcome(
                        decision, f"unexpected error: {type(error).__name__}: {error}", kept=True
                    )
                )
            else:
                found.settled(decision.key)
                outcomes.append(Outcome(decision))
        problems = found.release()
        with contextlib.suppress(RuntimeError):  # the app has ended: the commits stand
            self.app.call_from_thread(self._stopped_committed, outcomes, problems)

    def _stopped_committed(self, outcomes: list[Outcome], problems: list[str]) -> None:
        committed = [o.decision for o in outcomes if o.error is None]
        for decision in committed:
            if decision.draft_key:
                self.drafts.discard(decision.draft_key)
        if committed:
            self._say(f"committed {count(len(committed), 'held decision')}")
        for outcome in outcomes:
            if outcome.stale:
                self._say(
                    f"already decided, not committed again: {outcome.decision.describe()}: "
                    f"{outcome.error}",
                    "warning",
                )
            elif outcome.error and not outcome.kept:
                self._say(f"not committed: {outcome.decision.describe()}: {outcome.error}", "error")
        kept = [o for o in outcomes if o.kept]
        if kept:
            self._say(
                f"{count(len(kept), 'held decision')} kept, offered again at the next start: "
                f"{kept[0].error}",
                "warning",
            )
        for problem in problems:
            self._say(problem, "warning")
        self._changed([o for o in outcomes if not o.kept])

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
