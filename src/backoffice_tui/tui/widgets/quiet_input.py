"""A text input that does not blink: nothing is written while nothing changes."""

from textual.reactive import reactive
from textual.widgets import Input


class QuietInput(Input):
    cursor_blink = reactive(False, init=False)
