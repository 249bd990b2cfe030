"""NO_COLOR: a console without a single colour code, still legible.

With ``NO_COLOR`` set the app strips every colour (Textual's NoColor filter
needs the app in native ANSI mode; otherwise Textual would only turn colours
grey and still send them). What colour told, type now tells: the cursor and
highlighted options in reverse video, overdue and blocked underlined and
bold, rows that are waiting or done dim.
"""

import os
from collections.abc import Mapping

NO_COLOR_CSS = """
App.-nocolor VirtualTable > .virtual-table--cursor { text-style: reverse bold; }
App.-nocolor VirtualTable > .virtual-table--alert { text-style: bold underline; }
App.-nocolor VirtualTable > .virtual-table--tagged { text-style: bold italic; }
App.-nocolor VirtualTable > .virtual-table--changed { text-style: italic; }
App.-nocolor VirtualTable > .virtual-table--pending { text-style: dim; }
App.-nocolor VirtualTable > .virtual-table--quiet { text-style: dim; }
App.-nocolor OptionList > .option-list--option-highlighted { text-style: reverse; }
App.-nocolor Input > .input--cursor { text-style: reverse; }
App.-nocolor TextArea > .text-area--cursor { text-style: reverse; }
App.-nocolor TextArea > .text-area--selection { text-style: reverse; }
App.-nocolor Switch:focus { text-style: reverse; }
"""


def no_color_wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the terminal asked for no colour (set at all, as Textual reads it)."""
    return "NO_COLOR" in (os.environ if environ is None else environ)
