"""Who the operator is (see docs/ARCHITECTURE.md, 'Identity').

On PostgreSQL the database login role (``session_user``) names the user; on
a local SQLite file, the OS login. Acting as someone else (``--user``) is
always allowed on SQLite, whose owner can change anything anyway, and on
PostgreSQL only for admins, whose events then record them as the actor.

Behind the SSH gateway the login named by the forced command is the
operator, on either backend: OpenSSH authenticated the key, and only the
service account's authorized_keys can name the login. Nobody acts as anyone
else there.
"""

import getpass
from enum import StrEnum

from sqlalchemy import select, text

from backoffice_tui.domain.errors import NotFound, PermissionDenied
from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import User


def os_login() -> str:
    return getpass.getuser()


def _actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, login=user.login, name=user.name, is_admin=user.is_admin)


class IdentitySource(StrEnum):
    """What established who the operator is."""

    GATEWAY = "gateway"  # the login the SSH gateway's forced command names
    DATABASE_LOGIN = "database login"  # PostgreSQL's session_user
    OS_LOGIN = "os login"  # the OS account, on a local SQLite file
    USER_OPTION = "--user"  # named on the command line, on a local SQLite file


def identity_source(
    db: Database, requested_login: str | None = None, gateway_login: str | None = None
) -> IdentitySource:
    """How ``resolve_actor`` with the same arguments knows the operator."""
    if gateway_login is not None:
        return IdentitySource.GATEWAY
    if db.dialect == "postgresql":
        return IdentitySource.DATABASE_LOGIN
    return IdentitySource.USER_OPTION if requested_login else IdentitySource.OS_LOGIN


def _gateway_actor(db: Database, requested_login: str | None, gateway_login: str) -> Actor:
    if requested_login is not None and requested_login != gateway_login:
        raise PermissionDenied(
            f"{gateway_login} cannot act as {requested_login}: behind the SSH gateway "
            "everyone acts as themselves"
        )
    with db.read() as session:
        user = session.scalar(select(User).where(User.login == gateway_login))
        if user is None or not user.active:
            state = "not a user" if user is None else "a deactivated user"
            raise NotFound(
                f"{gateway_login!r} is {state} of this database; ask an admin to "
                f"{'add' if user is None else 'reactivate'} it"
            )
        return _actor_for(user)


def resolve_actor(
    db: Database, requested_login: str | None = None, gateway_login: str | None = None
) -> Actor:
    """The operator: the gateway's login if given, else as the module says."""
    if gateway_login is not None:
        return _gateway_actor(db, requested_login, gateway_login)
    with db.read() as session:
        if db.dialect == "postgresql":
            real_login = session.execute(text("SELECT session_user")).scalar_one()
        else:
            real_login = requested_login or os_login()
        real = session.scalar(select(User).where(User.login == real_login))
        if real is not None and not real.active and not real.placeholder:
            raise PermissionDenied(
                f"the account {real_login!r} is deactivated; ask an admin if that is a mistake"
            )
        if real is None or not real.active:
            raise NotFound(
                f"{real_login!r} is not a user of this database; an admin can add it with "
                f"`backoffice users add {real_login} --name NAME --team TEAM:ROLE`"
            )
        if requested_login is None or requested_login == real.login:
            return _actor_for(real)
        if not real.is_admin:
            raise PermissionDenied(
                f"{real.login} cannot act as {requested_login}: only admins may use --user "
                "on a shared database"
            )
        target = session.scalar(select(User).where(User.login == requested_login))
        if target is None:
            raise NotFound(f"no user {requested_login!r} in this database")
        return Actor(
            user_id=target.id,
            login=target.login,
            name=target.name,
            is_admin=target.is_admin,
            real_user_id=real.id,
            real_login=real.login,
        )
