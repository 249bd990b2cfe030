"""The console's screens by name, with their titles.

The app's modes, the ``--screen`` choices of the command line and the palette
entries all follow this table. It imports nothing, so the command line can
offer the names without loading Textual.
"""

SCREEN_TITLES: dict[str, str] = {
    "home": "Home",
    "queue": "Work queue",
    "approvals": "Approvals",
    "customers": "Customers",
    "handoffs": "Handoffs",
    "applications": "Applications",
    "insights": "Insights",
    "rules": "Rules",
}

SCREEN_NAMES: tuple[str, ...] = tuple(SCREEN_TITLES)
