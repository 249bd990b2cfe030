"""One change applied to many work items in one transaction, with a result
per item: a refused item is listed with its one-line reason and leaves the
others applied."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.services.context import Context
from backoffice_tui.services.work.items import assign_in, release_in

# (item id, the version the operator saw, or None for no version check)
Target = tuple[int, int | None]
ChangeIn = Callable[[Session, int, int | None], None]


@dataclass(frozen=True)
class ItemOutcome:
    item_id: int
    error: str | None = None  # None: applied

    @property
    def applied(self) -> bool:
        return self.error is None


def apply_each(ctx: Context, targets: Sequence[Target], change_in: ChangeIn) -> list[ItemOutcome]:
    """Run ``change_in`` for every target in one write transaction, each in
    its own savepoint, so that a refusal undoes only its own item."""
    outcomes: list[ItemOutcome] = []
    with ctx.db.write() as session:
        for item_id, version in targets:
            try:
                with session.begin_nested():
                    change_in(session, item_id, version)
            except BackofficeError as error:
                outcomes.append(ItemOutcome(item_id, str(error)))
            else:
                outcomes.append(ItemOutcome(item_id))
    return outcomes


def release_items(ctx: Context, targets: Sequence[Target]) -> list[ItemOutcome]:
    """Release many items (``items.release`` for each), one transaction."""
    return apply_each(ctx, targets, lambda s, item_id, v: release_in(s, ctx, item_id, v))


def assign_items(ctx: Context, targets: Sequence[Target], login: str) -> list[ItemOutcome]:
    """Assign many items to ``login`` (``items.assign`` for each), one transaction."""
    return apply_each(ctx, targets, lambda s, item_id, v: assign_in(s, ctx, item_id, login, v))
