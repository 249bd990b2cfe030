"""Order code patterns such as ``{customer}-{yyyy}{mm}-{n:03}``: plain rules, no I/O.

A pattern is fixed text with placeholders: ``{customer}`` (the customer's
code), ``{yyyy}``, ``{yy}``, ``{mm}``, ``{dd}`` (the day the order is
received) and ``{n}``, the running number, which comes last and may name a
width (``{n:04}`` gives ``0007``). Everything before ``{n}`` is the prefix
whose highest number the next code follows.
"""

import string
from dataclasses import dataclass
from datetime import date

from backoffice_tui.domain.errors import InvalidInput

NUMBER = "n"
DATE_PARTS = {"yyyy": "%Y", "yy": "%y", "mm": "%m", "dd": "%d"}
PLACEHOLDERS = ("customer", *DATE_PARTS, NUMBER)
EXAMPLE = "{customer}-{yyyy}{mm}-{n:03}"


@dataclass(frozen=True)
class CodePattern:
    text: str
    number_spec: str  # the format spec of {n}: "03", or "" for no padding
    uses_customer: bool

    def prefix(self, customer_code: str, day: date) -> str:
        """The code up to the running number, for this customer and day."""
        values = {"customer": customer_code} | {
            name: day.strftime(form) for name, form in DATE_PARTS.items()
        }
        head = self.text[: self.text.rindex("{")]
        return head.format(**values)

    def code(self, prefix: str, number: int) -> str:
        return prefix + format(number, self.number_spec)


def parse_code_pattern(text: str) -> CodePattern:
    """Check a pattern; a bad one is one line saying what to change."""
    advice = f"e.g. {EXAMPLE!r}; placeholders: " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError as error:
        raise InvalidInput(
            f"order code pattern {text!r} is malformed ({error}); {advice}"
        ) from None
    fields = [(name, spec, conversion) for _, name, spec, conversion in pieces if name is not None]
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS:
            raise InvalidInput(f"order code pattern {text!r} has unknown {{{name}}}; {advice}")
        if conversion or (spec and name != NUMBER):
            raise InvalidInput(
                f"order code pattern {text!r}: only {{n}} takes a width ({{n:04}}); {advice}"
            )
    numbers = [spec for name, spec, _ in fields if name == NUMBER]
    if len(numbers) != 1 or pieces[-1][1] != NUMBER:
        raise InvalidInput(
            f"order code pattern {text!r} must end with the running number {{n}}, once; {advice}"
        )
    spec = numbers[0] or ""
    try:
        format(1, spec)
    except ValueError:
        raise InvalidInput(
            f"order code pattern {text!r}: {{n:{spec}}} is not a width; use e.g. {{n:04}}"
        ) from None
    return CodePattern(
        text=text,
        number_spec=spec,
        uses_customer=any(name == "customer" for name, _, _ in fields),
    )
