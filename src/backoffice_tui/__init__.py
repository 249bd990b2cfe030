"""backoffice-tui: a keyboard-driven console over one shared back-office database."""

__version__ = "0.1.0"
