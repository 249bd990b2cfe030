"""Logins as the SSH gateway names them.

A gateway login is written into the service account's authorized_keys, into
a command line and into a folder name (``logins/LOGIN``), so it is kept to
plain characters: letters, digits, ``.``, ``_`` and ``-``, not starting with
``.`` or ``-`` (no ``..``, no option).
"""

import re

from backoffice_tui.domain.errors import InvalidInput

GATEWAY_LOGIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


def check_gateway_login(login: str) -> str:
    """``login`` if the gateway may name it, else ``InvalidInput``."""
    if not GATEWAY_LOGIN.fullmatch(login):
        raise InvalidInput(
            f"{login!r} cannot be a gateway login: use letters, digits, '.', '_' and '-' "
            "(at most 64, not starting with '.' or '-')"
        )
    return login
