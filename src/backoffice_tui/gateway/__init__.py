"""Console sessions behind the SSH gateway: a preloaded session server that
forks one console per operator, and the thin client a forced command runs.

``sessions`` is the server (``backoffice sessions serve``), ``console`` one
forked session, ``client`` the client, ``protocol`` what they say to each
other. The client imports only ``protocol`` and the standard library, so
that asking for a session costs a few milliseconds, not a Textual import.
"""
