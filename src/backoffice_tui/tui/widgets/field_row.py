"""One field of a form on one line: its label, then its editor. A form
sets the label's width for its own labels."""

from textual.containers import Horizontal


class FieldRow(Horizontal):
    DEFAULT_CSS = """
    FieldRow { height: 1; }
    FieldRow > Label { width: 30; padding: 0 1; color: $text-muted; }
    FieldRow:focus-within { background: $boost; }
    FieldRow:focus-within > Label { color: $accent; text-style: bold; }
    FieldRow > Input, FieldRow > TextArea, FieldRow > Select { width: 1fr; }
    """
