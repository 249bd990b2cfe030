"""Adding a customer and editing one: code, name, reading, segment, notes and
free attributes, checked, versioned and recorded on the customer's timeline.

Any active user who holds a role in some team (or an admin) may add and edit
customers: a customer belongs to no one team, and every team's work starts
from one. An edit names the version the editor saw; if someone saved in
between, it is refused with what they changed, so nothing is overwritten
unseen.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from backoffice_tui.domain.text import attribute_search_text, attribute_texts
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import rows_changed
from backoffice_tui.store.models import Customer, Event, TeamMembership, User

CREATED = "customer.created"
EDITED = "customer.edited"

# The fields of a customer an editor changes, in the order messages name them.
FIELDS = ("code", "name", "reading", "segment", "notes", "attributes")


@dataclass(frozen=True)
class NewCustomer:
    code: str
    name: str
    reading: str | None = None
    segment: str = ""
    notes: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerChanges:
    """What an edit changes; ``None`` leaves a field as it is. ``attributes``
    replaces them all; ``set_attributes`` and ``remove_attributes`` change
    single ones (applied after ``attributes``)."""

    code: str | None = None
    name: str | None = None
    reading: str | None = None  # "" clears it
    segment: str | None = None
    notes: str | None = None
    attributes: Mapping[str, str] | None = None
    set_attributes: Mapping[str, str] = field(default_factory=dict)
    remove_attributes: Sequence[str] = ()


@dataclass(frozen=True)
class SavedCustomer:
    code: str
    version: int
    changed: tuple[str, ...]  # the fields that changed (all given ones, for a new customer)


# --- checking what was typed --------------------------------------------------------


def _limit(column: str) -> int | None:
    kind = Customer.__table__.c[column].type
    return kind.length if isinstance(kind, String) else None


def _has_control(text: str, allowed: str = "") -> bool:
    return any((ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) and c not in allowed for c in text)


def _checked(column: str, label: str, value: str, *, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"a customer needs a {label}")
    limit = _limit(column)
    if limit is not None and len(text) > limit:
        raise InvalidInput(f"the {label} is {len(text)} characters long; at most {limit} fit")
    if _has_control(text, allowed="\n\t" if column == "notes" else ""):
        raise InvalidInput(f"the {label} {text!r} has control characters; type it without them")
    return text


def _checked_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for key, value in attributes.items():
        name = key.strip()
        if not name:
            raise InvalidInput(f"an attribute needs a name (its value is {value!r})")
        if _has_control(name) or _has_control(value, allowed="\n\t"):
            raise InvalidInput(f"attribute {name!r} has control characters; type it without them")
        checked[name] = value.strip()
    return checked


def _values_of(new: NewCustomer) -> dict[str, Any]:
    return {
        "code": _checked("code", "code", new.code, required=True),
        "name": _checked("name", "name", new.name, required=True),
        "reading": _checked("reading", "reading", new.reading or "") or None,
        "segment": _checked("segment", "segment", new.segment),
        "notes": _checked("notes", "notes", new.notes),
        "attributes": _checked_attributes(new.attributes),
    }


def _changed_values(current: Mapping[str, Any], changes: CustomerChanges) -> dict[str, Any]:
    """The customer's values after ``changes``, checked."""
    values = dict(current)
    if changes.code is not None:
        values["code"] = _checked("code", "code", changes.code, required=True)
    if changes.name is not None:
        values["name"] = _checked("name", "name", changes.name, required=True)
    if changes.reading is not None:
        values["reading"] = _checked("reading", "reading", changes.reading) or None
    if changes.segment is not None:
        values["segment"] = _checked("segment", "segment", changes.segment)
    if changes.notes is not None:
        values["notes"] = _checked("notes", "notes", changes.notes)
    attributes = dict(values["attributes"])
    if changes.attributes is not None:
        attributes = _checked_attributes(changes.attributes)
    attributes.update(_checked_attributes(changes.set_attributes))
    for key in changes.remove_attributes:
        if attributes.pop(key.strip(), None) is None:
            raise InvalidInput(f"customer {current['code']} has no attribute {key.strip()!r}")
    values["attributes"] = attributes
    return values


# --- who may --------------------------------------------------------------------------


def require_customer_editor(session: Session, actor: Actor, doing: str) -> None:
    """An active user who holds a role in some team, or an admin."""
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise PermissionDenied(f"{actor.login} is not an active user, so cannot {doing}")
    if actor.is_admin:
        return
    member = session.scalar(
        select(TeamMembership.team_id).where(TeamMembership.user_id == actor.user_id).limit(1)
    )
    if member is None:
        raise PermissionDenied(
            f"{actor.login} is in no team, so cannot {doing}; an admin can add them to one"
        )


# --- writing --------------------------------------------------------------------------


def _require_free_code(session: Session, code: str) -> None:
    if session.scalar(select(Customer.id).where(Customer.code == code)) is not None:
        raise Conflict(f"customer {code} already exists; choose another code")


def _search_text(values: Mapping[str, Any]) -> str:
    return attribute_search_text(
        values["attributes"], values["code"], values["name"], values["reading"]
    )


def _current(customer: Customer) -> dict[str, Any]:
    return {
        "code": customer.code,
        "name": customer.name,
        "reading": customer.reading,
        "segment": customer.segment,
        "notes": customer.notes,
        "attributes": attribute_texts(customer.attributes),
    }


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"old": old.get(name), "new": new[name]}
        for name in FIELDS
        if old.get(name) != new[name]
    }


def _describe(changes: Mapping[str, Mapping[str, Any]]) -> str:
    """``code (C1 -> C2), name, attribute Region``: what an edit changed."""
    parts: list[str] = []
    for name, change in changes.items():
        if name == "code":
            parts.append(f"code ({change['old']} -> {change['new']})")
        elif name == "attributes":
            old, new = change["old"] or {}, change["new"]
            keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
            parts.extend(f"attribute {k}" for k in keys)
        else:
            parts.append(name)
    return ", ".join(parts)


def add_customer(ctx: Context, new: NewCustomer) -> SavedCustomer:
    values = _values_of(new)
    code = values["code"]
    try:
        with ctx.db.write() as session:
            require_customer_editor(session, ctx.actor, "add customers")
            _require_free_code(session, code)
            now = ctx.now()
            customer = Customer(
                **values, search_text=_search_text(values), created_at=now, version=1
            )
            session.add(customer)
            session.flush()
            changes = {k: v for k, v in _diff({}, values).items() if v["new"] not in ("", {}, None)}
            record_event(
                session,
                ctx.actor,
                now,
                entity="customer",
                entity_id=customer.id,
                customer_id=customer.id,
                kind=CREATED,
                summary=f"{ctx.actor.label} added customer {code} {values['name']}",
                payload={"version": 1, "changes": changes},
            )
    except IntegrityError:  # another session added the code in between
        raise Conflict(f"customer {code} already exists; choose another code") from None
    return SavedCustomer(code, 1, tuple(changes))


def edit_customer(
    ctx: Context, code: str, changes: CustomerChanges, expected_version: int | None = None
) -> SavedCustomer:
    """Apply ``changes`` to customer ``code`` if it is still at
    ``expected_version`` (None: whatever it is now)."""
    try:
        with ctx.db.write() as session:
            require_customer_editor(session, ctx.actor, "edit customers")
            customer = session.scalar(select(Customer).where(Customer.code == code))
            if customer is None:
                raise NotFound(f"no customer {code!r}")
            if expected_version is not None and customer.version != expected_version:
                raise Conflict(_stale_message(session, customer, expected_version))
            old = _current(customer)
            values = _changed_values(old, changes)
            diff = _diff(old, values)
            if not diff:
                raise InvalidInput(f"customer {code} already has these values; nothing to save")
            if "code" in diff:
                _require_free_code(session, values["code"])
            seen, version = customer.version, customer.version + 1
            result = session.execute(
                update(Customer)
                .where(Customer.id == customer.id, Customer.version == customer.version)
                .values(**values, search_text=_search_text(values), version=version)
                .execution_options(synchronize_session=False)
            )
            if rows_changed(result) != 1:  # saved by someone else since it was read
                session.expire(customer)
                raise Conflict(_stale_message(session, customer, seen))
            record_event(
                session,
                ctx.actor,
                ctx.now(),
                entity="customer",
                entity_id=customer.id,
                customer_id=customer.id,
                kind=EDITED,
                summary=f"{ctx.actor.label} edited customer {values['code']}: {_describe(diff)}",
                payload={"version": version, "changes": diff},
            )
    except IntegrityError:
        raise Conflict(f"customer {changes.code} already exists; choose another code") from None
    return SavedCustomer(values["code"], version, tuple(diff))


# --- a stale edit -------------------------------------------------------------------


def _stale_message(session: Session, customer: Customer, seen: int) -> str:
    """``customer C0004 was changed by sato at 14:02 (name is now 'X'); ...``:
    who saved since version ``seen`` and the values they left."""
    since = session.scalars(
        select(Event)
        .where(Event.entity == "customer", Event.entity_id == customer.id)
        .order_by(Event.id.desc())
        .limit(50)
    ).all()
    later = [e for e in since if int((e.payload or {}).get("version", 0)) > seen] or since[:1]
    who = f"{later[0].actor_name} at {later[0].at.astimezone():%H:%M}" if later else "someone else"
    changed: dict[str, None] = {}
    for event in reversed(later):
        if event.kind not in (CREATED, EDITED):  # an import's payload says it otherwise
            continue
        for name, change in (event.payload or {}).get("changes", {}).items():
            if name == "attributes":
                old, new = change.get("old") or {}, change.get("new") or {}
                keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
                changed.update((f"attribute:{k}", None) for k in keys)
            else:
                changed[name] = None
    current = _current(customer)
    now_values = [_now_is(name, current) for name in changed]
    detail = f" ({'; '.join(now_values)})" if now_values else ""
    return (
        f"customer {current['code']} was changed by {who}{detail} "
        f"(now version {customer.version}, you had {seen}); reload and edit again"
    )


def _now_is(name: str, current: Mapping[str, Any]) -> str:
    if name.startswith("attribute:"):
        key = name.removeprefix("attribute:")
        value = current["attributes"].get(key)
        return f"attribute {key} was removed" if value is None else f"{key} is now {value!r}"
    value = current.get(name)
    if value in (None, ""):
        return f"{name} is now empty"
    shown = value if len(str(value)) <= 40 else f"{str(value)[:39]}…"
    return f"{name} is now {shown!r}"
