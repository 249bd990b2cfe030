"""Database URLs as shown to people: never with a password.

Plain text handling, so that a URL too malformed to parse is masked as well
as a good one: the password of ``user:password@host`` (up to the last ``@``
of the authority, so an unescaped ``@``, ``/`` or ``?`` in the password
hides too) and the
value of any query parameter whose name suggests a secret.
"""

import re

_SECRET_NAME = re.compile(r"password|passwd|secret|^pass$|^pwd$", re.IGNORECASE)
_SECRET_PARAMETER = re.compile(r"([?&])([^=&#]*)=([^&#]*)")


def looks_like_secret_name(name: str) -> bool:
    """Whether a key or parameter name suggests it holds a password."""
    return bool(_SECRET_NAME.search(name))


def mask_url_password(url: str) -> str:
    """``url`` with every password replaced by ``***``, for messages and logs."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    ends = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
    at = rest.rfind("@", 0, min(ends, default=len(rest)))
    if at < 0:
        at = rest.rfind("@")  # a password with an unescaped / or ?
    if at >= 0:
        user, colon, _password = rest[:at].partition(":")
        if colon and "/" not in user:
            rest = f"{user}:***{rest[at:]}"
    if "?" in rest:
        path, _, query = rest.partition("?")

        def hide(match: re.Match[str]) -> str:
            lead, name, value = match.groups()
            return f"{lead}{name}=***" if looks_like_secret_name(name) and value else match[0]

        rest = path + _SECRET_PARAMETER.sub(hide, "?" + query)
    return f"{scheme}{separator}{rest}"


def database_url_has_password(url: str) -> bool:
    """Whether ``url`` carries a password (``user:pw@host`` or ``?password=``)."""
    return mask_url_password(url) != url
