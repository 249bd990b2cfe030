"""The project's own exception types.

Every expected failure is one of these, raised where it is detected and
caught at the edge (command line or screen), where its message is shown as
one line. The message must say what happened and, where there is one, what
to do about it.
"""


class BackofficeError(Exception):
    """Base of every expected, user-facing failure."""


class ConfigError(BackofficeError):
    """The configuration file, an environment variable or an option is wrong."""


class DatabaseUnavailable(BackofficeError):
    """The database cannot be reached or opened."""


class SchemaMismatch(BackofficeError):
    """The database schema is missing, older or newer than this program."""


class NotFound(BackofficeError):
    """A referenced record does not exist."""


class PermissionDenied(BackofficeError):
    """The operator may not do this."""


class InvalidTransition(BackofficeError):
    """The action does not fit the record's current state."""


class Conflict(BackofficeError):
    """Someone else changed the record first (stale version, lost race)."""


class InvalidInput(BackofficeError):
    """A value, file or argument given by the operator is malformed."""


class StorageError(BackofficeError):
    """A file or the database cannot be written: a full disk, a read-only file
    or a lost permission. Nothing was changed."""


class ServerBusy(DatabaseUnavailable):
    """The server refused a connection for now (too many clients, a timeout, a
    restart): worth trying again shortly."""


class PasswordRefused(DatabaseUnavailable):
    """The server refused the password (or got none): a retry cannot help."""
