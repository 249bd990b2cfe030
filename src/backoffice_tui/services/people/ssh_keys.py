"""Who may log in through the SSH gateway: the operators' keys in the
service account's authorized_keys. Admins only, and recorded."""

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from backoffice_tui.config.authorized_keys import (
    GatewayKey,
    PublicKey,
    add_gateway_key,
    check_with_ssh_keygen,
    gateway_keys,
    remove_gateway_keys,
)
from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.logins import check_gateway_login
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Actor
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import User


def list_ssh_keys(actor: Actor, authorized_keys: Path) -> list[GatewayKey]:
    """The gateway's keys, in the order sshd reads them."""
    permissions.require_admin(actor, "manage SSH keys")
    return gateway_keys(authorized_keys)


def add_ssh_key(
    db: Database,
    actor: Actor,
    login: str,
    key: PublicKey,
    authorized_keys: Path,
    command: Sequence[str],
) -> GatewayKey:
    """Let ``key`` in as ``login``, an active user; ``command`` is the
    program (and its global options) the forced command runs."""
    permissions.require_admin(actor, "manage SSH keys")
    check_gateway_login(login)
    check_with_ssh_keygen(key)
    with db.write() as session:
        user = session.scalar(select(User).where(User.login == login))
        if user is None or not user.active:
            state = "not a user" if user is None else "a deactivated user"
            raise NotFound(f"{login!r} is {state} of this database; add the user first")
        record_event(
            session,
            actor,
            utc_now(),
            entity="user",
            entity_id=user.id,
            kind="user.ssh_key_added",
            summary=f"SSH key {key.fingerprint} of {login} added by {actor.login}",
            payload={"fingerprint": key.fingerprint, "key_type": key.key_type},
        )
        # last, so that a file that cannot be written leaves no event behind
        return add_gateway_key(authorized_keys, login, key, command)


def remove_ssh_keys(
    db: Database,
    actor: Actor,
    login: str,
    authorized_keys: Path,
    fingerprint: str | None = None,
) -> list[GatewayKey]:
    """Take ``login``'s keys (or the one with ``fingerprint``) out of the
    file; the login need not be an active user any more."""
    permissions.require_admin(actor, "manage SSH keys")
    check_gateway_login(login)
    with db.write() as session:
        removed = remove_gateway_keys(authorized_keys, login, fingerprint)
        if not removed:
            which = f"with fingerprint {fingerprint}" if fingerprint else "at all"
            raise NotFound(f"{login} has no gateway key {which} in {authorized_keys}")
        user = session.scalar(select(User).where(User.login == login))
        if user is not None:
            for gone in removed:
                record_event(
                    session,
                    actor,
                    utc_now(),
                    entity="user",
                    entity_id=user.id,
                    kind="user.ssh_key_removed",
                    summary=f"SSH key {gone.fingerprint} of {login} removed by {actor.login}",
                    payload={"fingerprint": gone.fingerprint, "key_type": gone.key_type},
                )
        return removed
